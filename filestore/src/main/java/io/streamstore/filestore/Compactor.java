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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reclaims the space of removed messages, and only when it pays.
 *
 * <ul>
 *   <li>A sealed block with no live message and no needed tombstone is deleted whole: no byte is
 *       rewritten (the common work-queue case). Not while it is the newest block file, though (no write
 *       block after it, as after an open that did not continue the last block): its floors are then the only
 *       record of {@code lastSeq} on disk. It goes once a write block exists (see
 *       {@link FileStore#mayDeleteWhole}).</li>
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
 *
 * <p>Rewrites that a removal triggers run in the background, one at a time per store, so that the removing
 * thread never waits for a block write and its force (megabytes and an fsync, once per block):
 * <ol>
 *   <li>under the store's lock, the records the new file keeps are copied into a buffer (a memory copy);</li>
 *   <li>without the lock, the shared compactor thread writes {@code <id>.blk.tmp} and forces it. Meanwhile
 *       the old file stays in place and is what reads see; removals of its records go on and are noted;</li>
 *   <li>under the lock, the tmp file is renamed onto {@code <id>.blk} and the block's offsets switch to the
 *       new file (a record removed meanwhile stays in it, as a removed record);</li>
 *   <li>without the lock, the directory is forced; then, under the lock, the tombstones that pointed at the
 *       dropped records are released (they may now be dropped themselves) — only now, once the new file is
 *       durable, so a crash at any step finds the old file with every tombstone it needs, or the new one.
 *       Tombstones written meanwhile for records the new file still holds stay needed.</li>
 * </ol>
 * While a block is being rewritten it is neither deleted nor rewritten again; it is re-checked at the end.
 * {@code compact()}, {@code purge()}, {@code stats()} and {@code close()} first wait for the rewrite in
 * flight. A write or force error in the background is fail-stop like any other.
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

    private static final ExecutorService BACKGROUND = Executors.newSingleThreadExecutor(r ->
    {
        final Thread t = new Thread(r, "streamstore-file-compactor");
        t.setDaemon(true);
        return t;
    });
    private final boolean background;
    private final ReentrantLock lock;
    private final Condition idle;
    /** The block a background rewrite is working on, or null. */
    private Block inFlight;
    /** Blocks that qualified for a rewrite while another was in flight. */
    private final ArrayDeque<Block> waiting = new ArrayDeque<>();
    /** Removals of {@link #inFlight}'s records since its copy: the write block holding each tombstone. */
    private final ArrayList<Block> removedHolders = new ArrayList<>();
    /** Set by close and crash: no new background rewrite starts, one in flight is dropped. */
    private boolean stopped;
    private boolean abandoned;

    private long rewritten;
    private long rewrittenBytes;
    private long reclaimedBytes;

    Compactor(final FileStore store, final Index index, final long blockSize, final ReentrantLock lock,
        final boolean background)
    {
        this.store = store;
        this.index = index;
        this.minReclaim = Math.max(4096, blockSize / 32);
        this.lock = lock;
        this.idle = lock.newCondition();
        this.background = background;
    }

    /** The copy a rewrite writes: its length, the new offset of each slot live at copy time, what it kept. */
    private record Copy(int length, int[] newOffsets, long[] keptTombstones, int controls, long liveBytes)
    {
    }

    /** Under the lock: waits until no background rewrite is in flight or waiting. */
    void awaitIdle()
    {
        while (inFlight != null)
        {
            idle.awaitUninterruptibly();
        }
    }

    /** Under the lock, at close: lets the rewrite in flight finish, starts no other. */
    void stop()
    {
        stopped = true;
        waiting.clear();
        awaitIdle();
    }

    /** Under the lock, when the store stops as a killed process would: the rewrite in flight is dropped. */
    void abandon()
    {
        abandoned = true;
        stop();
    }

    /** A live record of a block being rewritten in the background was removed; its tombstone is in {@code holder}. */
    void removedDuringRewrite(final Block b, final Block holder)
    {
        if (b == inFlight && holder != b)
        {
            removedHolders.add(holder);
        }
    }

    boolean rewriting(final Block b)
    {
        return b == inFlight;
    }

    boolean shouldRewrite(final Block b)
    {
        if (!b.sealed || b.deleted || b == index.writeBlock() || b == inFlight)
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
        if (!running && (b.liveCount > 0 || b.neededTombstones > 0) && !shouldRewrite(b))
        {
            return; // the common case on every removal: nothing to delete or rewrite, no queueing
        }
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
                if (b.deleted || !b.sealed || b == index.writeBlock() || b == inFlight)
                {
                    continue; // a block being rewritten is re-checked when the rewrite ends
                }
                if (b.liveCount == 0 && b.neededTombstones == 0 && store.mayDeleteWhole(b))
                {
                    reclaimedBytes += b.rawBytes;
                    pending.addAll(Arrays.asList(store.deleteBlock(b)));
                }
                else if (force && b.reclaimableBytes() > 0)
                {
                    pending.addAll(Arrays.asList(rewrite(b)));
                }
                else if (shouldRewrite(b))
                {
                    if (background)
                    {
                        schedule(b);
                    }
                    else
                    {
                        pending.addAll(Arrays.asList(rewrite(b)));
                    }
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
        awaitIdle();
        waiting.clear();
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

    /** Rewrites {@code b} now, on this thread; returns the blocks whose tombstones became dead. */
    Block[] rewrite(final Block b) throws IOException
    {
        final Copy copy = copy(b);
        final Path tmp = tmpPath(b);
        writeTmp(tmp, copy.length());
        store.io().rename(tmp, b.path);
        store.io().forceDirectory(b.path.getParent());
        install(b, copy);
        b.neededAtRewrite = b.neededTombstones;
        return b.releaseReferrers();
    }

    private static Path tmpPath(final Block b)
    {
        return b.path.resolveSibling(b.id + ".blk.tmp");
    }

    /** Under the lock: starts a background rewrite of {@code b}, or queues it behind the one in flight. */
    private void schedule(final Block b) throws IOException
    {
        if (stopped)
        {
            return; // closing: the next open re-checks every block
        }
        if (inFlight != null)
        {
            if (!waiting.contains(b))
            {
                waiting.add(b);
            }
            return;
        }
        final Copy copy = copy(b);
        inFlight = b;
        removedHolders.clear();
        try
        {
            BACKGROUND.execute(() -> runInBackground(b, copy));
        }
        catch (final RuntimeException e)
        {
            inFlight = null;
            idle.signalAll();
            throw e;
        }
    }

    /** The compactor thread: steps 2 to 4 of a background rewrite (see the class comment). */
    private void runInBackground(final Block b, final Copy copy)
    {
        final Path tmp = tmpPath(b);
        IOException error = null;
        try
        {
            writeTmp(tmp, copy.length());
        }
        catch (final IOException e)
        {
            error = e;
        }
        catch (final RuntimeException | Error e)
        {
            error = new IOException("compaction write failed: " + e, e);
        }
        boolean renamed = false;
        lock.lock();
        try
        {
            if (error == null && !abandoned && !store.failed() && !b.deleted)
            {
                try
                {
                    store.io().rename(tmp, b.path);
                    renamed = true;
                    install(b, copy);
                }
                catch (final IOException e)
                {
                    error = e;
                }
            }
            if (!renamed)
            {
                finish(b, error, null);
                return;
            }
        }
        finally
        {
            lock.unlock();
        }
        try
        {
            store.io().forceDirectory(b.path.getParent());
        }
        catch (final IOException e)
        {
            error = e;
        }
        catch (final RuntimeException | Error e)
        {
            error = new IOException("compaction directory force failed: " + e, e);
        }
        lock.lock();
        try
        {
            if (error != null || abandoned)
            {
                finish(b, error, null);
                return;
            }
            // the new file is durable: the tombstones that pointed at dropped records are no longer needed,
            // except those written meanwhile for records the new file still holds
            final Block[] released = b.releaseReferrers();
            for (final Block holder : removedHolders)
            {
                if (!holder.deleted)
                {
                    holder.addTarget(b);
                }
            }
            b.neededAtRewrite = b.neededTombstones;
            finish(b, null, released);
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Under the lock: ends the rewrite in flight, re-checks what it affected and starts the next one. */
    private void finish(final Block b, final IOException error, final Block[] released)
    {
        inFlight = null;
        removedHolders.clear();
        try
        {
            if (error != null)
            {
                store.fail("compact", error);
                waiting.clear();
                return;
            }
            if (abandoned || stopped || store.failed())
            {
                waiting.clear();
                return;
            }
            pending.add(b);
            if (released != null)
            {
                pending.addAll(Arrays.asList(released));
            }
            pending.addAll(waiting);
            waiting.clear();
            drain(false);
        }
        catch (final IOException e)
        {
            store.fail("compact", e);
        }
        catch (final RuntimeException e)
        {
            store.fail("compact", new IOException(e));
        }
        finally
        {
            idle.signalAll();
        }
    }

    /** Under the lock: copies what {@code b} keeps into the scratch buffer. */
    private Copy copy(final Block b) throws IOException
    {
        store.dropCloseFiles();
        final DirectBuffer src = index.buffer(b);
        final int limit = index.limit(b);
        final long keep = b.rawBytes - b.reclaimableBytes();
        ensureScratch((int)Math.min(Integer.MAX_VALUE - 8, Math.max(keep, 4096)));
        final int[] newOffsets = new int[b.slots];
        Arrays.fill(newOffsets, Block.ABSENT);
        long[] kept = new long[16];
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
                    if (keptTombstones == kept.length)
                    {
                        kept = Arrays.copyOf(kept, kept.length * 2);
                    }
                    kept[keptTombstones++] = value;
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
        return new Copy(out, newOffsets, Arrays.copyOf(kept, keptTombstones), controls, b.liveBytes);
    }

    private void writeTmp(final Path tmp, final int length) throws IOException
    {
        final FileIo io = store.io();
        final FileChannel channel = io.create(tmp);
        try
        {
            final ByteBuffer view = scratch.duplicate();
            view.limit(length).position(0);
            io.write(channel, view, 0);
            io.force(channel);
        }
        finally
        {
            channel.close();
        }
    }

    /**
     * Under the lock, once the new file is in place: offsets switch to it (a record removed since the copy is
     * in the new file as a removed record), and its kept tombstones are counted against their targets as they
     * are now (a target deleted or rewritten since the copy no longer needs them).
     */
    private void install(final Block b, final Copy copy)
    {
        index.unmap(b);
        final int[] newOffsets = copy.newOffsets();
        final long before = b.rawBytes;
        for (int i = 0; i < b.slots; i++)
        {
            final int now = b.offsets[i];
            final int next = i < newOffsets.length ? newOffsets[i] : Block.ABSENT;
            if (now >= 0)
            {
                b.offsets[i] = next;
            }
            else if (now != Block.ABSENT && next >= 0)
            {
                b.offsets[i] = Block.removedOffset(next);
            }
            else
            {
                b.offsets[i] = Block.ABSENT;
            }
        }
        final int out = copy.length();
        b.rawBytes = out;
        b.tombstones = copy.keptTombstones().length;
        b.controls = copy.controls();
        b.liveBytesAtRewrite = copy.liveBytes();
        b.releaseTargets();
        for (final long seq : copy.keptTombstones())
        {
            final Block target = index.find(seq);
            if (target != null && target != b && !target.deleted && target.holdsRecord(seq))
            {
                b.addTarget(target);
            }
        }
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
