package io.streamstore.filestore;

import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The index file written at close is what makes a reopen take milliseconds: the next open must be able to
 * use it whatever the store did before the close, and what it loads must be what a scan finds.
 */
class IndexFileTest
{
    private static final StreamConfig SMALL = Fixtures.smallBlocks();

    @TempDir
    Path tmp;

    @Test
    void anIndexWhoseLastBlockHoldsOnlyItsFloorIsUsed() throws IOException
    {
        final Path dir = tmp.resolve("purged");
        try (FileStore s = Fixtures.open(dir, SMALL))
        {
            for (int i = 0; i < 100; i++)
            {
                s.append("p", Fixtures.payload(i, 100));
            }
            s.purge(); // the only block left is the purge block: a floor, no slot, no tombstone target
        }
        try (FileStore s = Fixtures.open(dir, SMALL))
        {
            assertTrue(s.recoveryReport().usedIndex(), s.recoveryReport().toString());
            assertEquals(0, s.state().msgs());
            assertEquals(100, s.state().lastSeq());
        }
    }

    @Test
    void anIndexWhoseLastBlockHoldsOneMessageIsUsed() throws IOException
    {
        final Path dir = tmp.resolve("rolled");
        long last;
        try (FileStore s = Fixtures.open(dir, SMALL))
        {
            while (s.blockIds().length < 2)
            {
                s.append("r", Fixtures.payload(s.state().lastSeq() + 1, 1000));
            }
            last = s.state().lastSeq(); // the append that rolled is alone in the new block
        }
        try (FileStore s = Fixtures.open(dir, SMALL))
        {
            assertTrue(s.recoveryReport().usedIndex(), s.recoveryReport().toString());
            assertArrayEquals(Fixtures.payload(last, 1000), s.load(last).payload());
        }
    }

    @Test
    void theIndexFileWrittenAtCloseIsUsedByTheNextOpenAfterRandomWorkloads() throws IOException
    {
        final long seed = Fixtures.seed();
        final Random random = new Random(seed);
        int reopens = 0;
        for (int round = 0; round < 12; round++)
        {
            final Path dir = tmp.resolve("r" + round);
            final StreamConfig config = Fixtures.config().option("file.block-size", "65536")
                .option(FileStore.BACKGROUND_COMPACTION_OPTION, random.nextBoolean() ? "1" : "0").build();
            final TreeMap<Long, byte[]> live = new TreeMap<>();
            final ArrayDeque<String> recent = new ArrayDeque<>();
            for (int cycle = 0; cycle < 4; cycle++)
            {
                try (FileStore s = Fixtures.open(dir, config))
                {
                    final String where = "seed " + seed + ", round " + round + ", cycle " + cycle;
                    if (cycle > 0)
                    {
                        reopens++;
                        assertTrue(s.recoveryReport().usedIndex(), where + ": " + s.recoveryReport() +
                            " after the operations ending " + recent);
                        verify(where, s, live);
                    }
                    final int n = random.nextInt(2000);
                    for (int i = 0; i < n; i++)
                    {
                        final int op = random.nextInt(100);
                        final String did;
                        if (op < 55 || live.isEmpty())
                        {
                            final byte[] p = Fixtures.payload(random.nextLong(), random.nextInt(2000));
                            final long seq = s.append("s." + random.nextInt(5), p);
                            live.put(seq, p);
                            did = "append " + seq;
                        }
                        else if (op < 97)
                        {
                            final long pick = live.firstKey() +
                                (long)(random.nextDouble() * (live.lastKey() - live.firstKey() + 1));
                            final long seq = live.ceilingKey(Math.min(pick, live.lastKey()));
                            assertTrue(s.remove(seq), where + ": remove " + seq);
                            live.remove(seq);
                            did = "remove " + seq;
                        }
                        else if (op < 99)
                        {
                            s.compact();
                            did = "compact";
                        }
                        else
                        {
                            s.purge();
                            live.clear();
                            did = "purge";
                        }
                        recent.add(did);
                        if (recent.size() > 12)
                        {
                            recent.poll();
                        }
                    }
                }
            }
            // what the index loaded is what a scan finds
            final String fromIndex;
            try (FileStore s = Fixtures.open(dir, config))
            {
                assertTrue(s.recoveryReport().usedIndex(), "seed " + seed + ", round " + round);
                fromIndex = RecoveryTest.snapshot(s);
            }
            Files.delete(dir.resolve(IndexFile.FILE_NAME));
            try (FileStore s = Fixtures.open(dir, config))
            {
                assertFalse(s.recoveryReport().usedIndex());
                assertEquals(fromIndex, RecoveryTest.snapshot(s), "seed " + seed + ", round " + round);
            }
            Fixtures.deleteDirectory(dir);
        }
        assertEquals(36, reopens);
    }

    private static void verify(final String where, final FileStore s, final TreeMap<Long, byte[]> live)
    {
        assertEquals(live.size(), s.state().msgs(), where);
        for (final Map.Entry<Long, byte[]> e : live.entrySet())
        {
            final StoredMessage m = s.load(e.getKey());
            assertNotNull(m, where + ": message " + e.getKey());
            assertArrayEquals(e.getValue(), m.payload(), where + ": payload of " + e.getKey());
        }
    }
}
