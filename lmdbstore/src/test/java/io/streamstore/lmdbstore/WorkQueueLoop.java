package io.streamstore.lmdbstore;

import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A rough measurement, not a test: the bench's work-queue loop (fill 100,000 x 100 B on ten subjects, then
 * 200,000 x remove-oldest + append; 2,000 and 2,000 under {@code always}) under a sync policy, and concurrent
 * appenders under {@code always}. Run: {@code java -cp <test class path> io.streamstore.lmdbstore.WorkQueueLoop
 * never|every|always [passes]} or {@code ... WorkQueueLoop writers THREADS SECONDS}.
 */
public final class WorkQueueLoop
{
    private WorkQueueLoop()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String mode = args.length > 0 ? args[0] : "never";
        if (mode.equals("writers"))
        {
            writers(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            return;
        }
        final SyncPolicy policy = mode.equals("every") ? SyncPolicy.every(Duration.ofMillis(100)) :
            mode.equals("always") ? SyncPolicy.always() : SyncPolicy.never();
        // a force per change: a shorter loop, or it takes minutes
        final int fill = mode.equals("always") ? 2_000 : 100_000;
        final int iterations = mode.equals("always") ? 2_000 : 200_000;
        final int passes = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        final byte[] payload = new byte[100];
        final String[] subjects = new String[10];
        for (int i = 0; i < 10; i++)
        {
            subjects[i] = "q." + i;
        }
        for (int pass = 0; pass < passes; pass++)
        {
            final Path dir = Files.createTempDirectory("wq");
            try (StreamStore s = new LmdbStoreProvider().open(dir, StreamConfig.builder("wq").sync(policy).build()))
            {
                final ArrayDeque<Long> live = new ArrayDeque<>();
                final long t0 = System.nanoTime();
                for (int i = 0; i < fill; i++)
                {
                    live.add(s.append(subjects[i % 10], null, payload));
                }
                final long t1 = System.nanoTime();
                final StoreStats start = s.stats();
                long appended = 0;
                for (int i = 0; i < iterations; i++)
                {
                    s.remove(live.poll());
                    live.add(s.append(subjects[i % 10], null, payload));
                    appended += 103;
                }
                final long t2 = System.nanoTime();
                s.sync();
                final StoreStats end = s.stats();
                deleteOnExit(dir);
                System.out.printf("%s pass %d: fill %,.0f msgs/s, wq %,.0f iterations/s, written/appended %.2f, " +
                        "on disk %,d B%n", policy, pass, 100_000 / ((t1 - t0) / 1e9), 200_000 / ((t2 - t1) / 1e9),
                    (double)(end.bytesWritten() - start.bytesWritten()) / appended, end.bytesOnDisk());
            }
        }
    }

    private static void deleteOnExit(final Path dir)
    {
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            try (java.util.stream.Stream<Path> files = Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            catch (final java.io.IOException ignore)
            {
                // best effort: a temporary directory
            }
        }));
    }

    private static void writers(final int threads, final int seconds) throws Exception
    {
        final Path dir = Files.createTempDirectory("wr");
        try (StreamStore s = new LmdbStoreProvider().open(dir, StreamConfig.builder("w").sync(SyncPolicy.always()).build()))
        {
            final AtomicLong count = new AtomicLong();
            final long end = System.nanoTime() + seconds * 1_000_000_000L;
            final CountDownLatch done = new CountDownLatch(threads);
            final long syncs0 = s.stats().syncs();
            final long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++)
            {
                final int id = t;
                new Thread(() ->
                {
                    final byte[] p = new byte[100];
                    while (System.nanoTime() < end)
                    {
                        s.append("w." + id, null, p);
                        count.incrementAndGet();
                    }
                    done.countDown();
                }).start();
            }
            done.await();
            final double secs = (System.nanoTime() - t0) / 1e9;
            deleteOnExit(dir);
            System.out.printf("always, %d writers: %,.0f appends/s, %.1f appends per force%n", threads,
                count.get() / secs, (double)count.get() / (s.stats().syncs() - syncs0));
        }
    }
}
