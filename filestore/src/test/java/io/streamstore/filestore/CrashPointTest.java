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
 * A crash at each step of a block roll, a compaction rewrite, a whole-block delete, a purge and an index
 * write, through {@link FaultyFileIo}: the n-th file operation fails and so does every later one (the
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
