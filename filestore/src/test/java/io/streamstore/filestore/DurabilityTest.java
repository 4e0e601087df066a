package io.streamstore.filestore;

import io.streamstore.conformance.KitThreads;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sync policies, group commit and the durability hook. */
class DurabilityTest
{
    @TempDir
    Path tmp;

    private static String lastStep(final FaultyFileIo io)
    {
        final List<String> log = io.log();
        return log.isEmpty() ? "" : log.get(log.size() - 1);
    }

    @Test
    void underAlwaysTheAckHookAndTheDurableHookRunOnlyAfterAForce() throws IOException
    {
        final FaultyFileIo io = new FaultyFileIo();
        final List<String> seen = new CopyOnWriteArrayList<>();
        try (FileStore s = FileStore.open(tmp.resolve("s"), Fixtures.config().sync(SyncPolicy.always()).build(), io))
        {
            io.arm(Long.MAX_VALUE);
            s.addListener(new StoreListener()
            {
                @Override
                public void onAppended(final long seq, final String subject)
                {
                    seen.add("appended " + seq + " after " + lastStep(io));
                }

                @Override
                public void onRemoved(final long seq, final String subject, final RemovalReason reason)
                {
                    seen.add("removed " + seq + " after " + lastStep(io));
                }

                @Override
                public void onDurable(final long upToSeq)
                {
                    seen.add("durable " + upToSeq + " after " + lastStep(io));
                }
            });
            s.append("a", new byte[]{1});
            s.append("a", new byte[]{2});
            s.remove(1);
        }
        for (final String line : seen)
        {
            assertTrue(line.endsWith("after force ") || line.contains("after forceDirectory"), line);
        }
        assertTrue(seen.contains("durable 1 after force ") || seen.stream().anyMatch(l -> l.startsWith("durable 1")),
            seen.toString());
        assertTrue(seen.stream().anyMatch(l -> l.startsWith("removed 1")), seen.toString());
    }

    @Test
    void underNeverOnDurableFiresOnSyncAndClose() throws IOException
    {
        final List<Long> durable = new CopyOnWriteArrayList<>();
        final FileStore s = Fixtures.open(tmp.resolve("s"), Fixtures.config().build());
        s.addListener(new StoreListener()
        {
            @Override
            public void onDurable(final long upToSeq)
            {
                durable.add(upToSeq);
            }
        });
        s.append("a", new byte[]{1});
        s.append("a", new byte[]{2});
        assertEquals(List.of(), durable, "nothing is durable before a sync under never()");
        s.sync();
        assertEquals(List.of(2L), durable);
        s.append("a", new byte[]{3});
        s.close();
        assertEquals(List.of(2L, 3L), durable);
    }

    @Test
    void underEveryABackgroundFlusherMakesChangesDurable() throws Exception
    {
        final CountDownLatch latch = new CountDownLatch(1);
        final StreamConfig config = Fixtures.config().sync(SyncPolicy.every(Duration.ofMillis(20))).build();
        try (FileStore s = Fixtures.open(tmp.resolve("s"), config))
        {
            s.addListener(new StoreListener()
            {
                @Override
                public void onDurable(final long upToSeq)
                {
                    if (upToSeq == 3)
                    {
                        latch.countDown();
                    }
                }
            });
            s.append("a", new byte[]{1});
            s.append("a", new byte[]{2});
            s.append("a", new byte[]{3});
            assertTrue(latch.await(30, TimeUnit.SECONDS), "the flusher never made sequence 3 durable");
            assertTrue(s.stats().syncs() >= 1);
        }
    }

    /** Waiters that park at once (0) and waiters that yield first (the default), see Flusher#spinUntilReleased. */
    private static StreamConfig always(final long spinMicros)
    {
        return Fixtures.config().sync(SyncPolicy.always())
            .option(FileStore.SPIN_WAIT_OPTION, String.valueOf(spinMicros)).build();
    }

    @ParameterizedTest(name = "spin-wait {0} us")
    @ValueSource(longs = {0, FileStore.DEFAULT_SPIN_WAIT_MICROS})
    void concurrentWritersUnderAlwaysShareForces(final long spinMicros) throws Exception
    {
        final int threads = 16;
        final int each = 40;
        try (FileStore s = Fixtures.open(tmp.resolve("s"), always(spinMicros)))
        {
            final long syncsBefore = s.stats().syncs();
            KitThreads.runConcurrently("durable writers", threads, Duration.ofMinutes(2), id ->
            {
                for (int i = 0; i < each; i++)
                {
                    s.append("w." + id, Fixtures.payload(i, 64));
                }
            });
            assertEquals(threads * each, s.state().msgs());
            final long syncs = s.stats().syncs() - syncsBefore;
            // the leader gathers the writers the previous force released, so a force covers most of them
            assertTrue(syncs <= threads * each / 4, "group commit: " + syncs + " forces for " + threads * each +
                " appends, expected at most one per 4 appends");
            System.out.println("group commit: " + syncs + " forces for " + threads * each + " appends");
        }
    }

    @ParameterizedTest(name = "spin-wait {0} us")
    @ValueSource(longs = {0, FileStore.DEFAULT_SPIN_WAIT_MICROS})
    void durableWritersThatStopOneByOneNeverStrandTheOthers(final long spinMicros) throws Exception
    {
        // the leader gathers as many writers as the last force released; when they stop one by one (thread t
        // writes t + 1 appends), each gather must give up in time and every append must still return durable
        final int threads = 16;
        try (FileStore s = Fixtures.open(tmp.resolve("s"), always(spinMicros)))
        {
            final List<Long> durableUpTo = new CopyOnWriteArrayList<>();
            s.addListener(new StoreListener()
            {
                @Override
                public void onDurable(final long upToSeq)
                {
                    durableUpTo.add(upToSeq);
                }
            });
            // a writer still waiting after the timeout fails the run: stranded
            KitThreads.runConcurrently("durable writers", threads, Duration.ofSeconds(60), id ->
            {
                for (int i = 0; i <= id; i++)
                {
                    s.append("w." + id, Fixtures.payload(i, 32));
                }
            });
            assertEquals(threads * (threads + 1) / 2, s.state().msgs());
            assertEquals(s.state().lastSeq(), durableUpTo.stream().mapToLong(Long::longValue).max().orElse(0),
                "onDurable covered every append by the time the last writer returned");
        }
    }

    @Test
    void aSpinWaitOutOfRangeIsRefusedByName()
    {
        final StreamConfig config = Fixtures.config().sync(SyncPolicy.always())
            .option(FileStore.SPIN_WAIT_OPTION, "10001").build();
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Fixtures.open(tmp.resolve("s"), config).close());
        assertTrue(e.getMessage().contains(FileStore.SPIN_WAIT_OPTION), e.getMessage());
    }
}
