package io.streamstore.filestore;

import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.CorruptStoreException;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;

/**
 * Reclaims the space of removed messages, and only when it pays.
 *
 * <ul>
 *   <li>A sealed block with no live message and no needed tombstone is deleted whole: no byte is
 *       rewritten (the common work-queue case).</li>
 *   <li>A sealed block is rewritten when its reclaimable bytes (removed records, plus tombstones whose
 *       target record is gone from disk) are more than half the file and at least {@code minReclaim}.
 *       Needed tombstones and floors are never counted as reclaimable, so a rewrite always at least halves
 *       the file and a block that is mostly needed tombstones is left alone; right after a rewrite the
 *       reclaimable count is exactly 0, so a rewrite that gained nothing cannot re-trigger. Rewrite bytes
 *       are therefore at most the bytes they reclaim, which are at most the bytes appended.</li>
 *   <li>The write block is never rewritten, nor is the block at the head of the stream (the one holding
 *       {@code firstSeq}): removal from the front will empty and delete it, so a rewrite would copy records
 *       that are about to go. That bounds its dead bytes by one block; {@code compact()} still rewrites it.</li>
 * </ul>
 *
 * <p>A rewrite is write {@code <id>.blk.tmp} → force → rename onto {@code <id>.blk} → force directory; a
 * crash leaves either the old file or the new one (a stray {@code .tmp} is deleted at open). Dropping a
 * block's removed records makes every tombstone pointing at them dead, so their blocks are re-checked.
 */
final class Compactor
{
    private final FileStore store;
    private final Index index;
    private final long minReclaim;
    private ByteBuffer scratch;
    private UnsafeBuffer scratchUnsafe;
    private final ArrayDeque<Block> pending = new ArrayDeque<>();
    private boolean running;
    private boolean forced;

    private long rewritten;
    private long rewrittenBytes;
    private long reclaimedBytes;

    Compactor(final FileStore store, final Index index, final long blockSize)
    {
        this.store = store;
        this.index = index;
        this.minReclaim = Math.max(4096, blockSize / 32);
    }

    boolean shouldRewrite(final Block b)
    {
        if (!b.sealed || b.deleted || b == index.writeBlock())
        {
            return false;
        }
        if (b.liveCount > 0 && b.slots > 0 && b.base <= index.firstSeq && index.firstSeq <= b.lastSlotSeq())
        {
            // the head of the stream: consumers eat it from the front and it will be deleted whole; a rewrite
            // now would copy records that are about to go (the work-queue case). compact() still does it.
            return false;
        }
        if (b.liveBytesAtRewrite >= 0 && b.liveBytes == b.liveBytesAtRewrite &&
            b.neededTombstones == b.neededAtRewrite)
        {
            return false; // nothing changed since the last rewrite: another one would gain nothing
        }
        final long reclaim = b.reclaimableBytes();
        return reclaim >= minReclaim && reclaim * 2 > b.rawBytes;
    }

    /** Re-checks a sealed block that lost a live record or a needed tombstone: delete, rewrite or leave. */
    void check(final Block b) throws IOException
    {
        pending.add(b);
        drain(false);
    }

    private void drain(final boolean force) throws IOException
    {
        if (running)
        {
            return;
        }
        running = true;
        try
        {
            Block b;
            while ((b = pending.poll()) != null)
            {
                if (b.deleted || !b.sealed || b == index.writeBlock())
                {
                    continue;
                }
                if (b.liveCount == 0 && b.neededTombstones == 0)
                {
                    reclaimedBytes += b.rawBytes;
                    pending.addAll(Arrays.asList(store.deleteBlock(b)));
                }
                else if (shouldRewrite(b) || (force && b.reclaimableBytes() > 0))
                {
                    pending.addAll(Arrays.asList(rewrite(b)));
                }
            }
        }
        finally
        {
            running = false;
        }
    }

    /** {@code compact()}: every sealed block with anything reclaimable, now. */
    CompactionResult compactAll() throws IOException
    {
        rewritten = 0;
        rewrittenBytes = 0;
        reclaimedBytes = 0;
        final Block write = index.writeBlock();
        for (final Block b : new ArrayList<>(index.blocks))
        {
            if (b != write)
            {
                pending.add(b);
            }
        }
        forced = true;
        try
        {
            drain(true);
        }
        finally
        {
            forced = false;
        }
        final CompactionResult result = rewritten == 0 && reclaimedBytes == 0 ?
            CompactionResult.NOTHING : new CompactionResult(rewritten, reclaimedBytes, rewrittenBytes);
        if (result != CompactionResult.NOTHING)
        {
            store.counters().compactions++;
        }
        return result;
    }

    /** Rewrites {@code b} without what it no longer needs; returns the blocks whose tombstones became dead. */
    Block[] rewrite(final Block b) throws IOException
    {
        store.dropIndexFile();
        final DirectBuffer src = index.buffer(b);
        final int limit = index.limit(b);
        final long keep = b.rawBytes - b.reclaimableBytes();
        ensureScratch((int)Math.min(Integer.MAX_VALUE - 8, Math.max(keep, 4096)));
        final int[] newOffsets = new int[b.slots];
        Arrays.fill(newOffsets, Block.ABSENT);
        final ArrayList<Block> keptTargets = new ArrayList<>();
        int keptTombstones = 0;
        int controls = 0;
        int out = 0;
        int at = 0;
        while (at < limit)
        {
            final int length = RecordCodec.length(src, at);
            if (length < RecordCodec.CONTROL_LENGTH || length > limit - at)
            {
                throw new CorruptStoreException("block file " + b.path + " has a record with a bad length " + length +
                    " at offset " + at + " during compaction; restore the file or move it away and reopen",
                    b.path.toString(), at, null);
            }
            final int kind = RecordCodec.kind(src, at);
            final long value = RecordCodec.value(src, at);
            boolean copy = false;
            if (kind == RecordCodec.KIND_MESSAGE)
            {
                if (b.isLive(value))
                {
                    newOffsets[(int)(value - b.base)] = out;
                    copy = true;
                }
            }
            else if (kind == RecordCodec.KIND_TOMBSTONE)
            {
                final Block target = index.find(value);
                if (target != null && target != b && target.holdsRecord(value))
                {
                    keptTargets.add(target);
                    keptTombstones++;
                    copy = true;
                }
            }
            else
            {
                controls++;
                copy = true;
            }
            if (copy)
            {
                ensureScratch(out + length);
                scratchUnsafe.putBytes(out, src, at, length);
                out += length;
            }
            at += length;
        }

        final Path tmp = b.path.resolveSibling(b.id + ".blk.tmp");
        final FileIo io = store.io();
        final FileChannel channel = io.create(tmp);
        try
        {
            final ByteBuffer view = scratch.duplicate();
            view.limit(out).position(0);
            io.write(channel, view, 0);
            io.force(channel);
        }
        finally
        {
            channel.close();
        }
        io.rename(tmp, b.path);
        io.forceDirectory(b.path.getParent());

        index.unmap(b);
        final long before = b.rawBytes;
        for (int i = 0; i < b.slots; i++)
        {
            if (b.offsets[i] >= 0)
            {
                b.offsets[i] = newOffsets[i];
            }
            else
            {
                b.offsets[i] = Block.ABSENT;
            }
        }
        b.rawBytes = out;
        b.tombstones = keptTombstones;
        b.controls = controls;
        b.liveBytesAtRewrite = b.liveBytes;
        b.releaseTargets();
        for (final Block t : keptTargets)
        {
            b.addTarget(t);
        }
        b.neededAtRewrite = b.neededTombstones;
        final Stats stats = store.counters();
        stats.bytesWritten += out;
        stats.bytesCompacted += out;
        rewritten++;
        rewrittenBytes += out;
        reclaimedBytes += before - out;
        if (!forced)
        {
            stats.compactions++;
        }
        return b.releaseReferrers();
    }

    private void ensureScratch(final int size)
    {
        if (scratch == null || scratch.capacity() < size)
        {
            int capacity = scratch == null ? 4096 : scratch.capacity();
            while (capacity < size)
            {
                capacity = (int)Math.min(Integer.MAX_VALUE - 8, capacity * 2L);
            }
            final ByteBuffer next = ByteBuffer.allocateDirect(capacity);
            if (scratch != null)
            {
                final ByteBuffer old = scratch.duplicate();
                old.clear();
                next.put(old);
                next.clear();
                BufferUtil.free(scratch);
            }
            scratch = next;
            scratchUnsafe = new UnsafeBuffer(next);
        }
    }

    void release()
    {
        if (scratch != null)
        {
            BufferUtil.free(scratch);
            scratch = null;
            scratchUnsafe = null;
        }
    }
}
