package io.streamstore.conformance.reliability;

import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.SyncPolicy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One damaged copy of a small, cleanly closed store: how the pristine store is built, how a mutation
 * (truncation, bit flip, random or mutated file) is applied to a copy, and how the copy is judged. The only
 * outcomes allowed are the data intact ({@code INTACT}), a cut the recovery report owns up to ({@code CUT}),
 * or a {@link CorruptStoreException} ({@code REFUSED}); and, for a truncation exactly at a record boundary that
 * leaves a valid older log, that older state ({@code PREFIX}, counted: only a backend with a trailer or a
 * state file can tell it apart). Anything else is a {@link Violation}. Missing messages must lie in the
 * report's lost range or after every surviving message (the cut tail).
 *
 * <p>A mutation is one line, fields separated by {@code |}: {@code T|file|length} truncate,
 * {@code F|file|offset|bit} flip one bit, {@code R|file|seed|length} replace with random bytes,
 * {@code W|file|offset|value|little} write a 4-byte int (a length field set to 0, -1, MAX or size + 1),
 * {@code Z|file|offset|length} zero a range, {@code S|file|from|to|length} copy a chunk over another place,
 * {@code I|file|offset|length} duplicate a chunk in place, {@code G|file|seed|length} append garbage.
 */
final class CorruptionCase
{
    /** Messages in a pristine store; the last five are never removed, so the tail holds whole records. */
    static final int MESSAGES = 60;

    /** How one case ended. */
    record Outcome(String kind, Violation violation)
    {
        static final Outcome INTACT = new Outcome("INTACT", null);
        static final Outcome CUT = new Outcome("CUT", null);
        static final Outcome REFUSED = new Outcome("REFUSED", null);
        static final Outcome PREFIX = new Outcome("PREFIX", null);

        static Outcome violation(final Violation.Kind kind, final long seq, final String detail)
        {
            return new Outcome("VIOLATION", new Violation(kind, seq, detail));
        }

        String line()
        {
            return violation == null ? kind : kind + " " + violation.kind() + " " + violation.seq() + " " +
                violation.detail().replace('\n', ' ');
        }

        static Outcome parse(final String line)
        {
            final String[] f = line.split(" ", 4);
            return switch (f[0])
            {
                case "INTACT" -> INTACT;
                case "CUT" -> CUT;
                case "REFUSED" -> REFUSED;
                case "PREFIX" -> PREFIX;
                default -> violation(Violation.Kind.valueOf(f[1]), Long.parseLong(f[2]), f.length > 3 ? f[3] : "");
            };
        }
    }

    /** Removed messages back after a reported cut dropped their removal record (allowed, counted). */
    static final java.util.concurrent.atomic.AtomicLong resurrectedAfterCut = new java.util.concurrent.atomic.AtomicLong();

    private CorruptionCase()
    {
    }

    static StreamConfig config(final Map<String, String> options)
    {
        return Workload.config("rot", SyncPolicy.never(), options);
    }

    static boolean removed(final long seed, final long seq)
    {
        return seq <= MESSAGES - 5 && Long.remainderUnsigned(Workload.mix(seed ^ 7, seq), 5) == 0;
    }

    /** The live sequences of the pristine store of {@code seed}. */
    static TreeSet<Long> live(final long seed)
    {
        final TreeSet<Long> live = new TreeSet<>();
        for (long seq = 1; seq <= MESSAGES; seq++)
        {
            if (!removed(seed, seq))
            {
                live.add(seq);
            }
        }
        return live;
    }

    /**
     * Builds the pristine store: MESSAGES small messages, one in five of the older ones removed before the last
     * five are appended, closed.
     */
    static void build(final StreamStoreProvider provider, final Path dir, final Map<String, String> options,
        final long seed) throws IOException
    {
        try (StreamStore s = provider.open(dir, config(options)))
        {
            for (long seq = 1; seq <= MESSAGES; seq++)
            {
                final long got = s.append(Workload.subject(seed, seq), Workload.headers(seed, seq),
                    Workload.smallPayload(seed, seq));
                if (got != seq)
                {
                    throw new AssertionError("building the corruption store: append returned " + got + ", expected " + seq);
                }
                if (seq == MESSAGES - 5)
                {
                    // Removals before the last five appends, so that the tail records are messages.
                    for (long r = 1; r <= seq; r++)
                    {
                        if (removed(seed, r))
                        {
                            s.remove(r);
                        }
                    }
                }
            }
        }
    }

    /** The live sets after each prefix of the pristine store's history (appends 1..55, removals, appends 56..60). */
    static java.util.Set<java.util.Set<Long>> prefixStates(final long seed)
    {
        final java.util.Set<java.util.Set<Long>> states = new java.util.HashSet<>();
        final TreeSet<Long> state = new TreeSet<>();
        states.add(new TreeSet<>(state));
        for (long seq = 1; seq <= MESSAGES; seq++)
        {
            state.add(seq);
            states.add(new TreeSet<>(state));
            if (seq == MESSAGES - 5)
            {
                for (long r = 1; r <= seq; r++)
                {
                    if (removed(seed, r))
                    {
                        state.remove(r);
                        states.add(new TreeSet<>(state));
                    }
                }
            }
        }
        return states;
    }

    static void copyTree(final Path from, final Path to) throws IOException
    {
        Files.walkFileTree(from, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult preVisitDirectory(final Path d, final BasicFileAttributes a) throws IOException
            {
                Files.createDirectories(to.resolve(from.relativize(d).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(final Path f, final BasicFileAttributes a) throws IOException
            {
                Files.copy(f, to.resolve(from.relativize(f).toString()), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static void deleteTree(final Path dir) throws IOException
    {
        if (!Files.exists(dir))
        {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult visitFile(final Path f, final BasicFileAttributes a) throws IOException
            {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path d, final IOException e) throws IOException
            {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Applies one mutation line to the store copy in {@code dir}. */
    static void apply(final Path dir, final String mutation) throws IOException
    {
        final String[] f = mutation.split("\\|");
        final Path file = dir.resolve(f[1]);
        final byte[] b = Files.readAllBytes(file);
        final byte[] out = switch (f[0])
        {
            case "T" -> java.util.Arrays.copyOf(b, Integer.parseInt(f[2]));
            case "F" ->
            {
                final int at = Integer.parseInt(f[2]);
                b[at] ^= (byte)(1 << Integer.parseInt(f[3]));
                yield b;
            }
            case "R" -> Workload.bytes(Integer.parseInt(f[3]), Long.parseLong(f[2]));
            case "W" ->
            {
                final int at = Integer.parseInt(f[2]);
                if (at + 4 <= b.length)
                {
                    ByteBuffer.wrap(b).order(f[4].equals("1") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)
                        .putInt(at, (int)Long.parseLong(f[3]));
                }
                yield b;
            }
            case "Z" ->
            {
                final int at = Integer.parseInt(f[2]);
                java.util.Arrays.fill(b, at, Math.min(b.length, at + Integer.parseInt(f[3])), (byte)0);
                yield b;
            }
            case "S" ->
            {
                final int from = Integer.parseInt(f[2]);
                final int to = Integer.parseInt(f[3]);
                final int len = Math.min(Integer.parseInt(f[4]), Math.min(b.length - from, b.length - to));
                if (len > 0)
                {
                    System.arraycopy(b.clone(), from, b, to, len);
                }
                yield b;
            }
            case "I" ->
            {
                final int at = Integer.parseInt(f[2]);
                final int len = Math.min(Integer.parseInt(f[3]), b.length - at);
                final byte[] d = new byte[b.length + len];
                System.arraycopy(b, 0, d, 0, at + len);
                System.arraycopy(b, at, d, at + len, b.length - at);
                yield d;
            }
            case "G" ->
            {
                final byte[] g = Workload.bytes(Integer.parseInt(f[3]), Long.parseLong(f[2]));
                final byte[] d = java.util.Arrays.copyOf(b, b.length + g.length);
                System.arraycopy(g, 0, d, b.length, g.length);
                yield d;
            }
            default -> throw new IllegalArgumentException("unknown mutation " + mutation);
        };
        Files.write(file, out);
    }

    /** A random fuzz mutation of {@code file} (of {@code size} bytes, named relative to the store). */
    static String fuzz(final Random r, final String file, final int size)
    {
        final int at = size == 0 ? 0 : r.nextInt(size);
        final long[] lengths = {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, size + 1L, 0xFFFF, 1L << 24};
        return switch (r.nextInt(8))
        {
            case 0 -> "R|" + file + "|" + r.nextLong() + "|" + r.nextInt(Math.max(1, size * 2) + 64);
            case 1 -> "W|" + file + "|" + at + "|" + lengths[r.nextInt(lengths.length)] + "|" + r.nextInt(2);
            case 2 -> "Z|" + file + "|" + at + "|" + (1 + r.nextInt(64));
            case 3 -> "S|" + file + "|" + (size == 0 ? 0 : r.nextInt(size)) + "|" + at + "|" + (1 + r.nextInt(256));
            case 4 -> "I|" + file + "|" + at + "|" + (1 + r.nextInt(256));
            case 5 -> "G|" + file + "|" + r.nextLong() + "|" + (1 + r.nextInt(512));
            case 6 -> "T|" + file + "|" + (size == 0 ? 0 : r.nextInt(size));
            default -> "R|" + file + "|" + r.nextLong() + "|" + size;
        };
    }

    /**
     * Opens the damaged copy and judges it: INTACT when every live message reads back exactly; CUT when some
     * are missing and the recovery report owns up to it; REFUSED on a {@link CorruptStoreException} from the
     * open or a read; else a violation. Every outcome but REFUSED then appends one probe message, which must
     * continue the sequence above anything reported lost.
     */
    static Outcome verify(final StreamStoreProvider provider, final Path dir, final Map<String, String> options,
        final long seed, final boolean cleanTruncation)
    {
        final TreeSet<Long> live = live(seed);
        try (StreamStore s = provider.open(dir, config(options)))
        {
            final RecoveryReport report = s.recoveryReport();
            final TreeMap<Long, StoredMessage> found = new TreeMap<>();
            for (StoredMessage m = s.loadNext(">", 1); m != null; m = s.loadNext(">", m.seq() + 1))
            {
                found.put(m.seq(), m);
                if (m.seq() > MESSAGES)
                {
                    return Outcome.violation(Violation.Kind.PHANTOM, m.seq(), "never appended; report " + report);
                }
                final String mismatch = Workload.mismatch(seed, m, true);
                if (mismatch != null)
                {
                    return Outcome.violation(Violation.Kind.CORRUPT, m.seq(), mismatch + "; report " + report);
                }
            }
            // Cut exactly at a record boundary, a log is a valid older state that no store without a trailer or a
            // state file can tell apart: allowed when it is exactly the state after some prefix of the history.
            final boolean prefix = cleanTruncation && !report.cutAnything() && !found.keySet().equals(live) &&
                prefixStates(seed).contains(found.keySet());
            final long lastFound = found.isEmpty() ? 0 : found.lastKey();
            if (!prefix)
            {
                for (final long seq : found.keySet())
                {
                    if (!live.contains(seq))
                    {
                        if (!report.cutAnything())
                        {
                            return Outcome.violation(Violation.Kind.RESURRECTED, seq, "removed message is back and " +
                                "nothing was reported cut");
                        }
                        // A reported cut that dropped a removal record may bring its message back.
                        resurrectedAfterCut.incrementAndGet();
                    }
                }
                final TreeSet<Long> missing = new TreeSet<>(live);
                missing.removeAll(found.keySet());
                for (final long seq : missing)
                {
                    if (s.load(seq) != null)
                    {
                        return Outcome.violation(Violation.Kind.STATE, seq, "load finds a message loadNext skipped");
                    }
                    final boolean suffix = seq > lastFound;
                    final boolean inRange = report.lastLostSeq() == 0 ||
                        seq >= report.firstLostSeq() && seq <= report.lastLostSeq();
                    if (!report.cutAnything() || !inRange && !suffix)
                    {
                        return Outcome.violation(Violation.Kind.UNREPORTED, seq, "live message missing" +
                            (suffix ? "" : " before surviving message " + lastFound) + "; report " + report);
                    }
                }
            }
            final StreamState st = s.state();
            final long first = found.isEmpty() ? st.lastSeq() + 1 : found.firstKey();
            if (st.msgs() != found.size() || st.firstSeq() != first)
            {
                return Outcome.violation(Violation.Kind.STATE, 0, "state() " + st + " but the reads show " + found.size() +
                    " messages from " + first);
            }
            if (!found.isEmpty() && st.lastSeq() < found.lastKey() || st.lastSeq() < report.lastLostSeq())
            {
                return Outcome.violation(Violation.Kind.ROLLBACK, st.lastSeq(), "lastSeq below a present or reported-lost " +
                    "sequence; report " + report);
            }
            if (!prefix && !report.cutAnything() && st.lastSeq() < MESSAGES)
            {
                return Outcome.violation(Violation.Kind.ROLLBACK, st.lastSeq(), "lastSeq went back from " + MESSAGES +
                    " and nothing was reported cut");
            }
            final long probe = s.append("rel.probe", null, new byte[]{1, 2, 3});
            if (probe != st.lastSeq() + 1 || probe <= report.lastLostSeq())
            {
                return Outcome.violation(Violation.Kind.ROLLBACK, probe, "the append after recovery returned " + probe +
                    ", lastSeq was " + st.lastSeq() + ", report " + report);
            }
            return found.keySet().equals(live) ? Outcome.INTACT : prefix ? Outcome.PREFIX : Outcome.CUT;
        }
        catch (final CorruptStoreException e)
        {
            return Outcome.REFUSED;
        }
        catch (final OutOfMemoryError e)
        {
            return Outcome.violation(Violation.Kind.OOM, 0, "OutOfMemoryError: " + e.getMessage());
        }
        catch (final IOException | RuntimeException | Error e)
        {
            return Outcome.violation(Violation.Kind.UNEXPECTED_ERROR, 0, e.toString());
        }
    }

    /** Copies the pristine store to {@code work}, damages it with {@code mutation}, judges it, removes it. */
    static Outcome run(final StreamStoreProvider provider, final Path pristine, final Path work,
        final Map<String, String> options, final long seed, final String mutation)
    {
        try
        {
            deleteTree(work);
            copyTree(pristine, work);
            apply(work, mutation);
            return verify(provider, work, options, seed, mutation.startsWith("T|"));
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("preparing case " + mutation, e);
        }
    }
}
