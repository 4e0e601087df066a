package io.streamstore.conformance.reliability;

import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.Subjects;
import io.streamstore.spi.SyncPolicy;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The child JVM of the crash harness: opens a store and runs a seeded workload until it is killed, printing
 * one line per event, each written whole in one {@code write} (shorter than {@code PIPE_BUF}), so that the
 * parent reads every line flushed before the SIGKILL and none torn:
 *
 * <table>
 *   <caption>lines</caption>
 *   <tr><th>line</th><th>meaning</th></tr>
 *   <tr><td>{@code O <lastSeq> <msgs>}</td><td>opened</td></tr>
 *   <tr><td>{@code S <op> [<seq>]}</td><td>starting op a(ppend) r(emove) c(ompact) p(urge) s(ync)</td></tr>
 *   <tr><td>{@code A <seq>}</td><td>append returned</td></tr>
 *   <tr><td>{@code X <seq> <true|false>}</td><td>remove returned</td></tr>
 *   <tr><td>{@code P <lastSeq>}</td><td>purge returned: every sequence up to lastSeq is gone</td></tr>
 *   <tr><td>{@code C}</td><td>compact returned</td></tr>
 *   <tr><td>{@code Y}</td><td>sync returned: every change printed before it is durable</td></tr>
 *   <tr><td>{@code D <upToSeq>}</td><td>onDurable: every append up to upToSeq is durable</td></tr>
 *   <tr><td>{@code E <text>}</td><td>the workload broke a rule it can see itself (then exit 3)</td></tr>
 *   <tr><td>{@code I <op>/<io> <file>}</td><td>paused before that I/O call, waiting to be killed</td></tr>
 * </table>
 *
 * <p>Arguments: provider spec ({@code name:x} or {@code class:y}), directory, seed, sync policy
 * ({@code always}, {@code never}, {@code every:<ms>}), backend options ({@code -;k=v;…}), most operations, the
 * data seed that payloads derive from, and an I/O step to pause at ({@code -} for none, else
 * {@code <op>/<io>:<skip>}, such as {@code append/create:1}: the second {@code create} call made while an
 * append runs, a block roll in a store that rolls files). Pausing needs a provider that implements
 * {@link FaultInjectable}: its I/O seam shows the worker each call, and the pause makes the parent's kill land
 * exactly before that call, in a real process.
 */
public final class CrashWorker
{
    private static final FileOutputStream OUT = new FileOutputStream(FileDescriptor.out);

    private CrashWorker()
    {
    }

    /** The operation the workload runs now ({@code open} until the first), for naming I/O steps. */
    private static volatile String currentOp = "open";

    static synchronized void line(final String s)
    {
        if (s.startsWith("S "))
        {
            currentOp = switch (s.charAt(2))
            {
                case 'a' -> "append";
                case 'r' -> "remove";
                case 'c' -> "compact";
                case 'p' -> "purge";
                default -> "sync";
            };
        }
        try
        {
            OUT.write((s + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        catch (final IOException e)
        {
            // The parent is gone; nothing to report to.
            Runtime.getRuntime().halt(4);
        }
    }

    /** An observer that, at the chosen I/O step, reports it and stops the calling thread until the kill. */
    private static IoFaults.Observer pauser(final String pauseAt)
    {
        final int colon = pauseAt.lastIndexOf(':');
        final String step = pauseAt.substring(0, colon);
        final long[] skip = {Long.parseLong(pauseAt.substring(colon + 1))};
        return (operation, file) ->
        {
            final String here = currentOp + "/" + operation;
            if (!here.equals(step))
            {
                return;
            }
            synchronized (skip)
            {
                if (skip[0]-- != 0)
                {
                    return;
                }
            }
            line("I " + here + " " + file);
            while (true)
            {
                try
                {
                    Thread.sleep(60_000);
                }
                catch (final InterruptedException e)
                {
                    // the kill is what ends this
                }
            }
        };
    }

    public static void main(final String[] args) throws Exception
    {
        final StreamStoreProvider provider = Workload.resolve(args[0]);
        final Path dir = Path.of(args[1]);
        final long seed = Long.parseLong(args[2]);
        final SyncPolicy policy = Workload.policy(args[3]);
        final long maxOps = Long.parseLong(args[5]);
        final Random random = new Random(seed);
        final long dataSeed = Long.parseLong(args[6]);

        final StreamConfig config = Workload.config("crash", policy, Workload.decodeOptions(args[4]));
        final String pauseAt = args.length > 7 ? args[7] : "-";
        final StreamStore store = pauseAt.equals("-") || !(provider instanceof FaultInjectable injectable) ?
            provider.open(dir, config) : injectable.openWithFaults(dir, config, IoFaults.observing(pauser(pauseAt)));
        final List<Long> live = new ArrayList<>();
        for (StoredMessage m = store.loadNext(Subjects.ALL, 1); m != null; m = store.loadNext(Subjects.ALL, m.seq() + 1))
        {
            live.add(m.seq());
        }
        long lastSeq = store.state().lastSeq();
        line("O " + lastSeq + " " + live.size());
        if (policy.kind() == SyncPolicy.Kind.EVERY)
        {
            store.addListener(new StoreListener()
            {
                @Override
                public void onDurable(final long upToSeq)
                {
                    line("D " + upToSeq);
                }
            });
        }
        for (long op = 0; op < maxOps; op++)
        {
            final int pick = random.nextInt(1000);
            final int removeShare = live.size() > 1500 ? 600 : 150;
            if (pick < 20)
            {
                line("S c");
                store.compact();
                line("C");
            }
            else if (pick < 32)
            {
                line("S p " + lastSeq);
                store.purge();
                live.clear();
                line("P " + lastSeq);
            }
            else if (pick < 32 + (policy.kind() == SyncPolicy.Kind.ALWAYS ? 10 : 40))
            {
                line("S s");
                store.sync();
                line("Y");
            }
            else if (pick < 72 + removeShare && !live.isEmpty())
            {
                final long victim = live.remove(random.nextInt(live.size()));
                line("S r " + victim);
                final boolean removed = store.remove(victim);
                line("X " + victim + " " + removed);
                if (!removed)
                {
                    line("E remove(" + victim + ") of a live message returned false");
                    Runtime.getRuntime().halt(3);
                }
            }
            else
            {
                final long expected = lastSeq + 1;
                line("S a " + expected);
                final long seq = store.append(Workload.subject(dataSeed, expected), Workload.headers(dataSeed, expected),
                    Workload.payload(dataSeed, expected));
                line("A " + seq);
                if (seq != expected)
                {
                    line("E append returned " + seq + ", expected " + expected + " (lastSeq + 1)");
                    Runtime.getRuntime().halt(3);
                }
                lastSeq = seq;
                live.add(seq);
            }
        }
        store.close();
        line("Y");
        line("Q");
        Runtime.getRuntime().halt(0);
    }
}
