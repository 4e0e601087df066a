package io.streamstore.filestore;

import io.streamstore.spi.Retention;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * Rough timing of the workloads (not a test, not a benchmark: a sanity check while developing).
 * {@code java -cp ... io.streamstore.filestore.PerfMain [dir]}
 */
public final class PerfMain
{
    private PerfMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path root = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("perf");
        final byte[] payload = new byte[100];
        final String[] subjects = new String[10];
        for (int i = 0; i < 10; i++)
        {
            subjects[i] = "q." + i;
        }
        for (final int writers : new int[]{1, 16})
        {
            final Path dir = root.resolve("always" + writers);
            final StreamConfig config = StreamConfig.builder("always").build();
            try (StreamStore s = new FileStoreProvider().open(dir, config))
            {
                final int each = 3000 / writers * (writers == 1 ? 1 : 4);
                final Thread[] threads = new Thread[writers];
                final long start = System.nanoTime();
                for (int t = 0; t < writers; t++)
                {
                    final String subject = "w." + t;
                    threads[t] = new Thread(() ->
                    {
                        for (int i = 0; i < each; i++)
                        {
                            s.append(subject, payload);
                        }
                    });
                    threads[t].start();
                }
                for (final Thread t : threads)
                {
                    t.join();
                }
                final long ns = System.nanoTime() - start;
                System.out.printf("always, %d writer(s): %,.0f appends/s (%d forces for %d appends)%n", writers,
                    writers * each / (ns / 1e9), s.stats().syncs(), writers * each);
            }
            Fixtures.deleteDirectory(dir);
        }
        for (int round = 0; round < 3; round++)
        {
            final Path wq = root.resolve("wq" + round);
            final StreamConfig wqConfig = StreamConfig.builder("wq").retention(Retention.WORK_QUEUE)
                .sync(SyncPolicy.never()).build();
            try (StreamStore s = new FileStoreProvider().open(wq, wqConfig))
            {
                final ArrayDeque<Long> live = new ArrayDeque<>();
                for (int i = 0; i < 100_000; i++)
                {
                    live.add(s.append(subjects[i % 10], payload));
                }
                final long start = System.nanoTime();
                for (int i = 0; i < 200_000; i++)
                {
                    s.remove(live.poll());
                    live.add(s.append(subjects[i % 10], payload));
                }
                final long ns = System.nanoTime() - start;
                System.out.printf("wq loop: %,.0f iterations/s  %s%n", 200_000 / (ns / 1e9), s.stats());
            }
            final Path ap = root.resolve("ap" + round);
            final StreamConfig apConfig = StreamConfig.builder("ap").sync(SyncPolicy.never()).build();
            try (StreamStore s = new FileStoreProvider().open(ap, apConfig))
            {
                final long start = System.nanoTime();
                for (int i = 0; i < 1_000_000; i++)
                {
                    s.append(subjects[i % 10], payload);
                }
                final long ns = System.nanoTime() - start;
                System.out.printf("append 1M: %,.0f msgs/s%n", 1_000_000 / (ns / 1e9));
            }
            try (StreamStore s = new FileStoreProvider().open(ap, apConfig))
            {
                final java.util.Random random = new java.util.Random(round);
                final long[] order = new long[1_000_000];
                for (int i = 0; i < order.length; i++)
                {
                    order[i] = i + 1;
                }
                for (int i = order.length - 1; i > 0; i--)
                {
                    final int j = random.nextInt(i + 1);
                    final long t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                s.state();
                final long start = System.nanoTime();
                for (int i = 0; i < 500_000; i++)
                {
                    s.remove(order[i]);
                }
                final long ns = System.nanoTime() - start;
                System.out.printf("remove 50%% at random: %,.0f removes/s (%d compactions)%n", 500_000 / (ns / 1e9),
                    s.stats().compactions());
            }
            Fixtures.deleteDirectory(ap);
            try (StreamStore s = new FileStoreProvider().open(ap, apConfig))
            {
                for (int i = 0; i < 1_000_000; i++)
                {
                    s.append(subjects[i % 10], payload);
                }
            }
            long start = System.nanoTime();
            try (StreamStore s = new FileStoreProvider().open(ap, apConfig))
            {
                System.out.printf("reopen with index: %.1f ms (%s)%n", (System.nanoTime() - start) / 1e6, s.state());
            }
            Files.deleteIfExists(ap.resolve(IndexFile.FILE_NAME));
            start = System.nanoTime();
            try (StreamStore s = new FileStoreProvider().open(ap, apConfig))
            {
                System.out.printf("reopen by scan: %.1f ms (%s)%n", (System.nanoTime() - start) / 1e6, s.state());
            }
            Fixtures.deleteDirectory(wq);
            Fixtures.deleteDirectory(ap);
        }
    }
}
