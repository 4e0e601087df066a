package io.streamstore.bench;

import io.streamstore.spi.Retention;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.Subjects;
import org.HdrHistogram.Histogram;

import java.util.List;

/**
 * The seed loop, the workload that showed NATS's collapse: fill a {@code WORK_QUEUE} stream with N
 * messages, then M iterations of load the oldest ({@code loadNext(">", first)}), remove it, append a new
 * one on its subject. A correct store keeps its pace and its write amplification flat however long it
 * runs; the timeline shows whether it does.
 */
final class WqWorkload implements Workload
{
    static final long DEFAULT_MESSAGES = 100_000;
    static final long WARMUP_NANOS = 1_000_000_000L;
    static final int WARMUP_MAX_ROUNDS = 20;
    /** A store too slow to warm up in this time (a broken one) is measured as it is. */
    static final long WARMUP_MAX_NANOS = 10_000_000_000L;

    @Override
    public String name()
    {
        return "wq";
    }

    @Override
    public long messages(final BenchSettings s)
    {
        return s.messagesOr(DEFAULT_MESSAGES);
    }

    @Override
    public String describe(final BenchSettings s)
    {
        return String.format("wq: fill %,d messages x %d B on %d subjects into a WORK_QUEUE stream, then %,d iterations " +
            "of loadNext(\">\", first) + remove + append (sync %s; warm-up: %,d+ iterations and 1 s on a throwaway store)",
            s.messagesOr(DEFAULT_MESSAGES), s.payload(), s.subjects(), s.iterations(), s.syncName(), s.warmup());
    }

    @Override
    public List<RunResult> run(final Backend backend, final BenchSettings s) throws Exception
    {
        final long messages = s.messagesOr(DEFAULT_MESSAGES);
        final Feed feed = new Feed("q", s.subjects(), s.payload());
        final StreamConfig config = s.config("wq").retention(Retention.WORK_QUEUE).build();
        if (s.warmup() > 0)
        {
            warmUp(backend, s, feed, config, messages);
        }

        final RunResult r = new RunResult(name(), backend.name(), "loop");
        try (TempDirectory dir = TempDirectory.create(s.workDirectory(), backend.name() + "-wq"))
        {
            final long heapBefore = HeapMeter.usedAfterGc();
            final StreamStore store = backend.open(dir.path(), config);
            try
            {
                final long fillStart = System.nanoTime();
                try (Progress p = Progress.start(s.progress(), backend.name() + " fill", messages))
                {
                    feed.fill(store, messages, p);
                }
                final double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
                r.extra.put("fillMsgsPerSec", Math.round(messages / fillSeconds));
                // The full collections here also move the freshly filled messages out of the young generation,
                // so the loop's first tenth does not pay for promoting them (the launcher's -Xms keeps the heap
                // from shrinking afterwards).
                r.heapBytesPerMillionMsgs = HeapMeter.perMillion(HeapMeter.usedAfterGc() - heapBefore, messages);

                final StoreStats before = store.stats();
                final Histogram histogram = Latency.newHistogram();
                final Timeline timeline = s.iterations() >= Timeline.BUCKETS ? new Timeline(s.iterations()) : null;
                final long start = System.nanoTime();
                final LoopOutcome outcome;
                try (Progress p = Progress.start(s.progress(), backend.name() + " wq", s.iterations()))
                {
                    outcome = loop(store, feed, s.iterations(), histogram, timeline, p, start + s.timeLimitNanos());
                }
                r.seconds = (System.nanoTime() - start) / 1e9;
                final StoreStats after = store.stats();
                r.ops = outcome.iterations;
                r.errors = outcome.errors;
                if (outcome.stopped)
                {
                    r.stoppedByTimeLimit = true;
                }
                r.latency = Latency.of(histogram);
                r.bytesAppended = outcome.bytesAppended;
                r.bytesWritten = after.bytesWritten() - before.bytesWritten();
                r.compactions = after.compactions() - before.compactions();
                r.bytesOnDisk = after.bytesOnDisk();
                r.extra.put("bytesCompacted", after.bytesCompacted() - before.bytesCompacted());
                r.extra.put("tombstones", after.tombstones() - before.tombstones());
                r.extra.put("directoryBytes", TempDirectory.sizeOf(dir.path()));
                r.extra.put("liveMsgsAtEnd", store.state().msgs());

                if (store.state().msgs() != messages)
                {
                    r.errors++;
                    r.extra.put("error", "the stream held " + store.state().msgs() + " messages at the end, not " + messages);
                }
                if (timeline != null)
                {
                    r.timeline = timeline.samples();
                    r.firstTenthOpsPerSec = timeline.firstTenthRate();
                    r.lastTenthOpsPerSec = timeline.lastTenthRate();
                }
            }
            finally
            {
                store.close();
            }
        }
        return List.of(r);
    }

    /**
     * Runs the loop on a throwaway store until it has done {@code --warmup} iterations and
     * {@link #WARMUP_NANOS} have passed (at most {@link #WARMUP_MAX_ROUNDS} rounds): the JIT finishes its
     * compiles in the background, and an iteration count alone ends too soon on a busy two-core machine,
     * leaving the measured loop's first tenth slower than the rest.
     */
    private static void warmUp(
        final Backend backend, final BenchSettings s, final Feed feed, final StreamConfig config, final long messages)
        throws Exception
    {
        try (TempDirectory dir = TempDirectory.create(s.workDirectory(), backend.name() + "-warmup");
            StreamStore store = backend.open(dir.path(), config))
        {
            final Progress none = Progress.start(false, "", 0);
            feed.fill(store, Math.min(messages, Math.max(1, s.warmup())), none);
            final long start = System.nanoTime();
            final long deadline = start + Math.min(WARMUP_MAX_NANOS, s.timeLimitNanos());
            for (int round = 0; round < WARMUP_MAX_ROUNDS && System.nanoTime() - deadline < 0; round++)
            {
                // A real histogram and timeline: with nulls the JIT would prune their branches here and
                // deoptimise in the measured loop, whose first tenth would then run interpreted.
                final Timeline timeline = s.warmup() >= Timeline.BUCKETS ? new Timeline(s.warmup()) : null;
                loop(store, feed, s.warmup(), Latency.newHistogram(), timeline, none, deadline);
                if (System.nanoTime() - start >= WARMUP_NANOS)
                {
                    break;
                }
            }
        }
    }

    private record LoopOutcome(long iterations, long errors, long bytesAppended, boolean stopped)
    {
    }

    /**
     * One iteration: load the oldest, remove it, append a new one on its subject. A method of its own so
     * that the JIT compiles it whole during the warm-up, and the measured loop (a fresh call, which would
     * otherwise wait for its own on-stack replacement) runs compiled code from its first iteration.
     *
     * @return the message removed, or null when there was none to remove
     */
    private static StoredMessage step(final StreamStore store, final long next, final byte[] payload)
    {
        final StoredMessage oldest = store.loadNext(Subjects.ALL, next);
        if (oldest == null || !store.remove(oldest.seq()))
        {
            return null;
        }
        store.append(oldest.subject(), null, payload);
        return oldest;
    }

    /** The loop itself; {@code timeline} is null when there are too few iterations for one. */
    private static LoopOutcome loop(
        final StreamStore store,
        final Feed feed,
        final long iterations,
        final Histogram histogram,
        final Timeline timeline,
        final Progress progress,
        final long deadlineNanos)
    {
        final byte[] payload = feed.payload();
        long next = store.state().firstSeq();
        long bytes = 0;
        long errors = 0;
        if (timeline != null)
        {
            timeline.start();
        }
        long i = 0;
        boolean stopped = false;
        while (i < iterations)
        {
            final long t0 = System.nanoTime();
            if (t0 - deadlineNanos > 0)
            {
                stopped = true;
                break;
            }
            final StoredMessage oldest = step(store, next, payload);
            final long t1 = System.nanoTime();
            if (oldest == null)
            {
                errors++; // the stream lost its messages: nothing to keep the loop going with
                break;
            }
            next = oldest.seq() + 1;
            bytes += feed.sizeOf(oldest.subject());
            i++;
            histogram.recordValue(t1 - t0);
            if (timeline != null)
            {
                timeline.finished(i);
            }
            if ((i & Progress.MASK) == 0)
            {
                progress.stepTo(i);
            }
        }
        progress.stepTo(i);
        return new LoopOutcome(i, errors, bytes, stopped);
    }
}
