package io.streamstore.filestore;

import io.streamstore.spi.StoreException;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A crash at each step of a block roll, a compaction rewrite (on the caller's thread and on the shared
 * compactor thread), a whole-block delete, a purge, an index write and the clean-close marker, through
 * {@link FaultyFileIo}: the n-th file operation fails and so does every later one (the
 * process is gone), then the directory is reopened with the real file system. Whatever step the crash
 * hit, every change that returned is there, every removal that returned stays removed, and the change in
 * flight is either wholly there or wholly absent.
 */
class CrashPointTest
{
    private static final StreamConfig ALWAYS_SMALL = Fixtures.config().sync(SyncPolicy.always())
        .option("file.block-size", "65536").build();

    @TempDir
    Path tmp;

    /** The file operations of the last action's dry run, in order. */
    private List<String> dryRunLog = List.of();

    /** Sequences of the prepared store's second block, for the background rewrite's action. */
    private long blockTwoFirst;
    private long blockTwoLast;
    /** The removal that makes block 2 worth a rewrite (found by the dry run). */
    private long startsRewrite;

    /** What the test was told: present payloads, removed sequences, and the one operation in flight. */
    static final class Model
    {
        final TreeMap<Long, byte[]> present = new TreeMap<>();
        final Set<Long> removed = new HashSet<>();
        final Set<Long> uncertain = new HashSet<>();
        long lastSeq;
        boolean purgeInFlight;
        boolean purged;
    }

    interface Action
    {
        void run(FileStore store, Model model);
    }

    private int runAtEveryStep(final String name, final StreamConfig config, final Action prepare, final Action action)
        throws IOException
    {
        final Path pristine = tmp.resolve(name + "-pristine");
        final Model base = new Model();
        try (FileStore s = Fixtures.open(pristine, config))
        {
            prepare.run(s, base);
        }
        // a dry run counts the file operations of the action
        final Path dry = tmp.resolve(name + "-dry");
        Fixtures.copyDirectory(pristine, dry);
        final FaultyFileIo counter = new FaultyFileIo();
        try (FileStore s = FileStore.open(dry, config, counter))
        {
            counter.arm(Long.MAX_VALUE);
            action.run(s, copy(base));
        }
        final long steps = counter.calls();
        final List<String> log = counter.log();
        dryRunLog = log;
        assertTrue(steps > 0, name + ": the action did no file operation");
        for (long n = 1; n <= steps; n++)
        {
            final Path dir = tmp.resolve(name + "-" + n);
            Fixtures.copyDirectory(pristine, dir);
            final Model model = copy(base);
            final FaultyFileIo io = new FaultyFileIo();
            final FileStore s = FileStore.open(dir, config, io);
            io.arm(n);
            try
            {
                action.run(s, model);
            }
            catch (final StoreException expected)
            {
                // the crash: whatever was in flight is uncertain (the action recorded it)
            }
            s.close();
            final String where = name + ": crash at step " + n + " of " + steps + " (" +
                (n - 1 < log.size() ? log.get((int)n - 1) : "close") + ")";
            try (FileStore r = Fixtures.open(dir, config))
            {
                // a failed call writes nothing, so there is never a torn record to cut
                assertTrue(!r.recoveryReport().cutAnything(), where + ": " + r.recoveryReport());
                verify(where, r, model);
            }
            Fixtures.deleteDirectory(dir);
        }
        return (int)steps;
    }

    private static Model copy(final Model m)
    {
        final Model c = new Model();
        c.present.putAll(m.present);
        c.removed.addAll(m.removed);
        c.lastSeq = m.lastSeq;
        return c;
    }

    private static void verify(final String where, final FileStore s, final Model model)
    {
        assertTrue(s.state().lastSeq() >= model.lastSeq, where + ": lastSeq went back");
        if (model.purgeInFlight)
        {
            final long msgs = s.state().msgs();
            assertTrue(msgs == 0 || msgs == model.present.size(), where + ": a purge half done (" + msgs + " left)");
            if (msgs == 0)
            {
                return;
            }
        }
        if (model.purged)
        {
            assertEquals(0, s.state().msgs(), where);
            return;
        }
        for (final var e : model.present.entrySet())
        {
            final StoredMessage m = s.load(e.getKey());
            if (model.uncertain.contains(e.getKey()) && m == null)
            {
                continue;
            }
            if (m == null)
            {
                fail(where + ": acknowledged message " + e.getKey() + " lost");
            }
            assertArrayEquals(e.getValue(), m.payload(), where + ": payload of " + e.getKey());
        }
        for (final long seq : model.removed)
        {
            if (!model.uncertain.contains(seq))
            {
                assertNull(s.load(seq), where + ": removed message " + seq + " came back");
            }
        }
        for (final long seq : model.uncertain)
        {
            final StoredMessage m = s.load(seq);
            if (m != null && model.present.containsKey(seq))
            {
                assertArrayEquals(model.present.get(seq), m.payload(), where + ": in-flight " + seq);
            }
        }
    }

    private static void append(final FileStore s, final Model model, final int size)
    {
        final long seq = model.lastSeq + 1;
        final byte[] payload = Fixtures.payload(seq, size);
        model.uncertain.add(seq);
        model.present.put(seq, payload);
        assertEquals(seq, s.append("c." + (seq % 4), payload));
        model.uncertain.remove(seq);
        model.lastSeq = seq;
    }

    private static void remove(final FileStore s, final Model model, final long seq)
    {
        model.uncertain.add(seq);
        model.removed.add(seq);
        assertTrue(s.remove(seq));
        model.present.remove(seq);
        model.uncertain.remove(seq);
    }

    @Test
    void aCrashAtEachStepOfABlockRollLosesNoAcknowledgedAppend() throws IOException
    {
        final int steps = runAtEveryStep("roll", ALWAYS_SMALL,
            (s, m) ->
            {
                while (s.stats().bytesOnDisk() < 60_000)
                {
                    append(s, m, 1000);
                }
            },
            (s, m) ->
            {
                for (int i = 0; i < 8; i++)
                {
                    append(s, m, 1000);
                }
            });
        assertTrue(steps >= 8, "steps " + steps);
    }

    @Test
    void aCrashAtEachStepOfACompactionLeavesTheOldOrTheNewBlock() throws IOException
    {
        runAtEveryStep("compact", Fixtures.config().option("file.block-size", "65536").build(),
            (s, m) ->
            {
                for (int i = 0; i < 400; i++)
                {
                    append(s, m, 400);
                }
                // holes in the middle of sealed blocks, not at the head
                for (long seq = 60; seq <= 300; seq++)
                {
                    if (seq % 5 != 0)
                    {
                        remove(s, m, seq);
                    }
                }
            },
            (s, m) ->
            {
                final var result = s.compact();
                assertTrue(result.blocksRewritten() > 0, "nothing was compacted: " + result);
            });
    }

    @Test
    void aCrashAtEachStepOfWholeBlockDeletesBringsNoRemovedMessageBack() throws IOException
    {
        runAtEveryStep("delete", Fixtures.config().sync(SyncPolicy.always()).option("file.block-size", "65536").build(),
            (s, m) ->
            {
                for (int i = 0; i < 300; i++)
                {
                    append(s, m, 500);
                }
                for (long seq = 1; seq <= 110; seq++)
                {
                    remove(s, m, seq);
                }
            },
            (s, m) ->
            {
                // crosses the end of the first block (about 125 messages): its file is deleted whole
                final long blocks = s.blockIds().length;
                for (long seq = 111; seq <= 140; seq++)
                {
                    remove(s, m, seq);
                }
                assertTrue(s.blockIds().length < blocks, "no block was deleted");
            });
    }

    /** Removes {@code seq} under {@code never}: uncertain until a sync covers it. */
    private static void removeUnsynced(final FileStore s, final Model model, final long seq)
    {
        model.uncertain.add(seq);
        model.removed.add(seq);
        assertTrue(s.remove(seq));
        model.present.remove(seq);
    }

    private static void synced(final FileStore s, final Model model)
    {
        s.sync();
        model.uncertain.clear();
    }

    @Test
    void aCrashAtEachStepOfABackgroundRewriteLosesNothingAndBringsNothingBack() throws IOException
    {
        final StreamConfig config = Fixtures.config().option("file.block-size", "65536")
            .option(FileStore.BACKGROUND_COMPACTION_OPTION, "1").build();
        final int steps = runAtEveryStep("background", config,
            (s, m) ->
            {
                // blocks 1 and 2 full of messages, block 3 the write block
                while (s.blockIds().length < 3)
                {
                    final int before = s.blockIds().length;
                    append(s, m, 400);
                    if (before == 1 && s.blockIds().length == 2)
                    {
                        blockTwoFirst = m.lastSeq;
                    }
                }
                blockTwoLast = m.lastSeq - 1;
                final long rolledIntoThree = m.lastSeq;
                // under half of block 2 removed (no rewrite yet): the tombstones go to block 3
                for (long seq = blockTwoFirst + 10; seq < blockTwoFirst + 80; seq++)
                {
                    remove(s, m, seq);
                }
                // block 3 is filled up and sealed, then its messages are removed: it is rewritten down to its
                // needed tombstones (they point into block 2), which keep it from being deleted
                append(s, m, 60_000);
                final long big = m.lastSeq;
                append(s, m, 5_000);
                assertEquals(4, s.blockIds().length, "block 3 sealed");
                remove(s, m, rolledIntoThree);
                remove(s, m, big);
                s.stats(); // waits for the rewrite of block 3
                s.sync();
                assertEquals(4, s.blockIds().length, "block 3 kept for its needed tombstones");
            },
            (s, m) ->
            {
                // remove from block 2 until a removal starts its rewrite on the compactor thread (the dry run
                // finds which one: removals under never write nothing, so the rewrite's steps and the final
                // sync's come in the same order in every run)
                long seq = blockTwoFirst + 80;
                if (startsRewrite == 0)
                {
                    final long compactions = s.stats().compactions();
                    while (s.stats().compactions() == compactions)
                    {
                        assertTrue(seq < blockTwoLast, "block 2 was never rewritten");
                        removeUnsynced(s, m, seq++);
                    }
                    startsRewrite = seq - 1;
                }
                else
                {
                    while (seq <= startsRewrite)
                    {
                        removeUnsynced(s, m, seq++);
                    }
                }
                // more removals of block 2's records while the rewrite is in flight: they stay removed in the
                // new file, and their tombstones stay needed
                for (int i = 0; i < 10; i++)
                {
                    removeUnsynced(s, m, seq++);
                }
                s.stats(); // waits for the rewrite, the release of block 3's tombstones and block 3's delete
                synced(s, m);
                for (long removed = blockTwoFirst + 10; removed < seq; removed++)
                {
                    assertNull(s.load(removed), "removed " + removed + " is back before any crash");
                }
                assertEquals(3, s.blockIds().length, "block 3's tombstones were released and it was deleted");
            });
        assertTrue(startsRewrite > 0);
        final List<String> expected = List.of("create 2.blk.tmp", "write ", "force ", "rename 2.blk",
            "forceDirectory", "delete 3.blk");
        int at = 0;
        for (final String op : dryRunLog)
        {
            if (at < expected.size() && op.startsWith(expected.get(at)))
            {
                at++;
            }
        }
        assertEquals(expected.size(), at, "every step of the background rewrite was crashed at: " + dryRunLog);
        assertTrue(steps >= 8, "steps " + steps);
    }

    @Test
    void aCrashAtEachStepOfAPurgeLeavesAllOrNothing() throws IOException
    {
        runAtEveryStep("purge", Fixtures.smallBlocks(),
            (s, m) ->
            {
                for (int i = 0; i < 500; i++)
                {
                    append(s, m, 300);
                }
                s.sync();
            },
            (s, m) ->
            {
                m.purgeInFlight = true;
                assertEquals(500, s.purge());
                m.purgeInFlight = false;
                m.purged = true;
            });
    }

    @Test
    void aCrashAtEachStepOfCloseAndTheIndexWriteLosesNothing() throws IOException
    {
        runAtEveryStep("close", ALWAYS_SMALL,
            (s, m) ->
            {
                for (int i = 0; i < 300; i++)
                {
                    append(s, m, 200);
                }
            },
            (s, m) ->
            {
                append(s, m, 10);
                for (long seq = 2; seq <= 100; seq += 2)
                {
                    remove(s, m, seq);
                }
                s.sync();
                s.close();
            });
    }

    @Test
    void aWriteErrorIsStickyUntilTheStoreIsReopened() throws IOException
    {
        final Path dir = tmp.resolve("sticky");
        final FaultyFileIo io = new FaultyFileIo();
        final FileStore s = FileStore.open(dir, ALWAYS_SMALL, io);
        assertEquals(1, s.append("x", new byte[]{1}));
        io.arm(1);
        assertThrows(StoreException.class, () -> s.append("x", new byte[]{2}));
        io.disarm();
        final StoreException again = assertThrows(StoreException.class, () -> s.append("x", new byte[]{3}));
        assertTrue(again.getMessage().contains("reopen"), again.getMessage());
        assertThrows(StoreException.class, () -> s.remove(1));
        assertThrows(StoreException.class, s::sync);
        assertArrayEquals(new byte[]{1}, s.load(1).payload(), "reads still work");
        s.close();
        try (FileStore r = Fixtures.open(dir, ALWAYS_SMALL))
        {
            assertArrayEquals(new byte[]{1}, r.load(1).payload());
            final long next = r.append("x", new byte[]{4});
            assertTrue(next >= 2);
        }
        assertTrue(Files.exists(dir));
    }

    @Test
    void aFullDiskIsAStoreFullExceptionAndTheStoreStopsUntilReopened() throws IOException
    {
        final Path dir = tmp.resolve("full");
        final FaultyFileIo io = new FaultyFileIo();
        final FileStore s = FileStore.open(dir, ALWAYS_SMALL, io);
        s.append("x", new byte[]{1});
        io.faultMessage("No space left on device");
        io.arm(1);
        final StoreException e = assertThrows(io.streamstore.spi.StoreFullException.class,
            () -> s.append("x", new byte[100]));
        assertTrue(e.getMessage().contains("disk space"), e.getMessage());
        io.disarm();
        assertThrows(StoreException.class, () -> s.append("x", new byte[]{3}), "fail-stop after a full disk");
        s.close();
        try (FileStore r = Fixtures.open(dir, ALWAYS_SMALL))
        {
            assertArrayEquals(new byte[]{1}, r.load(1).payload());
        }
    }

    @Test
    void aFailedForceIsNeverRetriedAndNoDurableEventFires() throws IOException
    {
        final Path dir = tmp.resolve("force");
        final FaultyFileIo io = new FaultyFileIo();
        final java.util.List<Long> durable = new java.util.concurrent.CopyOnWriteArrayList<>();
        final FileStore s = FileStore.open(dir, ALWAYS_SMALL, io);
        s.addListener(new io.streamstore.spi.StoreListener()
        {
            @Override
            public void onDurable(final long upToSeq)
            {
                durable.add(upToSeq);
            }
        });
        s.append("x", new byte[]{1});
        assertEquals(List.of(1L), durable);
        io.arm(2); // the write goes through, its force fails
        assertThrows(StoreException.class, () -> s.append("x", new byte[]{2}));
        assertEquals(List.of(1L), durable, "no onDurable for a change whose force failed");
        final long calls = io.calls();
        assertThrows(StoreException.class, s::sync);
        assertEquals(calls, io.calls(), "a failed force is not retried");
        s.close();
    }
}
