package io.streamstore.bench;

import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import org.HdrHistogram.Histogram;

import java.util.List;

/** Appends N messages to an empty {@code LIMITS} stream, then one {@code sync()}: raw ingest speed and its cost. */
final class AppendWorkload implements Workload
{
    static final long DEFAULT_MESSAGES = 1_000_000;

    @Override
    public String name()
    {
        return "append";
    }

    @Override
    public long messages(final BenchSettings s)
    {
        return s.messagesOr(DEFAULT_MESSAGES);
    }

    @Override
    public String describe(final BenchSettings s)
    {
        return String.format("append: %,d messages x %d B on %d subjects into an empty stream, then sync() (sync %s)",
            s.messagesOr(DEFAULT_MESSAGES), s.payload(), s.subjects(), s.syncName());
    }

    @Override
    public List<RunResult> run(final Backend backend, final BenchSettings s) throws Exception
    {
        final long messages = s.messagesOr(DEFAULT_MESSAGES);
        final Feed feed = new Feed("q", s.subjects(), s.payload());
        final StreamConfig config = s.config("append").build();
        final RunResult r = new RunResult(name(), backend.name(), "append");
        try (TempDirectory dir = TempDirectory.create(s.workDirectory(), backend.name() + "-append"))
        {
            final long heapBefore = HeapMeter.usedAfterGc();
            final StreamStore store = backend.open(dir.path(), config);
            try
            {
                final StoreStats before = store.stats();
                final Histogram histogram = Latency.newHistogram();
                final byte[] payload = feed.payload();
                long bytes = 0;
                final long start = System.nanoTime();
                try (Progress p = Progress.start(s.progress(), backend.name() + " append", messages))
                {
                    for (long i = 0; i < messages; i++)
                    {
                        final long t0 = System.nanoTime();
                        store.append(feed.subject(i), null, payload);
                        histogram.recordValue(System.nanoTime() - t0);
                        bytes += feed.size(i);
                        if ((i & Progress.MASK) == 0)
                        {
                            p.stepTo(i);
                        }
                    }
                    p.stepTo(messages);
                }
                r.seconds = (System.nanoTime() - start) / 1e9;
                final long syncStart = System.nanoTime();
                store.sync();
                r.extra.put("syncAfterMillis", (System.nanoTime() - syncStart) / 1e6);
                final StoreStats after = store.stats();
                r.ops = messages;
                r.latency = Latency.of(histogram);
                r.bytesAppended = bytes;
                r.bytesWritten = after.bytesWritten() - before.bytesWritten();
                r.compactions = after.compactions() - before.compactions();
                r.bytesOnDisk = after.bytesOnDisk();
                r.heapBytesPerMillionMsgs = HeapMeter.perMillion(HeapMeter.usedAfterGc() - heapBefore, messages);
                r.extra.put("directoryBytes", TempDirectory.sizeOf(dir.path()));
                if (store.state().msgs() != messages)
                {
                    r.errors++;
                    r.extra.put("error", "the stream held " + store.state().msgs() + " messages, not " + messages);
                }
            }
            finally
            {
                store.close();
            }
        }
        return List.of(r);
    }
}
