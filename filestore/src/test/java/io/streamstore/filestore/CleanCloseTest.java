package io.streamstore.filestore;

import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.StreamConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A torn tail comes only from a crash. After a clean close ({@code clean.mark} matches the blocks) damage to
 * the last record is refused like damage anywhere else, so a damaged tombstone can never be cut away to bring
 * its message back; after a crash the same damage is a torn tail, cut and reported as before, and a marker
 * left from an earlier clean close never passes for a clean close.
 */
class CleanCloseTest
{
    private static final StreamConfig CONFIG = Fixtures.smallBlocks();
    private static final int COUNT = 20;

    @TempDir
    Path tmp;

    /** A cleanly closed store of COUNT messages whose write block ends with a tombstone for 5 (or with 20). */
    private Path build(final String name, final boolean tombstoneLast) throws IOException
    {
        final Path dir = tmp.resolve(name);
        try (FileStore s = Fixtures.open(dir, CONFIG))
        {
            for (int i = 1; i <= COUNT; i++)
            {
                s.append("c." + (i % 3), Fixtures.payload(i, 200));
            }
            if (tombstoneLast)
            {
                assertTrue(s.remove(5));
            }
        }
        assertTrue(Files.exists(dir.resolve(CloseMarker.FILE_NAME)), "a clean close writes the marker");
        return dir;
    }

    private static void flip(final Path file, final long offset) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        bytes[(int)offset] ^= 0x04;
        Files.write(file, bytes);
    }

    private static void truncate(final Path file, final long size) throws IOException
    {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            ch.truncate(size);
        }
    }

    /** Every file of the store but the lock, name to bytes. */
    private static Map<String, byte[]> contents(final Path dir) throws IOException
    {
        final TreeMap<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir))
        {
            for (final Path p : (Iterable<Path>)list::iterator)
            {
                if (!p.getFileName().toString().equals(DirectoryLock.FILE_NAME))
                {
                    files.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        }
        return files;
    }

    private static void assertUnchanged(final Map<String, byte[]> before, final Path dir) throws IOException
    {
        final Map<String, byte[]> after = contents(dir);
        assertEquals(before.keySet(), after.keySet(), "the refused open created or deleted no file");
        for (final Map.Entry<String, byte[]> e : before.entrySet())
        {
            assertArrayEquals(e.getValue(), after.get(e.getKey()), "the refused open changed " + e.getKey());
        }
    }

    private void refusedNamingFileAndOffset(final boolean tombstoneLast, final boolean keepIndex) throws IOException
    {
        final Path dir = build("refuse-" + tombstoneLast + "-" + keepIndex, tombstoneLast);
        if (!keepIndex)
        {
            Files.delete(dir.resolve(IndexFile.FILE_NAME));
        }
        final Path block = Fixtures.lastBlock(dir);
        final long size = Files.size(block);
        final long lastRecord = tombstoneLast ? size - RecordCodec.CONTROL_LENGTH :
            size - (RecordCodec.MESSAGE_FRAMING + 3 + 200);
        flip(block, tombstoneLast ? size - 9 : size - 50); // the removed sequence, or the payload
        final Map<String, byte[]> before = contents(dir);
        final CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> Fixtures.open(dir, CONFIG));
        assertEquals(block.toString(), e.file());
        assertEquals(lastRecord, e.offset(), e.getMessage());
        assertUnchanged(before, dir);
        // and again: the refusal is not a one-off that a second open would get past
        assertThrows(CorruptStoreException.class, () -> Fixtures.open(dir, CONFIG));
        assertUnchanged(before, dir);
    }

    @Test
    void aDamagedLastMessageOfACleanlyClosedStoreIsRefusedNamingFileAndOffset() throws IOException
    {
        refusedNamingFileAndOffset(false, false);
    }

    @Test
    void aDamagedLastTombstoneOfACleanlyClosedStoreIsRefusedNotCutSoTheRemovalStands() throws IOException
    {
        refusedNamingFileAndOffset(true, false);
    }

    @Test
    void aDamagedLastTombstoneIsRefusedAlsoWhenTheIndexFileIsLoaded() throws IOException
    {
        refusedNamingFileAndOffset(true, true);
    }

    @Test
    void everyDamagedByteOfTheLastTombstoneIsRefusedAndNeverBringsItsMessageBack() throws IOException
    {
        final Path pristine = build("every-byte", true);
        Files.delete(pristine.resolve(IndexFile.FILE_NAME));
        final long size = Files.size(Fixtures.lastBlock(pristine));
        for (long at = size - RecordCodec.CONTROL_LENGTH; at < size; at++)
        {
            final Path dir = tmp.resolve("every-byte-" + at);
            Fixtures.copyDirectory(pristine, dir);
            final Path block = Fixtures.lastBlock(dir);
            flip(block, at);
            final CorruptStoreException e = assertThrows(CorruptStoreException.class,
                () -> Fixtures.open(dir, CONFIG), "byte " + at);
            assertEquals(size - RecordCodec.CONTROL_LENGTH, e.offset(), "byte " + at);
            assertEquals(size, Files.size(block), "nothing cut, byte " + at);
            Fixtures.deleteDirectory(dir);
        }
    }

    @Test
    void aSealedBlockThatLostItsSealAfterACleanCloseIsRefusedNotTakenForAPowerLoss() throws IOException
    {
        final Path dir = tmp.resolve("seal");
        try (FileStore s = Fixtures.open(dir, CONFIG))
        {
            while (s.blockIds().length < 3)
            {
                s.append("c.seal", Fixtures.payload(s.state().lastSeq() + 1, 1000));
            }
        }
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        // block 1's seal becomes another valid record: whole records, no seal, the same length
        final Path first = dir.resolve(Block.fileName(1));
        final byte[] bytes = Files.readAllBytes(first);
        RecordCodec.encodeControl(new UnsafeBuffer(bytes), bytes.length - RecordCodec.CONTROL_LENGTH,
            RecordCodec.KIND_TOMBSTONE, 1, null, new CRC32C());
        Files.write(first, bytes);
        final Map<String, byte[]> before = contents(dir);
        final CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> Fixtures.open(dir, CONFIG));
        assertEquals(first.toString(), e.file());
        assertTrue(e.getMessage().contains("without its seal"), e.getMessage());
        assertUnchanged(before, dir);
    }

    @Test
    void repairingTheDamageMakesTheRefusedStoreOpenWhole() throws IOException
    {
        final Path dir = build("repair", true);
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        final Path block = Fixtures.lastBlock(dir);
        final long at = Files.size(block) - 9;
        flip(block, at);
        assertThrows(CorruptStoreException.class, () -> Fixtures.open(dir, CONFIG));
        flip(block, at);
        try (FileStore s = Fixtures.open(dir, CONFIG))
        {
            assertFalse(s.recoveryReport().cutAnything());
            assertEquals(COUNT - 1, s.state().msgs());
            assertNull(s.load(5));
        }
    }

    @Test
    void theSameDamageAfterACrashIsATornTailCutAndReported() throws IOException
    {
        final Path dir = build("crash", false);
        final FileStore s = Fixtures.open(dir, CONFIG);
        assertTrue(s.remove(5)); // the first change after the open retires the marker
        s.sync();
        s.crashForTest();
        assertFalse(Files.exists(dir.resolve(CloseMarker.FILE_NAME)));
        final Path block = Fixtures.lastBlock(dir);
        final long size = Files.size(block);
        flip(block, size - 9);
        try (FileStore r = Fixtures.open(dir, CONFIG))
        {
            final RecoveryReport report = r.recoveryReport();
            assertTrue(report.cutAnything(), report.toString());
            assertEquals(RecordCodec.CONTROL_LENGTH, report.bytesCut());
            assertEquals(size - RecordCodec.CONTROL_LENGTH, Files.size(block));
            assertArrayEquals(Fixtures.payload(5, 200), r.load(5).payload(),
                "a torn removal after a crash is undone, and reported");
        }
    }

    @Test
    void aMarkerLeftFromAnEarlierCloseDoesNotTurnATornTailIntoARefusal() throws IOException
    {
        final Path dir = build("stale", false);
        final Path marker = dir.resolve(CloseMarker.FILE_NAME);
        final byte[] saved = Files.readAllBytes(marker);
        final Path block = Fixtures.lastBlock(dir);
        final long closedLength = Files.size(block);
        final FileStore s = Fixtures.open(dir, CONFIG);
        final long appended = s.append("c.after", Fixtures.payload(99, 300));
        s.sync();
        s.crashForTest();
        // the marker is back (as if its delete had not reached the disk: the length rule alone must hold),
        // and the append reached the disk torn
        Files.write(marker, saved);
        truncate(block, Files.size(block) - 100);
        try (FileStore r = Fixtures.open(dir, CONFIG))
        {
            final RecoveryReport report = r.recoveryReport();
            assertTrue(report.cutAnything(), report.toString());
            assertEquals(appended, report.firstLostSeq());
            assertEquals(closedLength + RecordCodec.CONTROL_LENGTH, Files.size(block),
                "cut back to the length the old marker listed, then a floor keeps the lost sequence from reuse");
            assertEquals(COUNT, r.state().msgs());
            assertFalse(Files.exists(marker), "a stale marker is deleted before the cut");
        }
        // the cut brought the block back to the marker's length: the marker must not return to vouch for it
        try (FileStore r = Fixtures.open(dir, CONFIG))
        {
            assertFalse(r.recoveryReport().cutAnything());
            assertEquals(appended + 1, r.append("c.next", new byte[]{1}), "the lost sequence is not reused");
        }
    }

    @Test
    void aCleanCloseThenReopenAppendAndCrashStillCutsATornTail() throws IOException
    {
        final Path dir = build("reopen", true);
        final FileStore s = Fixtures.open(dir, CONFIG);
        long last = 0;
        for (int i = 0; i < 5; i++)
        {
            last = s.append("c.more", Fixtures.payload(100 + i, 150));
        }
        s.sync();
        s.crashForTest();
        final Path block = Fixtures.lastBlock(dir);
        truncate(block, Files.size(block) - 7);
        try (FileStore r = Fixtures.open(dir, CONFIG))
        {
            final RecoveryReport report = r.recoveryReport();
            assertTrue(report.cutAnything(), report.toString());
            assertEquals(last, report.firstLostSeq());
            assertEquals(COUNT - 1 + 4, r.state().msgs());
            assertNull(r.load(5), "the removal before the clean close stands");
            assertNotNull(r.load(last - 1));
        }
    }

    @Test
    void aPowerLossThatLosesEverythingAfterTheCleanCloseLeavesAValidMarker() throws IOException
    {
        final Path dir = build("lost", true);
        final Path marker = dir.resolve(CloseMarker.FILE_NAME);
        final byte[] saved = Files.readAllBytes(marker);
        final Path block = Fixtures.lastBlock(dir);
        final long closedLength = Files.size(block);
        final FileStore s = Fixtures.open(dir, CONFIG);
        s.append("c.unsynced", Fixtures.payload(7, 100));
        s.remove(6);
        s.crashForTest();
        // the file kept only what the close forced and the marker is back: what it vouches for is whole
        Files.write(marker, saved);
        truncate(block, closedLength);
        try (FileStore r = Fixtures.open(dir, CONFIG))
        {
            assertFalse(r.recoveryReport().cutAnything(), r.recoveryReport().toString());
            assertEquals(COUNT - 1, r.state().msgs());
            assertNull(r.load(5));
            assertNotNull(r.load(6));
        }
    }

    @Test
    void theFirstChangeAfterACleanReopenDeletesTheMarkerDurablyBeforeWritingAnything() throws IOException
    {
        final Path dir = build("first-change", false);
        final FaultyFileIo io = new FaultyFileIo();
        try (FileStore s = FileStore.open(dir, CONFIG, io))
        {
            io.arm(Long.MAX_VALUE);
            s.append("c.first", new byte[]{1});
            s.sync();
            final List<String> log = io.log();
            final int delete = log.indexOf("delete " + CloseMarker.FILE_NAME);
            assertTrue(delete >= 0, log.toString());
            assertTrue(log.get(delete + 1).startsWith("forceDirectory"), log.toString());
            assertTrue(log.indexOf("write ") > delete + 1, log.toString());
            assertFalse(Files.exists(dir.resolve(CloseMarker.FILE_NAME)));
            io.arm(Long.MAX_VALUE);
            s.append("c.second", new byte[]{2});
            s.sync();
            assertFalse(io.log().contains("forceDirectory " + dir.getFileName()), "once per open: " + io.log());
        }
    }

    @Test
    void aReopenWithoutChangesKeepsTheMarkerValid() throws IOException
    {
        final Path dir = build("keep", true);
        final byte[] marker = Files.readAllBytes(dir.resolve(CloseMarker.FILE_NAME));
        try (FileStore s = Fixtures.open(dir, CONFIG))
        {
            assertEquals(COUNT - 1, s.state().msgs());
        }
        assertArrayEquals(marker, Files.readAllBytes(dir.resolve(CloseMarker.FILE_NAME)));
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        final Path block = Fixtures.lastBlock(dir);
        flip(block, Files.size(block) - 9);
        assertThrows(CorruptStoreException.class, () -> Fixtures.open(dir, CONFIG));
    }

    @Test
    void aDamagedMarkerIsIgnoredAndDeleted() throws IOException
    {
        final Path dir = build("damaged", true);
        final Path marker = dir.resolve(CloseMarker.FILE_NAME);
        flip(marker, 20);
        Files.delete(dir.resolve(IndexFile.FILE_NAME));
        try (FileStore s = Fixtures.open(dir, CONFIG))
        {
            assertFalse(s.recoveryReport().cutAnything());
            assertEquals(COUNT - 1, s.state().msgs());
            assertFalse(Files.exists(marker));
        }
        assertTrue(Files.exists(marker), "the next clean close writes a new one");
    }
}
