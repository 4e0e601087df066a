package io.streamstore.bench;

import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Random;

/**
 * Fills N messages, then removes a share of them (half by default) in random order: the interior
 * deletes of a broker acking out of order, and the compaction they cause.
 */
final class RemoveRandomWorkload implements Workload
{
    static final long DEFAULT_MESSAGES = 1_000_000;

    @Override
    public String name()
    {
        return "remove-random";
    }

    @Override
    public long messages(final BenchSettings s)
    {
        return s.messagesOr(DEFAULT_MESSAGES);
    }

    @Override
    public String describe(final BenchSettings s)
    {
        final long messages = s.messagesOr(DEFAULT_MESSAGES);
        return String.format(
            "remove-random: fill %,d messages x %d B, then remove %,d of them (%.0f %%) in random order (sync %s)",
            messages, s.payload(), removals(messages, s), s.removeFraction() * 100, s.syncName());
    }

    private static long removals(final long messages, final BenchSettings s)
    {
        return Math.round(messages * s.removeFraction());
    }

    @Override
    public List<RunResult> run(final Backend backend, final BenchSettings s) throws Exception
    {
        final long messages = s.messagesOr(DEFAULT_MESSAGES);
        if (messages > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("--messages: remove-random shuffles the sequences in memory; at most " +
                Integer.MAX_VALUE + ", was " + messages);
        }
        final int removals = (int)removals(messages, s);
        final Feed feed = new Feed("q", s.subjects(), s.payload());
        final StreamConfig config = s.config("remove-random").build();
        final RunResult r = new RunResult(name(), backend.name(), "remove " + Math.round(s.removeFraction() * 100) + " %");
        try (TempDirectory dir = TempDirectory.create(s.workDirectory(), backend.name() + "-remove"))
        {
            final StreamStore store = backend.open(dir.path(), config);
            try
            {
                try (Progress p = Progress.start(s.progress(), backend.name() + " fill", messages))
                {
                    feed.fill(store, messages, p);
                }
                final long first = store.state().firstSeq();
                final long[] order = shuffledSequences(first, (int)messages);
                final StoreStats before = store.stats();
                final Histogram histogram = Latency.newHistogram();
                long removed = 0;
                final long start = System.nanoTime();
                try (Progress p = Progress.start(s.progress(), backend.name() + " remove", removals))
                {
                    for (int i = 0; i < removals; i++)
                    {
                        final long t0 = System.nanoTime();
                        if (store.remove(order[i]))
                        {
                            removed++;
                        }
                        histogram.recordValue(System.nanoTime() - t0);
                        if ((i & Progress.MASK) == 0)
                        {
                            p.stepTo(i);
                        }
                    }
                    p.stepTo(removals);
                }
                r.seconds = (System.nanoTime() - start) / 1e9;
                final StoreStats after = store.stats();
                r.ops = removals;
                r.errors = removals - removed;
                r.latency = Latency.of(histogram);
                r.bytesWritten = after.bytesWritten() - before.bytesWritten();
                r.compactions = after.compactions() - before.compactions();
                r.bytesOnDisk = after.bytesOnDisk();
                r.extra.put("bytesWrittenPerRemove", removals > 0 ? (double)r.bytesWritten / removals : 0.0);
                r.extra.put("tombstones", after.tombstones() - before.tombstones());
                r.extra.put("liveMsgsAtEnd", store.state().msgs());
                r.extra.put("directoryBytes", TempDirectory.sizeOf(dir.path()));
            }
            finally
            {
                store.close();
            }
        }
        return List.of(r);
    }

    /** Sequences {@code first … first+count-1} in a fixed random order (Fisher-Yates, seed 42). */
    static long[] shuffledSequences(final long first, final int count)
    {
        final long[] order = new long[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = first + i;
        }
        final Random random = new Random(42);
        for (int i = count - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final long t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
