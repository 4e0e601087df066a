package io.streamstore.conformance.reliability;

import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.Subjects;
import io.streamstore.spi.SyncPolicy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The parent side of the crash test: starts a {@link CrashWorker} on the store directory, kills it with
 * SIGKILL at a seeded moment (while it opens, or at the start of an append, remove, compaction, purge or
 * sync), reads every acknowledgement line the child flushed, reopens the directory in this JVM and checks
 * it against what was acknowledged (see {@link #check}); then closes and reopens once more (idempotent
 * recovery), appends one probe message (sequences continue) and starts the next child on the same store.
 */
final class CrashHarness
{
    private static final String EOF = "\u0000EOF";
    /** The operations a kill aims at, in turn (with the backend's I/O steps); null: a random moment. */
    private static final List<String> TARGETS = Arrays.asList("append", "remove", "compact", "purge", "sync", null);
    /** The phases every run of at least {@link #KILLS_FOR_SPREAD} kills must have killed in, for any backend. */
    static final List<String> REQUIRED_PHASES = List.of("append", "remove", "compact", "purge");
    static final int KILLS_FOR_SPREAD = 10;

    /** What a run found. */
    record Result(int kills, long ackedChecked, long linesRead, List<Violation> violations, Map<String, Long> phases,
        int cleanExits)
    {
    }

    private final StreamStoreProvider provider;
    private final String spec;
    private final Path dir;
    private final Path work;
    private final SyncPolicy policy;
    private final Map<String, String> options;
    private final long seed;
    private final StreamConfig config;
    /** What a run must have killed in: operations, and I/O steps ({@code op/io}) where the backend shows them. */
    private final List<String> required;
    private final List<String> targets;

    private final TreeSet<Long> present = new TreeSet<>();
    private long baseLast;
    private final List<Violation> violations = new ArrayList<>();
    private final Map<String, Long> phases = new TreeMap<>();
    private final Map<String, Integer> aimedAt = new TreeMap<>();
    private long ackedChecked;
    private long linesRead;
    private long foreignLines;
    private int cleanExits;

    CrashHarness(final StreamStoreProvider provider, final String spec, final Path work, final SyncPolicy policy,
        final Map<String, String> options, final long seed)
    {
        this(provider, spec, work, policy, options, seed, REQUIRED_PHASES);
    }

    /**
     * @param required the phases a run of {@link #KILLS_FOR_SPREAD} or more kills must have killed in; an entry
     *                 {@code op/io} (such as {@code append/create}, a block roll) is an I/O step, aimed at by
     *                 pausing the child before that call, which needs a {@link FaultInjectable} provider
     */
    CrashHarness(final StreamStoreProvider provider, final String spec, final Path work, final SyncPolicy policy,
        final Map<String, String> options, final long seed, final List<String> required)
    {
        this.required = List.copyOf(required);
        final List<String> t = new ArrayList<>(TARGETS);
        required.stream().filter(CrashHarness::isIoStep).forEach(t::add);
        this.targets = t;
        this.provider = provider;
        this.spec = spec;
        this.work = work;
        this.dir = work.resolve("store");
        this.policy = policy;
        this.options = options;
        this.seed = seed;
        this.config = Workload.config("crash", policy, options);
    }

    /** Kills {@code kills} children (fewer when {@code maxSeconds} run out first) and checks after each. */
    Result run(final int kills, final long maxSeconds) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        int done = 0;
        for (int k = 0; k < kills && System.nanoTime() < deadline; k++)
        {
            generation(k);
            done++;
            if (violations.size() > 1000)
            {
                // Broken beyond doubt; the first violations tell the story.
                break;
            }
        }
        if (foreignLines > 0)
        {
            System.out.println("[reliability] the crash workers printed " + foreignLines + " lines that are not theirs");
        }
        return new Result(done, ackedChecked, linesRead, List.copyOf(violations), Map.copyOf(phases), cleanExits);
    }

    /** The model of one child's life, built from its lines. */
    private final class Generation
    {
        final boolean always = policy.kind() == SyncPolicy.Kind.ALWAYS;
        final TreeMap<Long, Boolean> appends = new TreeMap<>();
        final TreeMap<Long, Boolean> removes = new TreeMap<>();
        long inFlightAppend;
        long inFlightRemove;
        long durableUpTo;
        long purgeReturned;
        long purgeDurable;
        long purgeInFlight;
        String phase = "open";
        String error;
        boolean quit;

        void apply(final String line)
        {
            linesRead++;
            final String[] f = line.split(" ");
            switch (f[0])
            {
                case "O" -> phase = "run";
                case "S" ->
                {
                    phase = switch (f[1])
                    {
                        case "a" -> "append";
                        case "r" -> "remove";
                        case "c" -> "compact";
                        case "p" -> "purge";
                        default -> "sync";
                    };
                    if (f[1].equals("a"))
                    {
                        inFlightAppend = Long.parseLong(f[2]);
                    }
                    else if (f[1].equals("r"))
                    {
                        inFlightRemove = Long.parseLong(f[2]);
                    }
                    else if (f[1].equals("p"))
                    {
                        purgeInFlight = Math.max(purgeInFlight, Long.parseLong(f[2]));
                    }
                }
                case "A" ->
                {
                    appends.put(Long.parseLong(f[1]), always);
                    inFlightAppend = 0;
                }
                case "X" ->
                {
                    removes.put(Long.parseLong(f[1]), always);
                    inFlightRemove = 0;
                }
                case "P" ->
                {
                    purgeReturned = Math.max(purgeReturned, Long.parseLong(f[1]));
                    if (always)
                    {
                        purgeDurable = purgeReturned;
                    }
                }
                case "Y" ->
                {
                    appends.replaceAll((s, d) -> true);
                    removes.replaceAll((s, d) -> true);
                    purgeDurable = purgeReturned;
                }
                case "D" -> durableUpTo = Math.max(durableUpTo, Long.parseLong(f[1]));
                case "E" -> error = line;
                case "Q" -> quit = true;
                case "C" ->
                {
                    // compaction returned: it changes nothing a read shows
                }
                case "I" -> phase = f[1]; // paused before an I/O call, inside the operation in flight
                default ->
                {
                    // Not the worker's: a JVM message on stdout. Skipped, counted.
                    linesRead--;
                    foreignLines++;
                }
            }
        }

        boolean appendDurable(final long seq)
        {
            final Boolean d = appends.get(seq);
            return d != null && (d || seq <= durableUpTo);
        }

        /** True when a removal was returned or in flight for seq, so that it may be gone. */
        boolean mayBeRemoved(final long seq)
        {
            return removes.containsKey(seq) || seq == inFlightRemove || seq <= Math.max(purgeReturned, purgeInFlight);
        }

        boolean removalDurable(final long seq)
        {
            return Boolean.TRUE.equals(removes.get(seq)) || seq <= purgeDurable;
        }
    }

    private void generation(final int k) throws Exception
    {
        final Random r = new Random(Workload.mix(seed, k));
        // A required phase no kill has hit yet first (a kill that missed its phase tries again, once), then
        // round robin, not random: every phase gets its kills however few the run has.
        final String target = required.stream()
            .filter(ph -> !phases.containsKey(ph) && aimedAt.getOrDefault(ph, 0) < 2).findFirst()
            .orElse(targets.get((int)Math.floorMod(k + seed, (long)targets.size())));
        aimedAt.merge(target == null ? "" : target, 1, Integer::sum);
        final String pauseAt = isIoStep(target) ? target + ":" + r.nextInt(2) : "-";
        final Path stderr = work.resolve("child-" + k + ".err");
        final Process p = ChildJvm.start(ChildJvm.command(CrashWorker.class, List.of(spec, dir.toString(),
            Long.toString(Workload.mix(seed, 1_000_000L + k)), Workload.policyName(policy),
            Workload.encodeOptions(options), "10000000", Long.toString(seed), pauseAt)), stderr);
        p.getOutputStream().close();
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread reader = new Thread(() -> readLines(p.getInputStream(), lines), "crash-reader-" + k);
        reader.setDaemon(true);
        reader.start();

        final Generation g = new Generation();
        final int warm = r.nextInt(150);
        final boolean killWhileOpening = target == null && r.nextInt(3) == 0;
        final long started = System.nanoTime();
        boolean killed = false;
        boolean eof = false;
        long openedAt = 0;
        int seen = 0;
        if (killWhileOpening)
        {
            // Lands in JVM start or in the store's recovery; both must leave the store as it was.
            Thread.sleep(200 + r.nextInt(900));
            phases.merge("open", 1L, Long::sum);
            kill(p);
            killed = true;
        }
        while (!killed)
        {
            final String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line == null)
            {
                if (openedAt == 0 && System.nanoTime() - started > TimeUnit.SECONDS.toNanos(120))
                {
                    kill(p);
                    throw new AssertionError("crash worker did not open the store within 120 s; stderr: " +
                        ChildJvm.tail(stderr, 2000));
                }
                if (openedAt != 0 && System.nanoTime() - openedAt > TimeUnit.SECONDS.toNanos(3))
                {
                    phases.merge(g.phase, 1L, Long::sum);
                    kill(p);
                    killed = true;
                }
                continue;
            }
            if (line.equals(EOF))
            {
                eof = true;
                break;
            }
            g.apply(line);
            if (line.startsWith("O "))
            {
                openedAt = System.nanoTime();
            }
            seen++;
            final boolean onTarget = target == null || line.startsWith("S ") && target.equals(g.phase);
            final boolean paused = line.startsWith("I "); // the child waits for this kill
            final boolean overdue = openedAt != 0 && System.nanoTime() - openedAt > TimeUnit.SECONDS.toNanos(3);
            if (paused || openedAt != 0 && (seen >= warm && onTarget || overdue))
            {
                phases.merge(g.phase, 1L, Long::sum);
                kill(p);
                killed = true;
            }
        }
        while (!eof)
        {
            final String line = lines.poll(60, TimeUnit.SECONDS);
            if (line == null || line.equals(EOF))
            {
                break;
            }
            g.apply(line);
        }
        final int exit = ChildJvm.await(p, 60);
        if (g.error != null)
        {
            throw new AssertionError("the crash worker saw a broken rule (seed " + seed + ", kill " + k + "): " +
                g.error + "; stderr: " + ChildJvm.tail(stderr, 2000));
        }
        if (!killed)
        {
            if (exit != 0 || !g.quit)
            {
                throw new AssertionError("the crash worker failed (exit " + exit + ", seed " + seed + ", kill " + k +
                    "): " + ChildJvm.tail(stderr, 3000));
            }
            cleanExits++;
        }
        check(g, k);
        Files.deleteIfExists(stderr);
    }

    static boolean isIoStep(final String phase)
    {
        return phase != null && phase.indexOf('/') > 0;
    }

    private static void kill(final Process p)
    {
        p.toHandle().destroyForcibly();
    }

    /** Reads whole lines; a last line without its newline (torn by the kill) is dropped. */
    private static void readLines(final InputStream in, final BlockingQueue<String> lines)
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        final byte[] buf = new byte[8192];
        try
        {
            int n;
            while ((n = in.read(buf)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    if (buf[i] == '\n')
                    {
                        lines.add(line.toString(StandardCharsets.US_ASCII));
                        line.reset();
                    }
                    else
                    {
                        line.write(buf[i]);
                    }
                }
            }
        }
        catch (final IOException ignore)
        {
            // The pipe closed: the lines read so far are all there is.
        }
        finally
        {
            lines.add(EOF);
        }
    }

    private void violation(final Violation.Kind kind, final long seq, final String detail, final int k)
    {
        violations.add(new Violation(kind, seq, detail + " (" + provider.name() + ", " + Workload.policyName(policy) +
            ", seed " + seed + ", after kill " + k + ")"));
    }

    /**
     * Reopens the killed store and checks it against the acknowledgements: every acknowledged append is there
     * with its bytes (LOST, CORRUPT), every acknowledged removal stays (RESURRECTED), nothing appears that was
     * never appended (PHANTOM), no message is missing before a survivor unless reported (UNREPORTED), lastSeq
     * and the next append never go below an acknowledged or reported-lost sequence (ROLLBACK), state() agrees
     * with the reads (STATE), and a second reopen shows the same (NOT_IDEMPOTENT).
     */
    private void check(final Generation g, final int k) throws IOException
    {
        final TreeMap<Long, StoredMessage> found = new TreeMap<>();
        final StreamState st;
        final RecoveryReport report;
        final String snapshot;
        try (StreamStore s = provider.open(dir, config))
        {
            report = s.recoveryReport();
            for (StoredMessage m = s.loadNext(Subjects.ALL, 1); m != null; m = s.loadNext(Subjects.ALL, m.seq() + 1))
            {
                found.put(m.seq(), m);
            }
            st = s.state();
            snapshot = st + " " + found.keySet();
        }
        catch (final RuntimeException e)
        {
            violation(Violation.Kind.UNEXPECTED_ERROR, 0, "reopen after the kill failed: " + e, k);
            throw new AssertionError("reopen after kill " + k + " failed (seed " + seed + ")", e);
        }
        for (final StoredMessage m : found.values())
        {
            final long seq = m.seq();
            final String mismatch = Workload.mismatch(seed, m, false);
            if (mismatch != null)
            {
                violation(Violation.Kind.CORRUPT, seq, mismatch, k);
            }
            if (seq <= baseLast && !present.contains(seq))
            {
                violation(Violation.Kind.RESURRECTED, seq, "removed before the previous check, back after this kill", k);
            }
            else if (seq > baseLast && !g.appends.containsKey(seq) && seq != g.inFlightAppend)
            {
                violation(Violation.Kind.PHANTOM, seq, "present, but no append of it ever started", k);
            }
            if (g.removalDurable(seq))
            {
                violation(Violation.Kind.RESURRECTED, seq, "its acknowledged removal was undone", k);
            }
        }
        long maxDurable = baseLast;
        final TreeSet<Long> mustSurvive = new TreeSet<>(present);
        for (final Long seq : g.appends.keySet())
        {
            if (g.appendDurable(seq))
            {
                mustSurvive.add(seq);
                maxDurable = Math.max(maxDurable, seq);
            }
        }
        for (final Long seq : mustSurvive)
        {
            if (g.mayBeRemoved(seq))
            {
                continue;
            }
            ackedChecked++;
            if (!found.containsKey(seq))
            {
                violation(Violation.Kind.LOST, seq, "acknowledged append missing after the kill (recovery report: " +
                    report + ")", k);
            }
        }
        ackedChecked += g.removes.values().stream().filter(d -> d).count();
        final long lastFound = found.isEmpty() ? 0 : found.lastKey();
        for (final Long seq : g.appends.keySet())
        {
            if (!g.appendDurable(seq) && !g.mayBeRemoved(seq) && !found.containsKey(seq) && seq < lastFound &&
                !reported(report, seq))
            {
                violation(Violation.Kind.UNREPORTED, seq, "returned append missing before survivor " + lastFound +
                    ", and the recovery report does not say so: " + report, k);
            }
        }
        if (st.lastSeq() < maxDurable)
        {
            violation(Violation.Kind.ROLLBACK, maxDurable, "lastSeq " + st.lastSeq() +
                " is below the acknowledged sequence " + maxDurable, k);
        }
        if (st.lastSeq() < lastFound || report.lastLostSeq() > st.lastSeq())
        {
            violation(Violation.Kind.ROLLBACK, lastFound, "lastSeq " + st.lastSeq() + " is below a present (" + lastFound +
                ") or reported-lost (" + report.lastLostSeq() + ") sequence", k);
        }
        final long firstExpected = found.isEmpty() ? st.lastSeq() + 1 : found.firstKey();
        if (st.msgs() != found.size() || st.firstSeq() != firstExpected)
        {
            violation(Violation.Kind.STATE, 0, "state() " + st + " disagrees with the reads: " + found.size() +
                " messages from " + firstExpected, k);
        }
        final long probe;
        try (StreamStore s = provider.open(dir, config))
        {
            final RecoveryReport again = s.recoveryReport();
            final List<Long> seqs = new ArrayList<>();
            for (StoredMessage m = s.loadNext(Subjects.ALL, 1); m != null; m = s.loadNext(Subjects.ALL, m.seq() + 1))
            {
                seqs.add(m.seq());
            }
            final String second = s.state() + " " + seqs;
            if (again.cutAnything() || !second.equals(snapshot))
            {
                violation(Violation.Kind.NOT_IDEMPOTENT, 0, "second reopen differs: " + again + "; " +
                    (second.equals(snapshot) ? "same state" : "first " + abbreviate(snapshot) + ", then " +
                        abbreviate(second)), k);
            }
            final long expected = s.state().lastSeq() + 1;
            probe = s.append(Workload.subject(seed, expected), Workload.headers(seed, expected),
                Workload.payload(seed, expected));
            if (probe != expected || probe <= maxDurable || probe <= report.lastLostSeq())
            {
                violation(Violation.Kind.ROLLBACK, probe, "the first append after recovery returned " + probe +
                    "; expected " + expected + ", above " + maxDurable + " and " + report.lastLostSeq(), k);
            }
        }
        present.clear();
        present.addAll(found.keySet());
        present.add(probe);
        baseLast = Math.max(probe, st.lastSeq());
    }

    private static boolean reported(final RecoveryReport report, final long seq)
    {
        if (!report.cutAnything())
        {
            return false;
        }
        return report.lastLostSeq() == 0 || report.firstLostSeq() <= seq && seq <= report.lastLostSeq();
    }

    private static String abbreviate(final String s)
    {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }
}
