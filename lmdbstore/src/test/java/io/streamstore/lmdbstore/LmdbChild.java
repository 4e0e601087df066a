package io.streamstore.lmdbstore;

import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.StoreLockedException;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The child JVM of the crash, corruption and lock tests. Modes:
 * <ul>
 *   <li>{@code append DIR ROUND THREADS}: appends under {@code always} from THREADS threads until killed,
 *       printing {@code seq thread counter} after each append returned; {@code append-compact} also
 *       compacts after every third append, so that kills land inside compactions;</li>
 *   <li>{@code read DIR COUNT}: loads sequences 1..COUNT and prints {@code OK|WRONG|MISSING|CORRUPT seq}, then
 *       {@code DONE} (or {@code CORRUPT-OPEN} when opening already found damage);</li>
 *   <li>{@code hold DIR}: opens the store, prints {@code OPEN} (or {@code LOCKED}) and waits for stdin to close.</li>
 * </ul>
 */
public final class LmdbChild
{
    private LmdbChild()
    {
    }

    static StreamConfig config(final SyncPolicy policy)
    {
        return StreamConfig.builder("child").sync(policy).build();
    }

    /** The payload the appender writes for (round, thread, counter): checkable by the parent. */
    static byte[] appendPayload(final int round, final int thread, final long counter)
    {
        final byte[] b = new byte[64 + (int)(counter % 200)];
        final String text = "r" + round + "t" + thread + "c" + counter + ":";
        for (int i = 0; i < b.length; i++)
        {
            b[i] = (byte)text.charAt(i % text.length());
        }
        return b;
    }

    /** The payload of sequence {@code seq} in the corruption tests: unique bytes that can be found in the file. */
    static byte[] readPayload(final long seq)
    {
        final byte[] b = new byte[300];
        final String text = String.format("<payload-of-%06d>", seq);
        for (int i = 0; i < b.length; i++)
        {
            b[i] = (byte)text.charAt(i % text.length());
        }
        return b;
    }

    static String readSubject(final long seq)
    {
        return "c." + (seq % 4);
    }

    public static void main(final String[] args) throws Exception
    {
        final PrintStream out = System.out;
        final Path dir = Path.of(args[1]);
        switch (args[0])
        {
            case "append" -> append(out, dir, Integer.parseInt(args[2]), Integer.parseInt(args[3]), false);
            case "append-compact" -> append(out, dir, Integer.parseInt(args[2]), Integer.parseInt(args[3]), true);
            case "read" -> read(out, dir, Long.parseLong(args[2]));
            case "hold" -> hold(out, dir);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void append(final PrintStream out, final Path dir, final int round, final int threads,
        final boolean compact) throws Exception
    {
        final StreamStore store = new LmdbStoreProvider().open(dir, config(SyncPolicy.always()));
        final Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            final int thread = t;
            workers[t] = new Thread(() ->
            {
                for (long counter = 0; ; counter++)
                {
                    final long seq = store.append("k." + thread, null, appendPayload(round, thread, counter));
                    synchronized (out)
                    {
                        out.println(seq + " " + thread + " " + counter);
                        out.flush();
                    }
                    if (compact && counter % 3 == 0)
                    {
                        store.compact();
                    }
                }
            });
            workers[t].start();
        }
        for (final Thread worker : workers)
        {
            worker.join();
        }
    }

    private static void read(final PrintStream out, final Path dir, final long count) throws Exception
    {
        final StreamStore store;
        try
        {
            store = new LmdbStoreProvider().open(dir, config(SyncPolicy.never()));
        }
        catch (final CorruptStoreException e)
        {
            out.println("CORRUPT-OPEN " + e.getMessage());
            out.println("DONE");
            return;
        }
        for (long seq = 1; seq <= count; seq++)
        {
            try
            {
                final StoredMessage m = store.load(seq);
                if (m == null)
                {
                    out.println("MISSING " + seq);
                }
                else if (m.seq() == seq && m.subject().equals(readSubject(seq)) &&
                    Arrays.equals(m.payload(), readPayload(seq)) && m.headers().length == 0)
                {
                    out.println("OK " + seq);
                }
                else
                {
                    out.println("WRONG " + seq);
                }
            }
            catch (final CorruptStoreException e)
            {
                out.println("CORRUPT " + seq);
            }
        }
        out.println("DONE");
        out.flush();
        store.close();
    }

    private static void hold(final PrintStream out, final Path dir) throws Exception
    {
        try (StreamStore store = new LmdbStoreProvider().open(dir, config(SyncPolicy.never())))
        {
            out.println("OPEN " + store.state().lastSeq());
            out.flush();
            while (System.in.read() >= 0)
            {
                // wait for the parent to close our stdin
            }
        }
        catch (final StoreLockedException e)
        {
            out.println("LOCKED " + e.getMessage());
            out.flush();
        }
    }
}
