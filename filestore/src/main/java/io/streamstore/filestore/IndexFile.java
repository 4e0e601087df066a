package io.streamstore.filestore;

import org.agrona.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * {@code index.db}: a snapshot of the in-memory index written at close, so that the next open need not
 * scan the blocks. Little-endian:
 * <pre>
 * | size        | field                                                                         |
 * |-------------|-------------------------------------------------------------------------------|
 * | 8           | magic "SSIDX001"                                                              |
 * | 4           | version (1)                                                                   |
 * | 4           | block count B                                                                 |
 * | 4           | subject id limit S                                                            |
 * | 4           | reserved (0)                                                                  |
 * | 8 × 5       | lastSeq, lastTimestamp, nextBlockId, msgs, bytes; then zeros up to byte 64    |
 * | S ×         | per subject id: 2 UTF-8 length (0 = unused id), the bytes, 4 live count       |
 * | B ×         | per block: 8 id, 8 file length, 8 base, 4 slots n, 4 live count, 8 live bytes,|
 * |             | 4 tombstones, 4 controls, 8 live bytes at last rewrite, 4 target count T,     |
 * |             | T × (8 target block id, 4 tombstone count), n × 4 offsets, n × 4 subject ids  |
 * | 4           | CRC32C of everything before it                                                |
 * </pre>
 * It is used only when its checksum matches and the block files on disk are exactly the listed ones
 * with exactly the listed lengths: any change after it was written (appends, tombstones, rewrites,
 * deletes, a crash) changes some block's length or set of files, so a stale index is never used. It is
 * written tmp → force → rename → force directory, and deleted by the first change after it was loaded
 * (a close with no change in between keeps it, still valid, instead of writing it again). The per-subject
 * sequence lists are not stored: they are rebuilt from the slots' subject ids on the first call that needs
 * them, which keeps the open itself to reading and checking this one file.
 */
final class IndexFile
{
    static final String FILE_NAME = "index.db";
    private static final long MAGIC = 0x3130305844495353L; // "SSIDX001" read little-endian
    private static final int VERSION = 1;
    private static final int HEADER = 64;
    private static final long MAX_SIZE = Integer.MAX_VALUE - 64;
    /** Bytes of a block entry before its targets, offsets and subject ids. */
    private static final int BLOCK_ENTRY = 8 + 8 + 8 + 4 + 4 + 8 + 4 + 4 + 8 + 4;

    private IndexFile()
    {
    }

    /** Writes the index of a store whose blocks are all flushed; returns the bytes written. */
    static long write(final Path directory, final FileIo io, final Index index, final long nextBlockId)
        throws IOException
    {
        final int subjectLimit = index.subjectIdLimit();
        long size = HEADER + 4;
        for (int id = 0; id < subjectLimit; id++)
        {
            final SubjectEntry e = index.subjectById(id);
            size += 2 + 4 + (e == null ? 0 : e.utf8.length);
        }
        for (final Block b : index.blocks)
        {
            size += BLOCK_ENTRY + 12L * b.targetSize + 8L * b.slots;
        }
        if (size > MAX_SIZE)
        {
            return 0; // too big for one buffer: the next open scans
        }
        final ByteBuffer buffer = ByteBuffer.allocateDirect((int)size).order(RecordCodec.ORDER);
        try
        {
            buffer.putLong(MAGIC).putInt(VERSION).putInt(index.blocks.size()).putInt(subjectLimit).putInt(0);
            buffer.putLong(index.lastSeq).putLong(index.lastTimestamp).putLong(nextBlockId)
                .putLong(index.msgs).putLong(index.bytes);
            while (buffer.position() < HEADER)
            {
                buffer.put((byte)0);
            }
            for (int id = 0; id < subjectLimit; id++)
            {
                final SubjectEntry e = index.subjectById(id);
                if (e == null)
                {
                    buffer.putShort((short)0).putInt(0);
                }
                else
                {
                    buffer.putShort((short)e.utf8.length).put(e.utf8).putInt(e.live());
                }
            }
            for (final Block b : index.blocks)
            {
                buffer.putLong(b.id).putLong(b.rawBytes).putLong(b.base).putInt(b.slots).putInt(b.liveCount)
                    .putLong(b.liveBytes).putInt(b.tombstones).putInt(b.controls).putLong(b.liveBytesAtRewrite)
                    .putInt(b.targetSize);
                for (int i = 0; i < b.targetSize; i++)
                {
                    buffer.putLong(b.targets[i].id).putInt(b.targetCounts[i]);
                }
                putInts(buffer, b.offsets, b.slots);
                putInts(buffer, b.subjectIds, b.slots);
            }
            final CRC32C crc = new CRC32C();
            final ByteBuffer view = buffer.duplicate();
            view.flip();
            crc.update(view);
            buffer.putInt((int)crc.getValue());
            buffer.flip();

            io.replace(directory, FILE_NAME, buffer);
            return size;
        }
        finally
        {
            BufferUtil.free(buffer);
        }
    }

    private static void putInts(final ByteBuffer buffer, final int[] values, final int count)
    {
        buffer.asIntBuffer().put(values, 0, count);
        buffer.position(buffer.position() + 4 * count);
    }

    private static void getInts(final ByteBuffer buffer, final int[] values, final int count)
    {
        buffer.asIntBuffer().get(values, 0, count);
        buffer.position(buffer.position() + 4 * count);
    }

    /**
     * Loads {@code index.db} into {@code index} when it is valid and matches {@code files} (block id →
     * file length, as on disk now).
     *
     * @return the next block id, or -1 when the file is missing, damaged or stale ({@code index} is then
     * left empty for a scan)
     */
    static long load(final Path directory, final Index index, final Map<Long, Long> files)
    {
        final Path path = directory.resolve(FILE_NAME);
        if (!Files.isRegularFile(path))
        {
            return -1;
        }
        java.nio.MappedByteBuffer mapping = null;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size < HEADER + 4 || size > MAX_SIZE)
            {
                return -1;
            }
            mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            final ByteBuffer buffer = mapping.duplicate().order(RecordCodec.ORDER);
            final CRC32C crc = new CRC32C();
            final ByteBuffer body = buffer.duplicate();
            body.limit((int)size - 4);
            crc.update(body);
            if ((int)crc.getValue() != buffer.getInt((int)size - 4))
            {
                return -1;
            }
            buffer.limit((int)size - 4);
            final long next = parse(buffer, index, files, directory);
            if (next < 0)
            {
                reset(index);
            }
            return next;
        }
        catch (final IOException | RuntimeException e)
        {
            reset(index);
            return -1;
        }
        finally
        {
            if (mapping != null)
            {
                org.agrona.IoUtil.unmap(mapping);
            }
        }
    }

    private static void reset(final Index index)
    {
        index.blocks.clear();
        index.clearSubjects();
        index.msgs = 0;
        index.bytes = 0;
        index.lastSeq = 0;
        index.lastTimestamp = 0;
        index.firstSeq = 1;
    }

    private static long parse(final ByteBuffer in, final Index index, final Map<Long, Long> files,
        final Path directory)
    {
        if (in.getLong() != MAGIC || in.getInt() != VERSION)
        {
            return -1;
        }
        final int blockCount = in.getInt();
        final int subjectLimit = in.getInt();
        in.getInt();
        final long lastSeq = in.getLong();
        final long lastTimestamp = in.getLong();
        final long nextBlockId = in.getLong();
        final long msgs = in.getLong();
        final long bytes = in.getLong();
        if (blockCount != files.size() || subjectLimit < 0 || subjectLimit > in.remaining() / 6 || lastSeq < 0 ||
            msgs < 0 || bytes < 0)
        {
            return -1;
        }
        in.position(HEADER);
        final SubjectEntry[] subjects = new SubjectEntry[subjectLimit];
        final int[] liveCounts = new int[subjectLimit];
        for (int id = 0; id < subjectLimit; id++)
        {
            final int length = in.getShort() & 0xFFFF;
            if (length > RecordCodec.MAX_SUBJECT_LENGTH || length > in.remaining() - 4)
            {
                return -1;
            }
            if (length == 0)
            {
                in.getInt();
                continue;
            }
            final byte[] utf8 = new byte[length];
            in.get(utf8);
            final int live = in.getInt();
            if (live < 0)
            {
                return -1;
            }
            if (live == 0)
            {
                return -1;
            }
            subjects[id] = index.restoreSubject(id, new String(utf8, StandardCharsets.UTF_8), utf8, 4);
            liveCounts[id] = live;
        }
        final ArrayList<long[]> targetLists = new ArrayList<>();
        long totalMsgs = 0;
        for (int i = 0; i < blockCount; i++)
        {
            if (in.remaining() < BLOCK_ENTRY)
            {
                // exactly the fixed part, no more: the last entry may be only that (a block with no slot and no
                // target, e.g. just after a roll or a purge), and refusing it would make that open scan
                return -1;
            }
            final long id = in.getLong();
            final long fileLength = in.getLong();
            final long base = in.getLong();
            final int slots = in.getInt();
            final Long onDisk = files.get(id);
            if (onDisk == null || onDisk != fileLength || slots < 0 || base < 1 ||
                (i > 0 && index.blocks.get(i - 1).id >= id))
            {
                return -1;
            }
            final Block b = new Block(id, directory.resolve(Block.fileName(id)), base, slots);
            b.rawBytes = fileLength;
            b.liveCount = in.getInt();
            b.liveBytes = in.getLong();
            b.tombstones = in.getInt();
            b.controls = in.getInt();
            b.liveBytesAtRewrite = in.getLong();
            final int targetSize = in.getInt();
            if (targetSize < 0 || targetSize > in.remaining() / 12)
            {
                return -1;
            }
            final long[] targets = new long[targetSize * 2];
            for (int t = 0; t < targetSize; t++)
            {
                targets[2 * t] = in.getLong();
                targets[2 * t + 1] = in.getInt();
            }
            targetLists.add(targets);
            if ((long)slots * 8 > in.remaining())
            {
                return -1;
            }
            getInts(in, b.offsets, slots);
            getInts(in, b.subjectIds, slots);
            b.slots = slots;
            b.sealed = true;
            int live = 0;
            for (int s = 0; s < slots; s++)
            {
                final int offset = b.offsets[s];
                if (offset >= 0)
                {
                    final int sid = b.subjectIds[s];
                    if (sid < 0 || sid >= subjectLimit || subjects[sid] == null || (long)offset + RecordCodec.MESSAGE_FRAMING > fileLength)
                    {
                        return -1;
                    }
                    live++;
                }
            }
            if (live != b.liveCount)
            {
                return -1;
            }
            totalMsgs += live;
            index.blocks.add(b);
        }
        if (in.remaining() != 0 || totalMsgs != msgs)
        {
            return -1;
        }
        for (int i = 0; i < blockCount; i++)
        {
            final long[] targets = targetLists.get(i);
            final Block b = index.blocks.get(i);
            for (int t = 0; t < targets.length; t += 2)
            {
                final Block target = index.blockById(targets[t]);
                if (target == null || target == b || targets[t + 1] <= 0)
                {
                    return -1;
                }
                b.addTargetCount(target, (int)targets[t + 1]);
            }
        }
        index.subjectListsPending = true;
        index.pendingLiveCounts = liveCounts;
        index.msgs = msgs;
        index.bytes = bytes;
        index.lastSeq = lastSeq;
        index.lastTimestamp = lastTimestamp;
        return nextBlockId;
    }
}
