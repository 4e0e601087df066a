package io.streamstore.bench;

import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.HdrHistogram.Histogram;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Durable appends: {@code SyncPolicy.always()}, each append durable before it returns, with one writer, then
 * with 2, 4, 8 ... up to {@code --threads} writers (where a store that shares one force among concurrent callers
 * gains); the group-commit verdict is about {@code --threads}.
 * Ignores {@code --sync}: this workload is about {@code always}.
 *
 * <p>Both rates are steady-state rates from equal windows: each variant first runs on a throwaway store for a
 * second (or a tenth of its appends, whichever is more), since the concurrent path (parking, waking, gathering)
 * is compiled only after thousands of appends and a cold run measured half its steady rate; and the N writers
 * append for at least as long as the one writer took, not just the same count, which at N times the rate would
 * be a window too short to measure.
 */
final class SyncWorkload implements Workload
{
    static final long DEFAULT_MESSAGES = 10_000;
    /** Key of the N-writer run's rate over the 1-writer run's, in {@link RunResult#extra}. */
    static final String SPEEDUP = "speedupOverOneWriter";
    static final String APPENDS_PER_SYNC = "appendsPerSync";
    /** Key of a smaller writer count's rate over the 1-writer run's (no verdict: the goal is about --threads). */
    static final String RATIO = "ratioToOneWriter";
    static final long WARMUP_NANOS = 1_000_000_000L;
    /** Key of the process CPU time over the wall time of a variant: cores busy, waiting writers' spins included. */
    static final String CORES_BUSY = "coresBusy";
    /** Key, on the N-writer result, of the 1-writer run's {@link #CORES_BUSY}, for the verdict line. */
    static final String ONE_WRITER_CORES_BUSY = "oneWriterCoresBusy";

    @Override
    public String name()
    {
        return "sync";
    }

    @Override
    public long messages(final BenchSettings s)
    {
        return s.messagesOr(DEFAULT_MESSAGES);
    }

    @Override
    public String describe(final BenchSettings s)
    {
        return String.format("sync: %,d appends x %d B under SyncPolicy.always() by 1 writer, then by 2, 4 ... %d " +
            "writers for at least as long; each variant warmed for 1 s first", s.messagesOr(DEFAULT_MESSAGES),
            s.payload(), s.threads());
    }

    @Override
    public List<RunResult> run(final Backend backend, final BenchSettings s) throws Exception
    {
        final List<RunResult> results = new ArrayList<>();
        final long messages = s.messagesOr(DEFAULT_MESSAGES);
        final long warmup = Math.max(200, messages / 10);
        run(backend, s, 1, warmup, WARMUP_NANOS, false);
        final RunResult one = run(backend, s, 1, messages, 0, s.progress());
        results.add(one);
        final long window = one.ran() ? (long)Math.ceil(one.seconds * 1e9) : 0;
        // 2, 4, 8 ... writers before --threads: the scaling on the way, where a group commit that only batches
        // well with many writers shows itself
        for (final int writers : writerCounts(s.threads()))
        {
            // a warm-up of the concurrent path too (parking, waking, gathering), not just of the append itself
            run(backend, s, writers, warmup, WARMUP_NANOS, false);
            final RunResult many = run(backend, s, writers, messages, window, s.progress());
            results.add(many);
            if (one.ran() && many.ran() && one.seconds > 0 && many.seconds > 0)
            {
                // measured in the same run, one right after the other: the ratio the group commit goal is about
                final double ratio = (many.ops / many.seconds) / (one.ops / one.seconds);
                many.extra.put(writers == s.threads() ? SPEEDUP : RATIO, ratio);
                if (one.extra.get(CORES_BUSY) != null)
                {
                    many.extra.put(ONE_WRITER_CORES_BUSY, one.extra.get(CORES_BUSY));
                }
            }
        }
        return results;
    }

    /** 2, 4, 8 ... below {@code threads}, then {@code threads} itself; none for 1. */
    static List<Integer> writerCounts(final int threads)
    {
        final List<Integer> counts = new ArrayList<>();
        for (int w = 2; w < threads; w *= 2)
        {
            counts.add(w);
        }
        if (threads > 1)
        {
            counts.add(threads);
        }
        return counts;
    }

    /** Appends at least {@code messages}, and goes on until at least {@code minNanos} have passed. */
    private RunResult run(final Backend backend, final BenchSettings s, final int writers, final long messages,
        final long minNanos, final boolean progress) throws Exception
    {
        final Feed feed = new Feed("q", s.subjects(), s.payload());
        final StreamConfig config = s.config("sync").sync(SyncPolicy.always()).build();
        final RunResult r = new RunResult(name(), backend.name(), writers + (writers == 1 ? " writer" : " writers"));
        try (TempDirectory dir = TempDirectory.create(s.workDirectory(), backend.name() + "-sync"))
        {
            final StreamStore store = backend.open(dir.path(), config);
            try
            {
                final StoreStats before = store.stats();
                final AtomicLong claimed = new AtomicLong();
                final AtomicLong bytes = new AtomicLong();
                final AtomicLong errors = new AtomicLong();
                final List<Histogram> histograms = new ArrayList<>();
                final List<Thread> threads = new ArrayList<>();
                final long cpuBefore = processCpuNanos();
                final long start = System.nanoTime();
                final long until = start + minNanos;
                try (Progress p = Progress.start(progress, backend.name() + " " + r.variant, messages))
                {
                    for (int t = 0; t < writers; t++)
                    {
                        final Histogram h = Latency.newHistogram();
                        histograms.add(h);
                        final Thread writer = new Thread(() ->
                        {
                            long i;
                            while ((i = claimed.getAndIncrement()) < messages || System.nanoTime() - until < 0)
                            {
                                final long t0 = System.nanoTime();
                                try
                                {
                                    store.append(feed.subject(i), null, feed.payload());
                                    bytes.addAndGet(feed.size(i));
                                }
                                catch (final RuntimeException e)
                                {
                                    errors.incrementAndGet();
                                }
                                h.recordValue(System.nanoTime() - t0);
                                if ((i & 63) == 0)
                                {
                                    p.stepTo(Math.min(i, messages));
                                }
                            }
                        }, "sync-writer-" + t);
                        writer.setDaemon(true);
                        threads.add(writer);
                        writer.start();
                    }
                    for (final Thread writer : threads)
                    {
                        writer.join();
                    }
                    p.stepTo(messages);
                }
                r.seconds = (System.nanoTime() - start) / 1e9;
                final long cpuAfter = processCpuNanos();
                if (cpuBefore >= 0 && cpuAfter >= 0 && r.seconds > 0)
                {
                    r.extra.put(CORES_BUSY, (cpuAfter - cpuBefore) / 1e9 / r.seconds);
                }
                final long done = claimed.get() - writers; // each writer stopped on one claim it did not append
                final StoreStats after = store.stats();
                final Histogram all = Latency.newHistogram();
                histograms.forEach(all::add);
                r.ops = done - errors.get();
                r.errors = errors.get();
                r.latency = Latency.of(all);
                r.bytesAppended = bytes.get();
                r.bytesWritten = after.bytesWritten() - before.bytesWritten();
                r.compactions = after.compactions() - before.compactions();
                r.bytesOnDisk = after.bytesOnDisk();
                final long syncs = after.syncs() - before.syncs();
                r.extra.put("syncs", syncs);
                r.extra.put(APPENDS_PER_SYNC, syncs > 0 ? (double)r.ops / syncs : null);
            }
            finally
            {
                store.close();
            }
        }
        return r;
    }

    /** CPU time of the whole process in nanoseconds, or -1 where the JVM does not report it. */
    static long processCpuNanos()
    {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ?
            os.getProcessCpuTime() : -1;
    }
}
