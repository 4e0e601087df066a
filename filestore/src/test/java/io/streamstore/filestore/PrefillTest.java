package io.streamstore.filestore;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Under {@code always} the write block is written ahead with zeros (see {@link BlockWriter}). */
class PrefillTest
{
    @TempDir
    Path tmp;

    private static StreamConfig always(final int blockSize)
    {
        return Fixtures.config().sync(SyncPolicy.always()).option("file.block-size", Integer.toString(blockSize))
            .build();
    }

    private static List<Path> blocks(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(p -> p.getFileName().toString().endsWith(".blk")).sorted().toList();
        }
    }

    @Test
    void theWriteBlockIsPrefilledAndCountedButACleanCloseCutsItBack() throws IOException
    {
        final Path dir = tmp.resolve("s");
        final long onDiskOpen;
        final long written;
        try (FileStore s = Fixtures.open(dir, always(1 << 20)))
        {
            s.append("p.a", Fixtures.payload(1, 100));
            final Path block = blocks(dir).get(0);
            assertTrue(Files.size(block) >= FileStore.PREFILL_CHUNK, "prefilled: " + Files.size(block));
            onDiskOpen = s.stats().bytesOnDisk();
            written = s.stats().bytesWritten();
            assertEquals(Files.size(block), onDiskOpen, "bytesOnDisk counts the prefilled zeros");
            assertTrue(written >= FileStore.PREFILL_CHUNK, "bytesWritten counts the zeros: " + written);
        }
        final Path block = blocks(dir).get(0);
        assertTrue(Files.size(block) < 4096, "a clean close cuts the zeros off: " + Files.size(block));
        try (FileStore s = Fixtures.open(dir, always(1 << 20)))
        {
            assertTrue(s.recoveryReport().usedIndex(), "index.db matches the cut-back block");
        }
    }

    @Test
    void zerosLeftByACrashAreTrimmedWithoutReportingACut() throws IOException
    {
        final Path dir = tmp.resolve("s");
        final FileStore s = Fixtures.open(dir, always(1 << 20));
        for (int i = 1; i <= 50; i++)
        {
            s.append("p.a", Fixtures.payload(i, 100));
        }
        s.crashForTest();
        assertTrue(Files.size(blocks(dir).get(0)) >= FileStore.PREFILL_CHUNK, "the crash left the zeros");
        try (FileStore r = Fixtures.open(dir, always(1 << 20)))
        {
            assertFalse(r.recoveryReport().cutAnything(), r.recoveryReport().toString());
            assertEquals(0, r.stats().recoveryBytesCut());
            assertEquals(50, r.state().msgs());
            assertArrayEquals(Fixtures.payload(50, 100), r.load(50).payload());
            assertEquals(51, r.append("p.a", Fixtures.payload(51, 100)), "appends go on after the last record");
        }
        try (FileStore r = Fixtures.open(dir, Fixtures.config().build()))
        {
            assertEquals(51, r.state().msgs());
        }
    }

    @Test
    void zerosAfterTheSealOfAnOlderBlockAreTrimmedAndKeepTheNewerBlocks() throws IOException
    {
        // a crash between a roll's seal and the cut-back of the sealed block's zeros
        final Path dir = tmp.resolve("s");
        try (FileStore s = Fixtures.open(dir, always(64 * 1024)))
        {
            for (int i = 1; i <= 1200; i++)
            {
                s.append("p.a", Fixtures.payload(i, 100));
            }
        }
        final List<Path> files = blocks(dir);
        assertTrue(files.size() >= 2, "rolled: " + files);
        try (FileChannel c = FileChannel.open(files.get(0), StandardOpenOption.WRITE))
        {
            c.write(ByteBuffer.allocate(8192), c.size());
        }
        Files.deleteIfExists(dir.resolve(CloseMarker.FILE_NAME));
        try (FileStore r = Fixtures.open(dir, Fixtures.config().build()))
        {
            assertFalse(r.recoveryReport().cutAnything(), r.recoveryReport().toString());
            assertEquals(1200, r.state().msgs());
            assertArrayEquals(Fixtures.payload(1200, 100), r.load(1200).payload());
        }
    }
}
