package io.streamstore.filestore;

import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rewrites that removals trigger run on the compactor thread while the removals go on: what the removing
 * thread does meanwhile (more removals in the block being rewritten, reads, a sync, a crash) loses nothing
 * and brings nothing back.
 */
class BackgroundCompactionTest
{
    private static final int COUNT = 1200;
    private static final int SIZE = 150;

    @TempDir
    Path tmp;

    /** Removes from the middle blocks (seq 1 stays, so the first block stays the head and is not rewritten). */
    private static boolean removed(final long seq)
    {
        return seq >= 400 && seq < 900 && seq % 10 != 3;
    }

    private static void fillAndRemove(final FileStore s)
    {
        for (int i = 1; i <= COUNT; i++)
        {
            s.append("r." + (i % 4), Fixtures.payload(i, SIZE));
        }
        for (long seq = 400; seq < 900; seq++)
        {
            if (removed(seq))
            {
                assertTrue(s.remove(seq), "seq " + seq);
                // reads of the block being rewritten go on meanwhile
                assertNull(s.load(seq));
                final StoredMessage kept = s.load(seq - seq % 10 + 3);
                assertNotNull(kept, "seq " + (seq - seq % 10 + 3));
            }
        }
    }

    private static void verify(final String where, final FileStore s)
    {
        for (long seq = 1; seq <= COUNT; seq++)
        {
            final StoredMessage m = s.load(seq);
            if (removed(seq))
            {
                assertNull(m, where + ": removed message " + seq + " came back");
            }
            else
            {
                assertNotNull(m, where + ": message " + seq + " lost");
                assertArrayEquals(Fixtures.payload(seq, SIZE), m.payload(), where + ": payload of " + seq);
            }
        }
        long live = 0;
        final long[] perSubject = new long[4];
        final long[] firstPerSubject = new long[4];
        final long[] nextAfter500 = new long[4];
        for (long seq = 1; seq <= COUNT; seq++)
        {
            if (!removed(seq))
            {
                final int k = (int)(seq % 4);
                live++;
                perSubject[k]++;
                firstPerSubject[k] = firstPerSubject[k] == 0 ? seq : firstPerSubject[k];
                nextAfter500[k] = nextAfter500[k] == 0 && seq >= 500 ? seq : nextAfter500[k];
            }
        }
        assertEquals(live, s.state().msgs(), where);
        for (int k = 0; k < 4; k++)
        {
            final String subject = "r." + k;
            assertEquals(perSubject[k], s.subjectState(subject).msgs(), where + ": " + subject);
            assertEquals(firstPerSubject[k], s.subjectState(subject).firstSeq(), where + ": " + subject);
            assertEquals(nextAfter500[k], s.loadNext(subject, 500).seq(), where + ": " + subject);
        }
    }

    private static long strayFiles(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    @Test
    void removalsRacingABackgroundRewriteStayRemovedAndEveryByteIsCounted() throws IOException
    {
        final Path dir = tmp.resolve("s");
        final StreamConfig config = Fixtures.smallBlocks();
        try (FileStore s = Fixtures.open(dir, config))
        {
            final StoreStats before = s.stats();
            fillAndRemove(s);
            s.sync();
            final StoreStats after = s.stats(); // waits for the rewrite in flight
            assertTrue(after.compactions() - before.compactions() >= 1, "no block was rewritten: " + after);
            final long appended = after.bytesWritten() - before.bytesWritten() - 16L * after.tombstones() -
                (after.bytesCompacted() - before.bytesCompacted());
            assertTrue(appended > 0 && appended <= after.bytesWritten(), "bytes written " + after);
            verify("open", s);
        }
        try (FileStore s = Fixtures.open(dir, config))
        {
            assertTrue(s.recoveryReport().usedIndex());
            verify("reopen from index.db", s);
        }
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        try (FileStore s = Fixtures.open(dir, config))
        {
            assertFalse(s.recoveryReport().usedIndex());
            verify("reopen by scan", s);
        }
        assertEquals(0, strayFiles(dir));
    }

    @Test
    void aCrashWhileABackgroundRewriteIsInFlightLosesNothingAndBringsNothingBack() throws IOException
    {
        for (int round = 0; round < 5; round++)
        {
            final Path dir = tmp.resolve("crash" + round);
            final StreamConfig config = Fixtures.smallBlocks();
            final FileStore s = Fixtures.open(dir, config);
            fillAndRemove(s);
            s.sync(); // every removal is durable; a rewrite may still be in flight
            s.crashForTest();
            try (FileStore r = Fixtures.open(dir, config))
            {
                assertFalse(r.recoveryReport().cutAnything(), r.recoveryReport().toString());
                verify("after a crash, round " + round, r);
            }
            assertEquals(0, strayFiles(dir), "a stray .tmp is deleted at open");
        }
    }
}
