package io.streamstore.lmdbstore;

import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StoreFullException;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreLockedException;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStores;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LmdbStoreTest
{
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    private static StreamStore open(final Path dir, final StreamConfig config) throws IOException
    {
        return new LmdbStoreProvider().open(dir, config);
    }

    private static StreamConfig.Builder cfg(final SyncPolicy policy)
    {
        return StreamConfig.builder("t").sync(policy);
    }

    private static byte[] payload(final int size, final long salt)
    {
        final byte[] b = new byte[size];
        for (int i = 0; i < size; i++)
        {
            b[i] = (byte)(salt * 31 + i);
        }
        return b;
    }

    @Test
    void limitsStillHoldAfterReopen() throws IOException
    {
        // 3 B subject + 5 B payload = 8 B a message; bytes come from a scan at open, not from a saved figure
        final Path dir = tmp.resolve("limits");
        final StreamConfig config = cfg(SyncPolicy.never()).maxMsgs(10).build();
        try (StreamStore s = open(dir, config))
        {
            for (int i = 1; i <= 15; i++)
            {
                s.append("lim", null, payload(5, i));
            }
        }
        try (StreamStore s = open(dir, config))
        {
            assertEquals(new StreamState(10, 80, 6, 15, 0, 1), s.state());
            s.append("lim", null, payload(5, 16));
            assertEquals(new StreamState(10, 80, 7, 16, 0, 1), s.state());
            assertNull(s.load(6));
        }
    }

    @Test
    void callsThatChangeNothingUnderAlwaysReturnAtOnceAndLeaveTheStoreWorking() throws IOException
    {
        try (StreamStore s = open(tmp.resolve("noop"), cfg(SyncPolicy.always()).build()))
        {
            assertEquals(0, s.purge());
            assertFalse(s.remove(5));
            assertEquals(1, s.append("a", null, payload(4, 1)));
            assertFalse(s.remove(7));
            assertTrue(s.remove(1));
            assertFalse(s.remove(1));
            assertEquals(2, s.append("a", null, payload(4, 2)));
            assertEquals(new StreamState(1, 5, 2, 2, 0, 1), s.state());
        }
    }

    @Test
    void aCompactionCopyLeftByACrashIsDiscardedAtOpenAndTheStoreIsIntact() throws IOException
    {
        // the crash point between writing the copy and renaming it over data.mdb
        final Path dir = tmp.resolve("compact-crash");
        final StreamConfig config = cfg(SyncPolicy.never()).build();
        try (StreamStore s = open(dir, config))
        {
            for (int i = 1; i <= 100; i++)
            {
                s.append("k", null, payload(100, i));
            }
            s.remove(50);
        }
        Files.write(dir.resolve(LmdbStore.COMPACT_FILE), payload(10_000, 3));
        try (StreamStore s = open(dir, config))
        {
            assertFalse(Files.exists(dir.resolve(LmdbStore.COMPACT_FILE)));
            assertEquals(new StreamState(99, 99 * 101, 1, 100, 1, 1), s.state());
            assertNull(s.load(50));
            assertArrayEquals(payload(100, 51), s.load(51).payload());
            s.compact();
            assertEquals(new StreamState(99, 99 * 101, 1, 100, 1, 1), s.state());
        }
    }

    @Test
    void providerIsFoundByNameAndIsDurable()
    {
        assertTrue(StreamStores.providers().contains("lmdb"));
        assertTrue(StreamStores.provider("lmdb").durable());
    }

    @Test
    void theMapGrowsFromATinyInitialSizeAndKeepsEveryMessage() throws IOException
    {
        final Path dir = tmp.resolve("grow");
        final StreamConfig config = cfg(SyncPolicy.never()).option(LmdbStoreProvider.MAP_SIZE, Long.toString(MIB)).build();
        try (StreamStore s = open(dir, config))
        {
            for (int i = 1; i <= 2000; i++)
            {
                assertEquals(i, s.append("g." + (i % 7), null, payload(4000, i)));
            }
            assertEquals(2000, s.state().msgs());
            assertArrayEquals(payload(4000, 1234), s.load(1234).payload());
            s.sync();
            assertTrue(s.stats().bytesOnDisk() > 8 * MIB, "the file grew past the initial 1 MiB map: " + s.stats());
        }
        try (StreamStore s = open(dir, config))
        {
            for (int i = 1; i <= 2000; i++)
            {
                assertArrayEquals(payload(4000, i), s.load(i).payload(), "message " + i + " after reopen");
            }
        }
    }

    @Test
    void pastTheMapCeilingAnAppendIsStoreFullAndChangesNothing() throws IOException
    {
        for (final SyncPolicy policy : List.of(SyncPolicy.never(), SyncPolicy.always()))
        {
            final Path dir = tmp.resolve("full-" + policy.kind());
            final StreamConfig config = cfg(policy)
                .option(LmdbStoreProvider.MAP_SIZE, Long.toString(MIB))
                .option(LmdbStoreProvider.MAX_MAP_SIZE, Long.toString(2 * MIB))
                .build();
            final List<String> hooks = new CopyOnWriteArrayList<>();
            StreamState before = null;
            try (StreamStore s = open(dir, config))
            {
                s.addListener(new StoreListener()
                {
                    @Override
                    public void onAppended(final long seq, final String subject)
                    {
                        hooks.add("appended " + seq);
                    }
                });
                StoreFullException full = null;
                for (int i = 1; i <= 10_000 && full == null; i++)
                {
                    before = s.state();
                    try
                    {
                        s.append("f", null, payload(1000, i));
                    }
                    catch (final StoreFullException e)
                    {
                        full = e;
                    }
                }
                assertNotNull(full, policy + ": a 2 MiB ceiling must be reached by 10 MB of appends");
                assertTrue(full.getMessage().contains(LmdbStoreProvider.MAX_MAP_SIZE), full.getMessage());
                assertEquals(before, s.state(), policy + ": the refused append changed the state");
                assertEquals(before.msgs(), hooks.size(), policy + ": a hook ran for the refused append");
                assertArrayEquals(payload(1000, before.lastSeq()), s.load(before.lastSeq()).payload());
                assertNull(s.load(before.lastSeq() + 1));
                assertThrows(StoreFullException.class, () -> s.append("f", null, payload(1000, 0)));

                // a full map must still take removals (LMDB needs pages to delete): they may use a bounded slack
                for (long seq = 1; seq <= before.lastSeq() / 2; seq++)
                {
                    assertTrue(s.remove(seq));
                }
                s.sync();
                assertTrue(s.stats().bytesOnDisk() <= 3 * MIB + 4096, "the file stays within the ceiling plus the " +
                    "removal slack of 1 MiB: " + s.stats());
                assertEquals(before.lastSeq() + 1, s.append("f", null, payload(1000, before.lastSeq() + 1)),
                    policy + ": freed pages make room again, and the refused append used up no sequence");
            }
            try (StreamStore s = open(dir, config))
            {
                assertEquals(before.lastSeq() + 1, s.state().lastSeq(), policy + ": after reopen");
                assertArrayEquals(payload(1000, before.lastSeq()), s.load(before.lastSeq()).payload());
            }
        }
    }

    @Test
    void reopenKeepsLastSeqAfterPurgeSoSequencesNeverRepeat() throws IOException
    {
        final Path dir = tmp.resolve("purge");
        final StreamConfig config = cfg(SyncPolicy.never()).build();
        try (StreamStore s = open(dir, config))
        {
            for (int i = 1; i <= 50; i++)
            {
                s.append("p." + (i % 3), null, payload(10, i));
            }
            assertEquals(50, s.purge());
        }
        try (StreamStore s = open(dir, config))
        {
            assertEquals(new StreamState(0, 0, 51, 50, 0, 0), s.state());
            assertEquals(51, s.append("p.1", null, payload(10, 51)));
            assertEquals(51, s.loadLast("p.1").seq());
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryInThisProcessIsStoreLocked() throws IOException
    {
        final Path dir = tmp.resolve("locked");
        final StreamConfig config = cfg(SyncPolicy.never()).build();
        try (StreamStore s = open(dir, config))
        {
            s.append("a", null, payload(3, 1));
            assertThrows(StoreLockedException.class, () -> open(dir, config));
            assertThrows(StoreLockedException.class, () -> open(dir.resolve("..").resolve("locked"), config));
            assertEquals(1, s.state().msgs(), "the refused open did not disturb the open store");
        }
        try (StreamStore s = open(dir, config))
        {
            assertEquals(1, s.state().msgs());
        }
    }

    @Test
    void aSecondOpenFromAnotherProcessIsStoreLocked() throws Exception
    {
        final Path dir = tmp.resolve("locked-x");
        final StreamConfig config = cfg(SyncPolicy.never()).build();
        final Process child;
        try (StreamStore s = open(dir, config))
        {
            s.append("a", null, payload(3, 1));
            child = ChildJvm.start(tmp.resolve("stderr.txt"), LmdbChild.class, "hold", dir.toString());
            child.getOutputStream().close();
            assertTrue(readLine(child).startsWith("LOCKED"), "the other process must be refused");
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        final Process holder = ChildJvm.start(tmp.resolve("stderr.txt"), LmdbChild.class, "hold", dir.toString());
        try
        {
            assertEquals("OPEN 1", readLine(holder));
            assertThrows(StoreLockedException.class, () -> open(dir, config));
        }
        finally
        {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        try (StreamStore s = open(dir, config))
        {
            assertEquals(1, s.state().msgs(), "the lock is free once the other process closed the store");
        }
    }

    private static String readLine(final Process p) throws IOException
    {
        final BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        final String line = in.readLine();
        return line == null ? "<no output>" : line;
    }

    @Test
    void closeWaitsForCallsInFlightAndLaterCallsThrowStoreClosed() throws Exception
    {
        for (final SyncPolicy policy : List.of(SyncPolicy.never(), SyncPolicy.always()))
        {
            final Path dir = tmp.resolve("race-" + policy.kind());
            final StreamConfig config = cfg(policy).build();
            final StreamStore s = open(dir, config);
            final ConcurrentLinkedQueue<Long> appended = new ConcurrentLinkedQueue<>();
            final ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            final CountDownLatch started = new CountDownLatch(6);
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 6; t++)
            {
                final int id = t;
                threads.add(new Thread(() ->
                {
                    started.countDown();
                    try
                    {
                        for (long i = 0; ; i++)
                        {
                            if (id < 3)
                            {
                                appended.add(s.append("r." + id, null, payload(50, i)));
                            }
                            else
                            {
                                final long last = s.state().lastSeq();
                                final StoredMessage m = s.load(Math.max(1, last));
                                if (last > 0 && m != null)
                                {
                                    assertEquals(last, m.seq());
                                }
                                s.loadNext("r.*", Math.max(1, last - 5));
                                s.loadLast("r." + (id - 3));
                                s.stats();
                            }
                        }
                    }
                    catch (final StoreClosedException expected)
                    {
                        // the race ends here
                    }
                    catch (final Throwable e)
                    {
                        unexpected.add(e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            started.await();
            Thread.sleep(300);
            s.close();
            for (final Thread thread : threads)
            {
                thread.join(30_000);
                assertTrue(!thread.isAlive(), "a caller still runs after close()");
            }
            assertEquals(List.of(), new ArrayList<>(unexpected), policy + ": only StoreClosedException may end a call");
            assertThrows(StoreClosedException.class, () -> s.append("r.0", null, payload(1, 1)));
            assertThrows(StoreClosedException.class, () -> s.load(1));
            s.close();
            try (StreamStore reopened = open(dir, config))
            {
                assertTrue(appended.size() > 0);
                for (final long seq : appended)
                {
                    assertNotNull(reopened.load(seq), policy + ": sequence " + seq + " was returned before close()");
                }
            }
        }
    }

    @Test
    void concurrentWritersUnderAlwaysShareForces() throws Exception
    {
        final Path dir = tmp.resolve("group");
        final int threads = 16;
        final int each = 40;
        final AtomicLong durable = new AtomicLong();
        try (StreamStore s = open(dir, cfg(SyncPolicy.always()).build()))
        {
            s.addListener(new StoreListener()
            {
                @Override
                public void onDurable(final long upToSeq)
                {
                    assertTrue(upToSeq > durable.get(), "onDurable goes up");
                    durable.set(upToSeq);
                }
            });
            final long syncsBefore = s.stats().syncs();
            final CountDownLatch go = new CountDownLatch(1);
            final List<Thread> writers = new ArrayList<>();
            final ConcurrentLinkedQueue<Long> seqs = new ConcurrentLinkedQueue<>();
            for (int t = 0; t < threads; t++)
            {
                final int id = t;
                writers.add(new Thread(() ->
                {
                    try
                    {
                        go.await();
                        for (int i = 0; i < each; i++)
                        {
                            seqs.add(s.append("w." + id, null, payload(100, i)));
                        }
                    }
                    catch (final InterruptedException e)
                    {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            writers.forEach(Thread::start);
            go.countDown();
            for (final Thread w : writers)
            {
                w.join();
            }
            final long forces = s.stats().syncs() - syncsBefore;
            assertEquals(threads * each, seqs.size());
            assertEquals(threads * each, s.state().msgs());
            assertTrue(forces < threads * each, "16 concurrent writers must share commits: " + forces +
                " forces for " + threads * each + " appends");
            s.append("w.last", null, payload(1, 1));
            assertEquals(s.state().lastSeq(), durable.get(), "onDurable reached the last append");
        }
    }

    @Test
    void underEveryTheFlusherMakesChangesDurableWithoutSync() throws Exception
    {
        final AtomicLong durable = new AtomicLong();
        try (StreamStore s = open(tmp.resolve("every"), cfg(SyncPolicy.every(Duration.ofMillis(20))).build()))
        {
            s.addListener(new StoreListener()
            {
                @Override
                public void onDurable(final long upToSeq)
                {
                    durable.set(upToSeq);
                }
            });
            final long seq = s.append("e", null, payload(10, 1));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (durable.get() < seq && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
            assertEquals(seq, durable.get(), "onDurable(" + seq + ") without a call to sync()");
            assertTrue(s.stats().syncs() >= 1);
        }
    }

    @Test
    void underNeverSyncFiresOnDurable() throws IOException
    {
        final List<Long> durable = new CopyOnWriteArrayList<>();
        try (StreamStore s = open(tmp.resolve("never"), cfg(SyncPolicy.never()).build()))
        {
            s.addListener(new StoreListener()
            {
                @Override
                public void onDurable(final long upToSeq)
                {
                    durable.add(upToSeq);
                }
            });
            s.append("n", null, payload(10, 1));
            s.append("n", null, payload(10, 2));
            s.sync();
            assertEquals(List.of(2L), durable);
        }
    }

    @Test
    void compactionShrinksTheFileToTheLiveDataAndKeepsEveryRead() throws IOException
    {
        final Path dir = tmp.resolve("compact");
        final StreamConfig config = cfg(SyncPolicy.never()).build();
        try (StreamStore s = open(dir, config))
        {
            for (int i = 1; i <= 5000; i++)
            {
                s.append("c." + (i % 5), null, payload(1000, i));
            }
            for (int i = 1; i <= 5000; i++)
            {
                if (i % 50 != 0)
                {
                    s.remove(i);
                }
            }
            s.sync();
            final long before = s.stats().bytesOnDisk();
            final long writtenBefore = s.stats().bytesWritten();
            final var result = s.compact();
            final long after = s.stats().bytesOnDisk();
            assertTrue(after < before / 5, "compaction must shrink " + before + " bytes, got " + after);
            assertEquals(1, s.stats().compactions());
            assertTrue(s.stats().bytesWritten() - writtenBefore >= result.bytesRewritten());
            assertTrue(result.bytesReclaimed() > 0);
            assertFalse(Files.exists(dir.resolve(LmdbStore.COMPACT_FILE)));
            assertArrayEquals(payload(1000, 2500), s.load(2500).payload());
            assertEquals(100, s.state().msgs());
            assertEquals(5001, s.append("c.1", null, payload(1000, 5001)));
        }
        try (StreamStore s = open(dir, config))
        {
            assertEquals(101, s.state().msgs());
            assertArrayEquals(payload(1000, 5001), s.loadLast("c.1").payload());
        }
    }

    @Test
    void badOrInconsistentMapOptionsAreRejectedNamingTheOption()
    {
        final Path dir = tmp.resolve("options");
        for (final Map<String, String> options : List.of(
            Map.of(LmdbStoreProvider.MAP_SIZE, "1000"),
            Map.of(LmdbStoreProvider.MAP_SIZE, "lots"),
            Map.of(LmdbStoreProvider.MAP_SIZE, Long.toString(8 * MIB), LmdbStoreProvider.MAX_MAP_SIZE,
                Long.toString(4 * MIB))))
        {
            final StreamConfig.Builder b = cfg(SyncPolicy.never());
            options.forEach(b::option);
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(dir, b.build()));
            assertTrue(e.getMessage().contains(LmdbStoreProvider.MAP_SIZE), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve(LmdbStore.DATA_FILE)));
    }

    @Test
    void subjectHeadersAndPayloadRoundTripThroughTheRecord() throws IOException
    {
        final Path dir = tmp.resolve("crc");
        try (StreamStore s = open(dir, cfg(SyncPolicy.never()).build()))
        {
            final byte[] headers = "h: 1".getBytes(StandardCharsets.UTF_8);
            s.append("x.y", headers, payload(20, 9));
            final StoredMessage m = s.load(1);
            assertEquals("x.y", m.subject());
            assertArrayEquals(headers, m.headers());
            assertArrayEquals(payload(20, 9), m.payload());
            assertArrayEquals(headers, s.loadNext("x.*", 1).headers());
            s.append("x.z", null, payload(0, 1));
            assertArrayEquals(new byte[0], s.loadLast("x.z").headers(), "null headers read back as empty");
            assertArrayEquals(new byte[0], s.loadLast("x.z").payload());
        }
    }
}
