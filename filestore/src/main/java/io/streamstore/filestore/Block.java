package io.streamstore.filestore;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * One numbered block file, {@code <id>.blk}, and what the store knows about it.
 *
 * <p>A block file is a plain run of records (see {@link RecordCodec}), no file header. Every block starts
 * with a floor or purge-floor record; then messages in rising sequence, tombstones and (after a
 * compaction) nothing else. Block ids only grow, so the file names sort in write order and the message
 * sequences of a higher block are all above those of a lower one. Only the newest block, the write
 * block, is appended to; the others are sealed and read through read-only mappings.
 *
 * <p>Life of a block file:
 * <ol>
 *   <li><b>created</b> by a roll (the previous write block is flushed and handed to the next force) as
 *       {@code <id>.blk} holding only a floor record. A roll needs no rename: a crash right after it leaves
 *       an empty or torn newest file, which recovery cuts or deletes like any torn tail, and the directory
 *       is forced with the next force that covers a change written into it;</li>
 *   <li><b>appended</b> through {@link BlockWriter} until the next record would pass the block size (a
 *       record bigger than a block gets a block of its own);</li>
 *   <li><b>sealed</b>, then <b>deleted whole</b> once it has no live message and no needed tombstone, or
 *       <b>rewritten</b> in place (tmp → force → rename → force directory) by the {@link Compactor}.</li>
 * </ol>
 *
 * <p>Per block the store keeps exact accounting:
 * <ul>
 *   <li>{@code rawBytes}: every byte of the file: records, tombstones, floors, removed records;</li>
 *   <li>{@code liveBytes} and {@code liveCount}: the records of live messages;</li>
 *   <li>{@code neededTombstones}: tombstones in this block whose target record is still on disk in
 *       another block. They must stay (Artemis's reclaim rule): dropping one would bring a removed
 *       message back after a crash. Tombstones whose target is gone are dead bytes like removed records.</li>
 * </ul>
 * Message slots are indexed by {@code seq - base}: {@code offsets[i]} is the record's offset when live,
 * {@code -(offset + 2)} when removed but still in the file, and {@link #ABSENT} when not in this file;
 * {@code subjectIds[i]} names its subject. A record's length is read from its header when needed, which
 * keeps the index at 8 bytes per message.
 */
final class Block
{
    static final int ABSENT = -1;

    final long id;
    final Path path;
    long base;
    int slots;
    int[] offsets;
    int[] subjectIds;

    long rawBytes;
    long liveBytes;
    int liveCount;
    int tombstones;
    int controls;
    int neededTombstones;
    /**
     * Live bytes and needed tombstones right after the last rewrite (-1 when never rewritten): the compactor
     * does not rewrite a block again until one of them changed, so a rewrite that gained nothing cannot
     * repeat (NATS #6352). With exact accounting it would not trigger anyway; this is the guard.
     */
    long liveBytesAtRewrite = -1;
    int neededAtRewrite = -1;

    /** Blocks that hold records our tombstones point at, and how many tombstones point at each. */
    Block[] targets = new Block[0];
    int[] targetCounts = new int[0];
    int targetSize;
    /** Blocks whose tombstones point at our records. */
    Block[] referrers = new Block[0];
    int referrerSize;
    /** Where this block last sat in a referrer's {@link #targets}: a hint, checked before use. */
    int referrerHint;

    boolean deleted;
    boolean sealed;

    /** Read-only mapping of a sealed block; null until first read and after eviction. */
    MappedByteBuffer mapping;
    UnsafeBuffer mapped;
    ByteBuffer mappedView;
    long mappedLength;
    /** When the mapping was last used (the index's tick): the least recent is unmapped first. */
    long lastUse;

    Block(final long id, final Path path, final long base)
    {
        this(id, path, base, 64);
    }

    Block(final long id, final Path path, final long base, final int capacity)
    {
        this.id = id;
        this.path = path;
        this.base = base;
        final int c = Math.max(4, capacity);
        offsets = new int[c];
        subjectIds = new int[c];
    }

    static String fileName(final long id)
    {
        return id + ".blk";
    }

    long lastSlotSeq()
    {
        return base + slots - 1;
    }

    boolean holds(final long seq)
    {
        return seq >= base && seq - base < slots;
    }

    /** True when the record of {@code seq} is in this file, live or removed. */
    boolean holdsRecord(final long seq)
    {
        return holds(seq) && offsets[(int)(seq - base)] != ABSENT;
    }

    boolean isLive(final long seq)
    {
        return holds(seq) && offsets[(int)(seq - base)] >= 0;
    }

    /** Adds the slot of {@code seq} (slots between the last one and it stay absent). */
    void addSlot(final long seq, final int offset, final int length, final int subjectId)
    {
        final long index = seq - base;
        if (index < slots || index > Integer.MAX_VALUE - 16)
        {
            throw new IllegalStateException("sequence " + seq + " out of order in block " + id);
        }
        final int i = (int)index;
        if (i >= offsets.length)
        {
            final int capacity = Math.max(i + 1, offsets.length * 2);
            offsets = Arrays.copyOf(offsets, capacity);
            subjectIds = Arrays.copyOf(subjectIds, capacity);
        }
        for (int j = slots; j < i; j++)
        {
            offsets[j] = ABSENT;
        }
        offsets[i] = offset;
        subjectIds[i] = subjectId;
        slots = i + 1;
        liveCount++;
        liveBytes += length;
    }

    static int removedOffset(final int offset)
    {
        return -(offset + 2);
    }

    /** The record offset of a live or removed slot. */
    static int recordOffset(final int encoded)
    {
        return encoded >= 0 ? encoded : -encoded - 2;
    }

    /** Bytes a rewrite would drop: removed records and tombstones nothing depends on any more. */
    long reclaimableBytes()
    {
        return rawBytes - liveBytes - (long)RecordCodec.CONTROL_LENGTH * (neededTombstones + controls);
    }

    void addTarget(final Block target)
    {
        // tombstones all go to the write block: remember, in the target, where its count sits there
        final int hint = target.referrerHint;
        if (hint < targetSize && targets[hint] == target)
        {
            targetCounts[hint]++;
            neededTombstones++;
            return;
        }
        for (int i = 0; i < targetSize; i++)
        {
            if (targets[i] == target)
            {
                targetCounts[i]++;
                neededTombstones++;
                target.referrerHint = i;
                return;
            }
        }
        if (targetSize == targets.length)
        {
            targets = Arrays.copyOf(targets, Math.max(4, targetSize * 2));
            targetCounts = Arrays.copyOf(targetCounts, targets.length);
        }
        targets[targetSize] = target;
        targetCounts[targetSize] = 1;
        target.referrerHint = targetSize;
        targetSize++;
        neededTombstones++;
        target.addReferrer(this);
    }

    void addTargetCount(final Block target, final int count)
    {
        if (count <= 0)
        {
            return;
        }
        addTarget(target);
        for (int i = 0; i < targetSize; i++)
        {
            if (targets[i] == target)
            {
                targetCounts[i] += count - 1;
                neededTombstones += count - 1;
                return;
            }
        }
    }

    private void addReferrer(final Block referrer)
    {
        if (referrerSize == referrers.length)
        {
            referrers = Arrays.copyOf(referrers, Math.max(4, referrerSize * 2));
        }
        referrers[referrerSize++] = referrer;
    }

    /** Forgets every tombstone pointing at {@code target}: its records are gone. */
    void dropTarget(final Block target)
    {
        for (int i = 0; i < targetSize; i++)
        {
            if (targets[i] == target)
            {
                neededTombstones -= targetCounts[i];
                targetSize--;
                targets[i] = targets[targetSize];
                targetCounts[i] = targetCounts[targetSize];
                targets[targetSize] = null;
                return;
            }
        }
    }

    private void dropReferrer(final Block referrer)
    {
        for (int i = 0; i < referrerSize; i++)
        {
            if (referrers[i] == referrer)
            {
                referrerSize--;
                referrers[i] = referrers[referrerSize];
                referrers[referrerSize] = null;
                return;
            }
        }
    }

    /**
     * This block's removed records are no longer on disk (it was deleted or rewritten): every referrer's
     * tombstones that pointed here become dead bytes. Returns the referrers, for the caller to re-check.
     */
    Block[] releaseReferrers()
    {
        final Block[] released = Arrays.copyOf(referrers, referrerSize);
        for (final Block r : released)
        {
            r.dropTarget(this);
        }
        Arrays.fill(referrers, null);
        referrerSize = 0;
        return released;
    }

    /** This block is going away: it no longer refers to anything. */
    void releaseTargets()
    {
        for (int i = 0; i < targetSize; i++)
        {
            targets[i].dropReferrer(this);
            targets[i] = null;
        }
        targetSize = 0;
        neededTombstones = 0;
    }

    /** Maps the sealed file read-only; the caller bounds how many blocks are mapped at once. */
    void map() throws IOException
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size > Integer.MAX_VALUE)
            {
                throw new IOException("block file " + path + " is " + size + " bytes, more than a block can be");
            }
            mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            mapped = new UnsafeBuffer(mapping);
            mappedView = mapping.duplicate();
            mappedLength = size;
        }
    }

    void unmap()
    {
        if (mapping != null)
        {
            final MappedByteBuffer m = mapping;
            mapping = null;
            mapped = null;
            mappedView = null;
            mappedLength = 0;
            IoUtil.unmap(m);
        }
    }

    @Override
    public String toString()
    {
        return "block " + id + " (" + path.getFileName() + ", seqs " + base + ".." + lastSlotSeq() + ", live " +
            liveCount + ", raw " + rawBytes + ")";
    }
}
