package io.streamstore.bench;

import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import org.HdrHistogram.Histogram;

import java.util.List;

/**
 * Fills N messages, then reads them back twice: every sequence with {@code load(seq)}, and the messages of
 * one subject with {@code loadNext(subject, from)} (1 in {@code --subjects} matches, so a store without a
 * subject index pays for the skipping).
 */
final class ReadWorkload implements Workload
{
    static final long DEFAULT_MESSAGES = 1_000_000;

    @Override
    public String name()
    {
        return "read";
    }

    @Override
    public long messages(final BenchSettings s)
    {
        return s.messagesOr(DEFAULT_MESSAGES);
    }

    @Override
    public String describe(final BenchSettings s)
    {
        return String.format("read: fill %,d messages x %d B on %d subjects, then load(seq) of every sequence, " +
            "then loadNext(\"q.0\", from) over one subject's messages (sync %s)",
            s.messagesOr(DEFAULT_MESSAGES), s.payload(), s.subjects(), s.syncName());
    }

    @Override
    public List<RunResult> run(final Backend backend, final BenchSettings s) throws Exception
    {
        final long messages = s.messagesOr(DEFAULT_MESSAGES);
        final Feed feed = new Feed("q", s.subjects(), s.payload());
        final StreamConfig config = s.config("read").build();
        final RunResult sequential = new RunResult(name(), backend.name(), "load(seq) all");
        final String filter = feed.subject(0);
        final RunResult filtered = new RunResult(name(), backend.name(), "loadNext(" + filter + ")");
        try (TempDirectory dir = TempDirectory.create(s.workDirectory(), backend.name() + "-read"))
        {
            final StreamStore store = backend.open(dir.path(), config);
            try
            {
                try (Progress p = Progress.start(s.progress(), backend.name() + " fill", messages))
                {
                    feed.fill(store, messages, p);
                }
                final long first = store.state().firstSeq();
                final long last = store.state().lastSeq();

                Histogram histogram = Latency.newHistogram();
                long found = 0;
                long start = System.nanoTime();
                try (Progress p = Progress.start(s.progress(), backend.name() + " load", messages))
                {
                    for (long seq = first; seq <= last; seq++)
                    {
                        final long t0 = System.nanoTime();
                        final StoredMessage m = store.load(seq);
                        histogram.recordValue(System.nanoTime() - t0);
                        if (m != null)
                        {
                            found++;
                        }
                        if ((seq & Progress.MASK) == 0)
                        {
                            p.stepTo(seq - first);
                        }
                    }
                    p.stepTo(messages);
                }
                sequential.seconds = (System.nanoTime() - start) / 1e9;
                sequential.ops = found;
                sequential.errors = messages - found;
                sequential.latency = Latency.of(histogram);

                final long expected = store.subjectState(filter).msgs();
                histogram = Latency.newHistogram();
                found = 0;
                start = System.nanoTime();
                try (Progress p = Progress.start(s.progress(), backend.name() + " loadNext", expected))
                {
                    long from = first;
                    while (true)
                    {
                        final long t0 = System.nanoTime();
                        final StoredMessage m = store.loadNext(filter, from);
                        histogram.recordValue(System.nanoTime() - t0);
                        if (m == null)
                        {
                            break;
                        }
                        found++;
                        from = m.seq() + 1;
                        if ((found & Progress.MASK) == 0)
                        {
                            p.stepTo(found);
                        }
                    }
                    p.stepTo(found);
                }
                filtered.seconds = (System.nanoTime() - start) / 1e9;
                filtered.ops = found;
                filtered.errors = Math.abs(expected - found);
                filtered.latency = Latency.of(histogram);
                filtered.extra.put("expectedMatches", expected);
                for (final RunResult r : List.of(sequential, filtered))
                {
                    r.bytesOnDisk = store.stats().bytesOnDisk();
                    r.compactions = store.stats().compactions();
                }
            }
            finally
            {
                store.close();
            }
        }
        return List.of(sequential, filtered);
    }
}
