package io.streamstore.bench;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.Retention;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The article's exact setup: a {@code WORK_QUEUE} stream with {@code maxMsgsPerSubject=1},
 * {@code discardNewPerSubject} and {@code Discard.NEW} on 10,000 subjects (one message each), and K
 * consumer threads that fetch a message, ack it ({@code remove}), and republish on the same subject from
 * the {@code onRemoved} hook, as a broker sends the ack reply from it. A republish refused by the
 * per-subject limit is an error: the hook ran before the removal was visible. Errors must stay 0.
 */
final class SeedWorkload implements Workload
{
    /** How long a consumer waits for its message before it calls the loop stuck. */
    private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** A refused republish is retried (counted once as an error) so the loop can go on and show the cost. */
    private static final int REPUBLISH_TRIES = 100;

    @Override
    public String name()
    {
        return "seed";
    }

    @Override
    public long messages(final BenchSettings s)
    {
        return s.seedSubjects();
    }

    @Override
    public String describe(final BenchSettings s)
    {
        return String.format("seed: WORK_QUEUE, maxMsgsPerSubject=1, discardNewPerSubject, Discard.NEW, %,d subjects; " +
            "%d threads x (fetch -> ack (remove) -> republish from onRemoved), %,d iterations (sync %s)",
            s.seedSubjects(), s.threads(), s.iterations(), s.syncName());
    }

    @Override
    public List<RunResult> run(final Backend backend, final BenchSettings s) throws Exception
    {
        final Feed feed = new Feed("seed", s.seedSubjects(), s.payload());
        final StreamConfig config = s.config("seed")
            .retention(Retention.WORK_QUEUE)
            .maxMsgsPerSubject(1)
            .discard(Discard.NEW)
            .discardNewPerSubject(true)
            .build();
        final String variant = s.threads() + (s.threads() == 1 ? " thread" : " threads");
        final RunResult r = new RunResult(name(), backend.name(), variant);
        try (TempDirectory dir = TempDirectory.create(s.workDirectory(), backend.name() + "-seed"))
        {
            final StreamStore store = backend.open(dir.path(), config);
            try
            {
                final Republisher republisher = new Republisher(store, feed);
                store.addListener(republisher);
                try (Progress p = Progress.start(s.progress(), backend.name() + " fill", feed.subjectCount()))
                {
                    feed.fill(store, feed.subjectCount(), p);
                }

                final StoreStats before = store.stats();
                final long base = store.state().firstSeq();
                final AtomicLong claimed = new AtomicLong();
                final AtomicLong done = new AtomicLong();
                final AtomicReference<String> stuck = new AtomicReference<>();
                final Timeline timeline = s.iterations() >= Timeline.BUCKETS ? new Timeline(s.iterations()) : null;
                final List<Histogram> histograms = new ArrayList<>();
                final List<Thread> workers = new ArrayList<>();
                final long start = System.nanoTime();
                final long deadline = start + s.timeLimitNanos();
                if (timeline != null)
                {
                    timeline.start();
                }
                try (Progress p = Progress.start(s.progress(), backend.name() + " seed", s.iterations()))
                {
                    for (int t = 0; t < s.threads(); t++)
                    {
                        final Histogram h = Latency.newHistogram();
                        histograms.add(h);
                        final Thread worker = new Thread(
                            () -> consume(store, base, s.iterations(), claimed, done, h, timeline, p, stuck, deadline),
                            "seed-consumer-" + t);
                        worker.setDaemon(true);
                        workers.add(worker);
                        worker.start();
                    }
                    for (final Thread worker : workers)
                    {
                        worker.join();
                    }
                }
                r.seconds = (System.nanoTime() - start) / 1e9;
                final StoreStats after = store.stats();
                final Histogram all = Latency.newHistogram();
                histograms.forEach(all::add);
                r.ops = done.get();
                r.stoppedByTimeLimit = stuck.get() == null && r.ops < s.iterations();
                r.latency = Latency.of(all);
                // Each refused republish is one error (a lost one was refused too); a stuck loop is one more.
                r.errors = republisher.refused.get() + (stuck.get() != null ? 1 : 0);
                r.bytesAppended = republisher.bytes.get();
                r.bytesWritten = after.bytesWritten() - before.bytesWritten();
                r.compactions = after.compactions() - before.compactions();
                r.bytesOnDisk = after.bytesOnDisk();
                r.extra.put("republishRefused", republisher.refused.get());
                r.extra.put("republishRefusedAttempts", republisher.refusedAttempts.get());
                r.extra.put("republishLost", republisher.failed.get());
                r.extra.put("liveMsgsAtEnd", store.state().msgs());
                r.extra.put("directoryBytes", TempDirectory.sizeOf(dir.path()));
                if (stuck.get() != null)
                {
                    r.extra.put("error", stuck.get());
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
     * One consumer: claims the next sequence (each consumed message is republished once, so the
     * sequences to consume are dense), waits until it is stored, and acks it by removing it.
     */
    private static void consume(
        final StreamStore store,
        final long base,
        final long iterations,
        final AtomicLong claimed,
        final AtomicLong done,
        final Histogram histogram,
        final Timeline timeline,
        final Progress progress,
        final AtomicReference<String> stuck,
        final long deadlineNanos)
    {
        long i;
        while (stuck.get() == null && System.nanoTime() - deadlineNanos < 0 &&
            (i = claimed.getAndIncrement()) < iterations)
        {
            final long seq = base + i;
            final long t0 = System.nanoTime();
            StoredMessage message;
            while ((message = store.load(seq)) == null)
            {
                final long now = System.nanoTime();
                if (now - deadlineNanos > 0)
                {
                    return; // the time limit ends the loop; the result says it was stopped
                }
                if (now - t0 > STUCK_NANOS || stuck.get() != null)
                {
                    stuck.compareAndSet(null, "sequence " + seq + " never arrived within 10 s: a republish was lost " +
                        "(lastSeq " + store.state().lastSeq() + ")");
                    return;
                }
                Thread.yield();
            }
            store.remove(message.seq());
            final long t1 = System.nanoTime();
            histogram.recordValue(t1 - t0);
            final long finished = done.incrementAndGet();
            if (timeline != null)
            {
                timeline.finished(finished);
            }
            if ((finished & Progress.MASK) == 0)
            {
                progress.stepTo(finished);
            }
        }
    }

    /** The broker's ack reply: republish on the acked subject, counting every refusal. */
    private static final class Republisher implements StoreListener
    {
        final AtomicLong refused = new AtomicLong();
        final AtomicLong refusedAttempts = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        private final StreamStore store;
        private final Feed feed;

        Republisher(final StreamStore store, final Feed feed)
        {
            this.store = store;
            this.feed = feed;
        }

        @Override
        public void onRemoved(final long seq, final String subject, final RemovalReason reason)
        {
            if (reason != RemovalReason.REMOVED)
            {
                return;
            }
            for (int attempt = 0; attempt < REPUBLISH_TRIES; attempt++)
            {
                try
                {
                    store.append(subject, null, feed.payload());
                    bytes.addAndGet(feed.sizeOf(subject));
                    return;
                }
                catch (final LimitExceededException e)
                {
                    // The seed's bug: the hook ran while the acked message still counted against the limit.
                    if (attempt == 0)
                    {
                        refused.incrementAndGet();
                    }
                    refusedAttempts.incrementAndGet();
                    Thread.yield();
                }
            }
            failed.incrementAndGet();
        }
    }
}
