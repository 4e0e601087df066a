package io.streamstore.filestore;

import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class RecoveryTest
{
    @TempDir
    Path tmp;

    private static final String[] SUBJECTS = {"a", "orders.eu", "orders.us.west"};

    /** Builds a pristine store of {@code count} messages of varied sizes; returns each record's end offset. */
    private List<long[]> build(final Path dir, final int count) throws IOException
    {
        final List<long[]> ends = new ArrayList<>();
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            for (int i = 1; i <= count; i++)
            {
                final int size = i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 100;
                s.append(SUBJECTS[i % 3], i % 2 == 0 ? null : new byte[]{(byte)i}, Fixtures.payload(i, size));
                s.sync();
                ends.add(new long[]{i, Files.size(Fixtures.lastBlock(dir))});
            }
        }
        Files.deleteIfExists(dir.resolve(IndexFile.FILE_NAME));
        return ends;
    }

    private static void assertMessage(final StoredMessage m, final long seq)
    {
        assertNotNull(m, "message " + seq);
        assertEquals(seq, m.seq());
        assertEquals(SUBJECTS[(int)(seq % 3)], m.subject());
        final int size = seq % 3 == 0 ? 0 : seq % 3 == 1 ? 1 : 100;
        assertArrayEquals(Fixtures.payload(seq, size), m.payload(), "payload of " + seq);
        assertArrayEquals(seq % 2 == 0 ? new byte[0] : new byte[]{(byte)seq}, m.headers(), "headers of " + seq);
    }

    private static void truncate(final Path file, final long size) throws IOException
    {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            ch.truncate(size);
        }
    }

    @Test
    void tornTailAtEveryByteOfTheLastThreeRecordsIsCutToTheLastValidRecord() throws IOException
    {
        final Path pristine = tmp.resolve("pristine");
        final int count = 12;
        final List<long[]> ends = build(pristine, count);
        final long blockStart = ends.get(count - 4)[1];
        final long end = ends.get(count - 1)[1];
        int reopens = 0;
        for (long cut = blockStart; cut < end; cut++)
        {
            int whole = 0;
            for (final long[] e : ends)
            {
                if (e[1] <= cut)
                {
                    whole = (int)e[0];
                }
            }
            final Path dir = tmp.resolve("cut-" + cut);
            Fixtures.copyDirectory(pristine, dir);
            truncate(Fixtures.lastBlock(dir), cut);
            try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
            {
                reopens++;
                final RecoveryReport report = s.recoveryReport();
                final long wholeEnd = ends.get(whole - 1)[1];
                assertEquals(cut - wholeEnd, report.bytesCut(), "cut at " + cut);
                if (cut > wholeEnd)
                {
                    assertTrue(report.cutAnything(), "cut at " + cut + " must be reported");
                    assertTrue(report.recordsLost() >= 1);
                    assertEquals(cut - wholeEnd, s.stats().recoveryBytesCut());
                }
                assertEquals(whole, s.state().msgs(), "cut at " + cut);
                for (long seq = 1; seq <= whole; seq++)
                {
                    assertMessage(s.load(seq), seq);
                }
                assertNull(s.load(whole + 1));
                final long lastSeq = s.state().lastSeq();
                assertTrue(lastSeq >= whole, "lastSeq " + lastSeq);
                if (report.lastLostSeq() > 0)
                {
                    assertEquals(whole + 1, report.firstLostSeq());
                    assertTrue(lastSeq >= report.lastLostSeq(), "a lost sequence is never handed out again");
                }
                final long next = s.append("after.cut", Fixtures.payload(999, 10));
                assertEquals(lastSeq + 1, next);
                assertArrayEquals(Fixtures.payload(999, 10), s.load(next).payload());
            }
            try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
            {
                assertFalse(s.recoveryReport().cutAnything(), "a second reopen finds nothing to cut");
                assertEquals(whole + 1, s.state().msgs());
            }
            Fixtures.deleteDirectory(dir);
        }
        assertEquals(end - blockStart, reopens);
    }

    @Test
    void aTornIndexFileIsIgnoredAndTheBlocksAreScanned() throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            for (int i = 1; i <= 200; i++)
            {
                s.append(SUBJECTS[i % 3], i % 2 == 0 ? null : new byte[]{(byte)i},
                    Fixtures.payload(i, i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 100));
            }
            s.remove(5);
            s.remove(100);
        }
        final Path index = dir.resolve(IndexFile.FILE_NAME);
        final long size = Files.size(index);
        final Path saved = tmp.resolve("index.saved");
        Files.copy(index, saved);
        final Random random = new Random(7);
        for (int i = 0; i < 40; i++)
        {
            final long cut = random.nextInt((int)size);
            Files.copy(saved, index, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            truncate(index, cut);
            try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
            {
                assertFalse(s.recoveryReport().usedIndex(), "a torn index.db must not be used (cut " + cut + ")");
                assertFalse(s.recoveryReport().cutAnything());
                assertEquals(198, s.state().msgs());
                assertNull(s.load(5));
                assertMessage(s.load(6), 6);
            }
            Files.deleteIfExists(index);
        }
    }

    @Test
    void recoveryWithAndWithoutTheIndexFileSeesTheSameStore() throws IOException
    {
        final Path dir = tmp.resolve("store");
        final StreamConfig config = Fixtures.smallBlocks();
        try (FileStore s = Fixtures.open(dir, config))
        {
            for (int i = 1; i <= 3000; i++)
            {
                s.append(SUBJECTS[i % 3], i % 2 == 0 ? null : new byte[]{(byte)i},
                    Fixtures.payload(i, i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 100));
            }
            for (long seq = 1; seq <= 3000; seq += 3)
            {
                s.remove(seq);
            }
            for (long seq = 1; seq <= 1500; seq++)
            {
                s.remove(seq);
            }
        }
        final String withIndex;
        try (FileStore s = Fixtures.open(dir, config))
        {
            assertTrue(s.recoveryReport().usedIndex());
            withIndex = snapshot(s);
        }
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        try (FileStore s = Fixtures.open(dir, config))
        {
            assertFalse(s.recoveryReport().usedIndex());
            assertEquals(withIndex, snapshot(s));
        }
        assertTrue(withIndex.contains("msgs=1000"), withIndex.substring(0, 200));
    }

    static String snapshot(final FileStore s)
    {
        final StringBuilder sb = new StringBuilder(s.state().toString()).append('\n');
        for (StoredMessage m = s.loadNext(">", 1); m != null; m = s.loadNext(">", m.seq() + 1))
        {
            sb.append(m.seq()).append(' ').append(m.subject()).append(' ').append(m.timestamp()).append(' ')
                .append(java.util.Arrays.hashCode(m.payload())).append(' ')
                .append(java.util.Arrays.hashCode(m.headers())).append('\n');
        }
        for (final String subject : SUBJECTS)
        {
            sb.append(s.subjectState(subject)).append(' ').append(s.loadLast(subject) == null ? 0 :
                s.loadLast(subject).seq()).append('\n');
        }
        return sb.toString();
    }

    @Test
    void aThousandRandomBitFlipsNeverYieldAWrongPayload() throws IOException
    {
        final long seed = Fixtures.seed();
        final Random random = new Random(seed);
        final Path pristine = tmp.resolve("pristine");
        final int count = 400;
        try (FileStore s = Fixtures.open(pristine, Fixtures.config().option("file.block-size", "65536").build()))
        {
            for (int i = 1; i <= count; i++)
            {
                s.append(SUBJECTS[i % 3], i % 2 == 0 ? null : new byte[]{(byte)i},
                    Fixtures.payload(i, i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 100));
            }
            for (long seq = 10; seq <= 40; seq++)
            {
                s.remove(seq);
            }
        }
        final Path[] files;
        try (var stream = Files.list(pristine))
        {
            files = stream.filter(p -> !p.getFileName().toString().equals(DirectoryLock.FILE_NAME)).sorted()
                .toArray(Path[]::new);
        }
        int corrupt = 0;
        int clean = 0;
        final Path dir = tmp.resolve("flip");
        for (int i = 0; i < 1000; i++)
        {
            Fixtures.copyDirectory(pristine, dir);
            if (random.nextInt(4) == 0)
            {
                Files.deleteIfExists(dir.resolve(IndexFile.FILE_NAME));
            }
            final Path file = dir.resolve(files[random.nextInt(files.length)].getFileName());
            if (!Files.exists(file))
            {
                Fixtures.deleteDirectory(dir);
                i--;
                continue;
            }
            final byte[] bytes = Files.readAllBytes(file);
            final int bit = random.nextInt(bytes.length * 8);
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            Files.write(file, bytes);
            final String where = "flip " + i + " (seed " + seed + "): bit " + bit + " of " + file.getFileName();
            try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
            {
                // the store was closed cleanly: no write can be torn, so damage is refused, never cut
                assertFalse(s.recoveryReport().cutAnything(), where + ": " + s.recoveryReport());
                clean++;
                for (long seq = 1; seq <= count; seq++)
                {
                    final StoredMessage m;
                    try
                    {
                        m = s.load(seq);
                    }
                    catch (final CorruptStoreException e)
                    {
                        assertNotNull(e.file(), where);
                        continue;
                    }
                    if (seq >= 10 && seq <= 40)
                    {
                        assertNull(m, where + ": removed message " + seq + " came back");
                    }
                    else if (m != null)
                    {
                        assertMessage(m, seq);
                    }
                    else
                    {
                        fail(where + ": message " + seq + " vanished");
                    }
                }
            }
            catch (final CorruptStoreException e)
            {
                corrupt++;
                assertNotNull(e.file(), where + ": the exception names the file");
                assertTrue(e.getMessage().contains(".blk"), where + ": " + e.getMessage());
            }
            Fixtures.deleteDirectory(dir);
        }
        System.out.println("bit flips: " + clean + " clean or detected on read, " + corrupt + " refused as corrupt");
        assertEquals(1000, clean + corrupt);
        assertTrue(corrupt > 0, "some flips land in the interior and must be refused");
    }

    @Test
    void damageBeforeTheTailIsRefusedNamingFileAndOffset() throws IOException
    {
        final Path dir = tmp.resolve("store");
        final List<long[]> ends = build(dir, 10);
        final Path block = Fixtures.lastBlock(dir);
        final byte[] bytes = Files.readAllBytes(block);
        final int offset = (int)ends.get(3)[1] + 6; // inside the sequence field of message 5
        bytes[offset] ^= 0x10;
        Files.write(block, bytes);
        final CorruptStoreException e = assertThrows(CorruptStoreException.class,
            () -> Fixtures.open(dir, Fixtures.smallBlocks()));
        assertEquals(block.toString(), e.file());
        assertEquals(ends.get(3)[1], e.offset());
        // the refusal changed nothing: fixing the bit makes the store whole again
        bytes[offset] ^= 0x10;
        Files.write(block, bytes);
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(10, s.state().msgs());
        }
    }

    @Test
    void aSealedBlockTornByPowerLossIsCutAndTheUnsyncedBlocksAfterItAreDroppedAndReported() throws IOException
    {
        final Path dir = tmp.resolve("store");
        long lastInFirstBlock = 0;
        long last;
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            while (s.blockIds().length <= 1)
            {
                lastInFirstBlock = s.append("torn", Fixtures.payload(s.state().lastSeq() + 1, 1000));
            }
            lastInFirstBlock--; // the append that rolled went to block 2
            for (int i = 0; i < 10; i++)
            {
                s.append("torn", Fixtures.payload(s.state().lastSeq() + 1, 1000));
            }
            last = s.state().lastSeq();
        }
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        final Path first = dir.resolve(Block.fileName(1));
        final long size = Files.size(first);
        truncate(first, size - 500); // the tail of block 1 never reached the disk, block 2 did
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            final RecoveryReport report = s.recoveryReport();
            assertTrue(report.cutAnything(), report.toString());
            assertTrue(report.detail().contains("dropped"), report.detail());
            assertEquals(last, report.lastLostSeq(), "every sequence of the dropped block is reported lost");
            assertEquals(lastInFirstBlock - 1, s.state().msgs(), "block 1 keeps its whole records");
            for (long seq = 1; seq < lastInFirstBlock; seq++)
            {
                assertArrayEquals(Fixtures.payload(seq, 1000), s.load(seq).payload());
            }
            assertEquals(last + 1, s.append("torn", new byte[1]), "lost sequences are never handed out again");
        }
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(lastInFirstBlock, s.state().msgs());
            assertEquals(last + 1, s.state().lastSeq());
        }
    }

    @Test
    void aSealedBlockCutAtARecordBoundaryIsReportedNotASilentHole() throws IOException
    {
        final Path dir = tmp.resolve("store");
        long last;
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            while (s.blockIds().length <= 1)
            {
                s.append("torn", Fixtures.payload(s.state().lastSeq() + 1, 1000));
            }
            for (int i = 0; i < 10; i++)
            {
                s.append("torn", Fixtures.payload(s.state().lastSeq() + 1, 1000));
            }
            last = s.state().lastSeq();
        }
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        final Path first = dir.resolve(Block.fileName(1));
        // drop the seal and the last whole message: what ext4 may keep after a power loss (the size of an
        // earlier write), while the next block's pages did reach the disk
        truncate(first, Files.size(first) - RecordCodec.CONTROL_LENGTH - (RecordCodec.MESSAGE_FRAMING + 4 + 1000));
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            final RecoveryReport report = s.recoveryReport();
            assertTrue(report.cutAnything(), report.toString());
            assertTrue(report.detail().contains("without its seal"), report.detail());
            assertEquals(last, report.lastLostSeq());
            final long kept = s.state().msgs();
            assertEquals(last, s.state().lastSeq());
            for (long seq = 1; seq <= kept; seq++)
            {
                assertArrayEquals(Fixtures.payload(seq, 1000), s.load(seq).payload(), "no hole before " + kept);
            }
            for (long seq = kept + 1; seq <= last; seq++)
            {
                assertNull(s.load(seq), "everything after the cut is gone, nothing survives past a hole");
            }
            assertTrue(report.firstLostSeq() <= kept + 1, report.toString());
            assertEquals(last + 1, s.append("torn", new byte[1]));
        }
    }

    @Test
    void aBitFlipInTheLastRecordOfASealedBlockIsRefusedNotCut() throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            while (s.blockIds().length < 3)
            {
                s.append("rot", Fixtures.payload(s.state().lastSeq() + 1, 1000));
            }
        }
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        final Path first = dir.resolve(Block.fileName(1));
        final byte[] bytes = Files.readAllBytes(first);
        bytes[bytes.length - 10] ^= 1; // inside the payload of block 1's last record
        Files.write(first, bytes);
        final CorruptStoreException e = assertThrows(CorruptStoreException.class,
            () -> Fixtures.open(dir, Fixtures.smallBlocks()));
        assertEquals(first.toString(), e.file());
    }

    @Test
    void aStaleIndexFileWithAValidChecksumIsNotUsed() throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            for (int i = 1; i <= 100; i++)
            {
                s.append("stale", Fixtures.payload(i, 100));
            }
        }
        final Path saved = tmp.resolve("old-index.db");
        Files.copy(dir.resolve(IndexFile.FILE_NAME), saved);
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertTrue(s.recoveryReport().usedIndex());
            s.remove(50);
            s.append("stale", Fixtures.payload(101, 100));
        }
        Files.copy(saved, dir.resolve(IndexFile.FILE_NAME), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertFalse(s.recoveryReport().usedIndex(), "index.db no longer matches the blocks");
            assertEquals(100, s.state().msgs());
            assertEquals(101, s.state().lastSeq());
            assertNull(s.load(50));
            assertArrayEquals(Fixtures.payload(101, 100), s.load(101).payload());
        }
    }

    @Test
    void filesLeftByAnUnfinishedStepAreDeletedAtOpen() throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            s.append("a", new byte[]{1});
        }
        Files.write(dir.resolve("7.blk.tmp"), new byte[]{1, 2, 3});
        Files.write(dir.resolve(IndexFile.FILE_NAME + ".tmp"), new byte[]{4});
        Files.write(dir.resolve("notes.txt"), new byte[]{5});
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(1, s.state().msgs());
        }
        assertFalse(Files.exists(dir.resolve("7.blk.tmp")));
        assertFalse(Files.exists(dir.resolve(IndexFile.FILE_NAME + ".tmp")));
        assertTrue(Files.exists(dir.resolve("notes.txt")), "files that are not the store's are left alone");
    }

    @Test
    void purgeKeepsLastSeqAcrossReopenWithAndWithoutTheIndex() throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            for (int i = 0; i < 2000; i++)
            {
                s.append("p.x", Fixtures.payload(i, 50));
            }
            assertEquals(2000, s.purge());
        }
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(2000, s.state().lastSeq());
            assertEquals(2001, s.state().firstSeq());
        }
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(0, s.state().msgs());
            assertEquals(2001, s.append("p.x", Fixtures.payload(1, 1)));
            assertEquals(1, Fixtures.blockCount(dir));
        }
    }

    @Test
    void lastSeqStaysOnDiskWhenEveryMessageIsRemovedAndTheLastBlockWasSealedAtClose() throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            for (int i = 1; i <= 300; i++)
            {
                s.append("gone", Fixtures.payload(i, 500)); // the last block passes half a block: sealed at close
            }
            for (long seq = 1; seq <= 300; seq++)
            {
                s.remove(seq);
            }
        }
        // the next open starts no write block; the emptied blocks are deleted, but not every one of them
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(300, s.state().lastSeq());
        }
        assertTrue(Fixtures.blockCount(dir) >= 1, "a block file keeps lastSeq");
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(300, s.state().lastSeq(), "lastSeq from the blocks alone");
            assertEquals(301, s.append("gone", new byte[]{1}), "no sequence is handed out twice");
        }
    }

    @Test
    void lastSeqSurvivesAKillRightAfterARollDeletedTheEmptiedBlock() throws IOException
    {
        final Path dir = tmp.resolve("store");
        final FileStore s = Fixtures.open(dir, Fixtures.smallBlocks());
        long last = 0;
        while (s.blockIds().length < 2)
        {
            last = s.append("gone", Fixtures.payload(s.state().lastSeq() + 1, 1000));
        }
        s.sync();
        for (long seq = 1; seq <= last; seq++)
        {
            s.remove(seq);
        }
        s.sync(); // every message up to last was durable, and so is its removal
        assertArrayEquals(new long[]{2}, s.blockIds(), "block 1 is gone, block 2 holds only removed records");
        // does not fit: the emptied block 2 is sealed and goes, and its successor's floor is only buffered
        s.append("next", Fixtures.payload(last + 1, 64_000));
        assertArrayEquals(new long[]{3}, s.blockIds());
        s.crashForTest(); // a kill: what was written survives, what was buffered does not
        try (FileStore r = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertTrue(r.state().lastSeq() >= last, "lastSeq went back to " + r.state().lastSeq() + " from " + last);
            assertTrue(r.append("again", new byte[]{1}) > last, "a durable sequence is handed out again");
        }
    }

    @Test
    void removedMessagesStayRemovedAfterTheirBlocksTombstonesAreScanned() throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            for (int i = 1; i <= 2000; i++)
            {
                s.append("t." + (i % 5), Fixtures.payload(i, 60));
            }
            for (long seq = 2; seq <= 2000; seq += 2)
            {
                s.remove(seq);
            }
        }
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(1000, s.state().msgs());
            for (long seq = 1; seq <= 2000; seq++)
            {
                if (seq % 2 == 0)
                {
                    assertNull(s.load(seq), "removed " + seq);
                }
                else
                {
                    assertArrayEquals(Fixtures.payload(seq, 60), s.load(seq).payload());
                }
            }
        }
    }
}
