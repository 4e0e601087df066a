package io.streamstore.lmdbstore;

import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same random calls against three configurations that take different paths inside the store: batched
 * commits ({@code never}), a commit per change ({@code always}), and a 1 MiB initial map that must grow
 * many times (each growth aborts the batch and replays it). Every answer, hook and state must agree, also
 * across reopens and compactions.
 */
class DifferentialTest
{
    private static final String[] SUBJECTS = {"a.1", "a.2", "b.1", "b.2.x", "c"};
    private static final String[] FILTERS = {">", "a.*", "a.1", "b.>", "*.2.*", "c", "none"};

    @TempDir
    Path tmp;

    private static final class Run
    {
        final Path dir;
        final StreamConfig config;
        final List<String> out = new ArrayList<>();
        StreamStore store;

        Run(final Path dir, final StreamConfig config) throws IOException
        {
            this.dir = dir;
            this.config = config;
            open();
        }

        void open() throws IOException
        {
            store = new LmdbStoreProvider().open(dir, config);
            store.addListener(new StoreListener()
            {
                @Override
                public void onAppended(final long seq, final String subject)
                {
                    out.add("+" + seq + " " + subject);
                }

                @Override
                public void onRemoved(final long seq, final String subject, final RemovalReason reason)
                {
                    out.add("-" + seq + " " + subject + " " + reason);
                }
            });
        }
    }

    @Test
    void batchedPerChangeAndGrowingStoresGiveTheSameAnswers() throws IOException
    {
        final long seed = Long.getLong("streamstore.seed", 5L);
        final StreamConfig.Builder base = StreamConfig.builder("d").maxMsgs(1000).maxMsgsPerSubject(300);
        final List<Run> runs = List.of(
            new Run(tmp.resolve("never"), base.sync(SyncPolicy.never()).build()),
            new Run(tmp.resolve("always"), base.sync(SyncPolicy.always()).build()),
            new Run(tmp.resolve("grow"), base.sync(SyncPolicy.never()).option(LmdbStoreProvider.MAP_SIZE, "1048576").build()));
        final Random random = new Random(seed);
        long largestGrowingFile = 0;
        for (int step = 0; step < 1500; step++)
        {
            final int op = random.nextInt(100);
            final String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
            final int size = random.nextInt(5) == 0 ? 4000 + random.nextInt(12000) : random.nextInt(300);
            final long seq = 1 + random.nextInt(Math.max(1, step));
            final String filter = FILTERS[random.nextInt(FILTERS.length)];
            final byte[] headers = random.nextInt(5) == 0 ? new byte[]{1, 2} : null;
            for (final Run run : runs)
            {
                final StreamStore s = run.store;
                final String result;
                if (step == 1000 || step == 1400)
                {
                    result = "purge " + s.purge();
                }
                else if (op < 60)
                {
                    result = "append " + s.append(subject, headers, payload(size, step));
                }
                else if (op < 70)
                {
                    result = "remove " + s.remove(seq);
                }
                else if (op < 80)
                {
                    result = "loadNext " + describe(s.loadNext(filter, seq));
                }
                else if (op < 88)
                {
                    result = "load " + describe(s.load(seq)) + " last " + describe(s.loadLast(subject));
                }
                else if (op < 95)
                {
                    result = s.state() + " " + s.subjectState(subject);
                }
                else if (op < 97)
                {
                    s.close();
                    run.open();
                    result = "reopened " + run.store.state();
                }
                else
                {
                    s.compact();
                    result = "compacted";
                }
                run.out.add(step + ": " + result);
            }
            largestGrowingFile = Math.max(largestGrowingFile, runs.get(2).store.stats().bytesOnDisk());
        }
        assertTrue(largestGrowingFile > 1 << 20,
            "the store with a 1 MiB initial map grew past it: its file reached " + largestGrowingFile + " bytes");
        for (final Run run : runs)
        {
            run.out.add("final " + run.store.state());
            run.store.close();
        }
        assertEquals(runs.get(0).out, runs.get(1).out, "never vs always, seed " + seed);
        assertEquals(runs.get(0).out, runs.get(2).out, "never vs a growing map, seed " + seed);
    }

    private static String describe(final StoredMessage m)
    {
        return m == null ? "null" : m.seq() + "/" + m.subject() + "/" + Arrays.hashCode(m.headers()) + "/" +
            Arrays.hashCode(m.payload());
    }

    private static byte[] payload(final int size, final long salt)
    {
        final byte[] b = new byte[size];
        new Random(salt).nextBytes(b);
        return b;
    }
}
