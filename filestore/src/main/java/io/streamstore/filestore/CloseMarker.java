package io.streamstore.filestore;

import org.agrona.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.zip.CRC32C;

/**
 * {@code clean.mark}: proof that the store was closed cleanly, so that recovery can tell damage from a torn
 * write. A torn tail comes only from a crash; after a clean close every byte was forced, so an invalid record
 * anywhere, the last one of the write block included, is damage: {@link Recovery} then refuses to open
 * ({@code CorruptStoreException} naming file and offset) instead of cutting, which would silently undo a
 * removal when the cut record is a tombstone. 48 bytes, little-endian:
 * <pre>
 * | offset | size | field                                                                         |
 * |--------|------|-------------------------------------------------------------------------------|
 * | 0      | 8    | magic "SSCLEAN1"                                                              |
 * | 8      | 4    | version (1)                                                                   |
 * | 12     | 4    | reserved (0)                                                                  |
 * | 16     | 8    | block file count B                                                            |
 * | 24     | 8    | id of the newest block file (the write block at close), 0 when B = 0          |
 * | 32     | 8    | its length: the end offset of its last record                                 |
 * | 40     | 4    | CRC32C of the B pairs (8 id, 8 length) of every block file in id order         |
 * | 44     | 4    | CRC32C of bytes [0, 44)                                                       |
 * </pre>
 * It holds only file names and lengths, nothing read from inside a block: damage to a record (even to its
 * checksum field) must not make the marker look stale, or the damage would be cut as a torn tail again.
 *
 * <p>Why it cannot turn a crash into a false refusal, two independent guards:
 * <ul>
 *   <li><b>It goes first.</b> The first change after an open deletes it and forces the directory before
 *       anything is written (one directory force per open, not per change), so after any crash that
 *       followed a change there is no marker, and recovery cuts a torn tail as before.</li>
 *   <li><b>Exact lengths.</b> It is written at close after the final force (tmp → force → rename → force
 *       directory) and is valid only while every block file has exactly the listed length. Block files only
 *       change by appends (nothing is preallocated: {@link BlockWriter} writes with
 *       {@code FileChannel.write}), by whole-file replacement through a forced tmp file and a rename, or by
 *       deletion, and new blocks get ids above every listed one; so any change after the close that reached
 *       the disk, torn or not, makes some length, the count or the newest id differ. A power loss that keeps
 *       a block at exactly its listed length lost everything appended after the close, and what is left is
 *       what the close forced. (The first guard also covers a device that tears the rewrite of the write
 *       block's last, partly filled page, damaging bytes below the listed length while the size stays.)</li>
 * </ul>
 * The one thing that shrinks a file in place is recovery's cut of a torn tail, which could bring a length back
 * to the listed one; so recovery deletes a stale marker, durably, before it cuts anything.
 *
 * <p>Separate from {@code index.db} on purpose: that file may be missing (too big, deleted to force a
 * scan, damaged), and when it is used no block is scanned at all; the marker matters exactly when the
 * blocks are scanned, and at 48 bytes it costs one small write and two forces at close, plus one directory
 * force at the first change after an open.
 */
final class CloseMarker
{
    static final String FILE_NAME = "clean.mark";
    static final int LENGTH = 48;
    private static final long MAGIC = 0x314E41454C435353L; // "SSCLEAN1" read little-endian
    private static final int VERSION = 1;

    private CloseMarker()
    {
    }

    /** Writes the marker for {@code blocks} (flushed and forced, in id order); returns the bytes written. */
    static long write(final Path directory, final FileIo io, final List<Block> blocks) throws IOException
    {
        final CRC32C crc = new CRC32C();
        final ByteBuffer pair = ByteBuffer.allocate(16).order(RecordCodec.ORDER);
        long lastId = 0;
        long lastLength = 0;
        for (final Block b : blocks)
        {
            pair.clear();
            pair.putLong(b.id).putLong(b.rawBytes).flip();
            crc.update(pair);
            lastId = b.id;
            lastLength = b.rawBytes;
        }
        final int listCrc = (int)crc.getValue();
        final ByteBuffer buffer = ByteBuffer.allocateDirect(LENGTH).order(RecordCodec.ORDER);
        try
        {
            buffer.putLong(MAGIC).putInt(VERSION).putInt(0).putLong(blocks.size()).putLong(lastId)
                .putLong(lastLength).putInt(listCrc);
            crc.reset();
            final ByteBuffer body = buffer.duplicate();
            body.flip();
            crc.update(body);
            buffer.putInt((int)crc.getValue());
            buffer.flip();

            io.replace(directory, FILE_NAME, buffer);
            return LENGTH;
        }
        finally
        {
            BufferUtil.free(buffer);
        }
    }

    /**
     * True when the marker in {@code directory} is whole and matches {@code files} (block id → file length,
     * as on disk now) exactly; false when it is missing, damaged or stale.
     */
    static boolean matches(final Path directory, final SortedMap<Long, Long> files)
    {
        final Path path = directory.resolve(FILE_NAME);
        final byte[] bytes;
        try
        {
            if (!Files.isRegularFile(path) || Files.size(path) != LENGTH)
            {
                return false;
            }
            bytes = Files.readAllBytes(path);
        }
        catch (final IOException e)
        {
            return false;
        }
        if (bytes.length != LENGTH)
        {
            return false;
        }
        final ByteBuffer in = ByteBuffer.wrap(bytes).order(RecordCodec.ORDER);
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, LENGTH - 4);
        if ((int)crc.getValue() != in.getInt(LENGTH - 4) || in.getLong(0) != MAGIC || in.getInt(8) != VERSION)
        {
            return false;
        }
        final long count = in.getLong(16);
        final long lastId = in.getLong(24);
        final long lastLength = in.getLong(32);
        final int listCrc = in.getInt(40);
        if (count != files.size())
        {
            return false;
        }
        crc.reset();
        final ByteBuffer pair = ByteBuffer.allocate(16).order(RecordCodec.ORDER);
        long id = 0;
        long length = 0;
        for (final Map.Entry<Long, Long> e : files.entrySet())
        {
            id = e.getKey();
            length = e.getValue();
            pair.clear();
            pair.putLong(id).putLong(length).flip();
            crc.update(pair);
        }
        return id == lastId && length == lastLength && (int)crc.getValue() == listCrc;
    }
}
