package io.streamstore.filestore;

import io.streamstore.spi.Arguments;
import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.ListenerFanout;
import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.Retention;
import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StoreException;
import io.streamstore.spi.StoreFullException;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.Subjects;
import io.streamstore.spi.SyncPolicy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The file store: a directory of numbered block files (see {@link Block}, {@link RecordCodec},
 * {@link Recovery}), an in-memory {@link Index}, tombstones for removals, exact per-block accounting and a
 * {@link Compactor} that deletes emptied blocks whole and rewrites a sealed block only when that pays.
 *
 * <p>One lock orders every call (reads too: a read copies out of a mapping that a concurrent compaction
 * or eviction could otherwise unmap). Durability waits ({@link Flusher}) happen outside it, so concurrent
 * writers under {@code SyncPolicy.always()} share forces. Listener events are recorded under the lock and
 * delivered after it is released and after the change is durable where the policy says so.
 *
 * <p>Sync policies: {@code always} forces (group commit) before {@code append}/{@code remove} return and
 * before their hooks run; {@code every(d)} forces from the shared background thread every {@code d};
 * {@code never} forces only on {@code sync()} and {@code close()}. Under every policy
 * {@link io.streamstore.spi.StoreListener#onDurable} reports the highest sequence a force covered. Records
 * are buffered in memory up to 64 KiB before they are written, so a process kill loses at most that much
 * of what was not yet synced; a synced change survives a kill and a power loss.
 *
 * <p>Work done per appended byte in a steady work-queue loop (100 B payloads on 4-byte subjects): one
 * 134-byte record plus one 16-byte tombstone for 104 message bytes, about 1.44, and no rewrites, since
 * blocks empty from the front and are deleted whole. The documented bound is the SPI's 2.
 */
final class FileStore implements StreamStore
{
    static final String BLOCK_SIZE_OPTION = "file.block-size";
    static final long DEFAULT_BLOCK_SIZE = 8L << 20;
    static final long DEFAULT_QUEUE_BLOCK_SIZE = 4L << 20;
    static final long MIN_BLOCK_SIZE = 65536;
    static final long MAX_BLOCK_SIZE = 1L << 30;
    static final String MAX_MAPPED_OPTION = "file.max-mapped-blocks";
    /** 1 (default): rewrites a removal triggers run on the shared compactor thread; 0: on the caller's. */
    static final String BACKGROUND_COMPACTION_OPTION = "file.background-compaction";
    /**
     * Microseconds a writer waiting for a group commit's force yields the CPU before it parks (0 to 10,000;
     * 0: park at once). No spin at all once a force takes longer than this (see Flusher#spinUntilReleased).
     */
    static final String SPIN_WAIT_OPTION = "file.spin-wait-micros";
    static final long DEFAULT_SPIN_WAIT_MICROS = 500;
    static final long MAX_SPIN_WAIT_MICROS = 10_000;

    /** Zeros written ahead of the write block's records under {@code always}. */
    static final int PREFILL_CHUNK = 256 * 1024;
    /** Spins of {@link #lockForChange} before it parks: a few microseconds. */
    private static final int LOCK_SPINS = 200;
    private static final System.Logger LOG = System.getLogger(FileStore.class.getName());
    private static final byte[] EMPTY = new byte[0];
    /** The last block is continued after a reopen only when it is smaller than this (cheap to read back). */
    private static final long ADOPT_LIMIT = 1 << 20;
    /** Largest unsealed last block continued after a crash rather than sealed with a write at open. */
    private static final long MAX_ADOPT_UNSEALED = 256L << 20;

    private final Path directory;
    private final StreamConfig config;
    private final FileIo io;
    private final long blockSize;
    private final boolean always;
    private final long maxAgeNanos;

    private final ReentrantLock lock = new ReentrantLock();
    private final ListenerFanout fanout = new ListenerFanout();
    private final Stats stats = new Stats();
    private final Index index;
    private final BlockWriter writer;
    private final Compactor compactor;
    private final Flusher flusher;
    private final DirectoryLock directoryLock;
    private final RecoveryReport recoveryReport;
    private final MessageReader reader = new MessageReader();
    private final long clockOffset;
    private final ArrayList<ScheduledFuture<?>> tasks = new ArrayList<>();
    private final Limits limits;

    private long nextBlockId;
    /** index.db was loaded and is still on disk: the first change deletes it (belt and braces: it would
     * not match the changed block lengths anyway). */
    private boolean indexFileOnDisk;
    /** clean.mark matched at open and is still on disk: the first change deletes it (see CloseMarker). */
    private boolean closeMarkerOnDisk;
    private boolean closed;
    private volatile Throwable failure;

    private FileStore(final Path directory, final StreamConfig config, final FileIo io, final DirectoryLock directoryLock)
        throws IOException
    {
        this.directory = directory;
        this.config = config;
        this.io = io;
        this.directoryLock = directoryLock;
        final boolean queue = config.retention() == Retention.WORK_QUEUE || config.retention() == Retention.INTEREST;
        this.blockSize = config.longOption(BLOCK_SIZE_OPTION, queue ? DEFAULT_QUEUE_BLOCK_SIZE : DEFAULT_BLOCK_SIZE,
            MIN_BLOCK_SIZE, MAX_BLOCK_SIZE);
        final int maxMapped = (int)config.longOption(MAX_MAPPED_OPTION, 256, 2, 16384);
        this.always = config.sync().kind() == SyncPolicy.Kind.ALWAYS;
        this.maxAgeNanos = config.maxAge().isZero() ? 0 : saturatedNanos(config.maxAge());
        this.clockOffset = epochNanos() - System.nanoTime();
        this.index = new Index(maxMapped);
        this.writer = new BlockWriter(io, stats, (int)Math.min(blockSize + 4096, 1 << 20));
        if (config.sync().kind() == SyncPolicy.Kind.ALWAYS)
        {
            // a force per change: make it an overwrite of allocated blocks (see BlockWriter)
            writer.prefill(PREFILL_CHUNK, blockSize);
        }
        index.writer = writer;
        this.compactor = new Compactor(this, index, blockSize, lock,
            config.longOption(BACKGROUND_COMPACTION_OPTION, 1, 0, 1) == 1);
        final long spinWaitMicros = config.longOption(SPIN_WAIT_OPTION, DEFAULT_SPIN_WAIT_MICROS, 0,
            MAX_SPIN_WAIT_MICROS);
        this.flusher = new Flusher(this, lock, TimeUnit.MICROSECONDS.toNanos(spinWaitMicros));
        this.limits = new Limits(config, index, this::removeLocked);

        try
        {
            final Recovery recovery = new Recovery(directory, io, index);
            this.recoveryReport = recovery.run();
            this.nextBlockId = recovery.nextBlockId;
            this.indexFileOnDisk = recovery.usedIndex;
            this.closeMarkerOnDisk = recovery.closedCleanly;
            stats.recoveryBytesCut = recovery.bytesCut();
            stats.recoveryRecordsLost = recovery.recordsLost();
            adoptWriteBlock(recovery.usedIndex);
            lock.lock();
            try
            {
                if (recovery.lastLost() > 0)
                {
                    // the lost sequences are gone, but never handed out again: make that durable now
                    final boolean fresh = writer.block == null;
                    final Block b = writableBlock(RecordCodec.CONTROL_LENGTH);
                    if (!fresh)
                    {
                        writer.appendControl(RecordCodec.KIND_FLOOR, index.lastSeq);
                        b.controls++;
                    }
                    flusher.forceAllLocked();
                }
                for (final Block b : new ArrayList<>(index.blocks))
                {
                    if (b != writer.block && !b.deleted)
                    {
                        compactor.check(b);
                    }
                }
                limits.enforceAll();
                flusher.recovered(writer.appended, index.lastSeq);
            }
            finally
            {
                lock.unlock();
            }
        }
        catch (final IOException | RuntimeException | Error e)
        {
            // a refused open (damage, I/O) leaves no mapping or buffer behind
            lock.lock();
            try
            {
                compactor.abandon();
            }
            finally
            {
                lock.unlock();
            }
            index.unmapAll();
            writer.release();
            compactor.release();
            throw e;
        }
        if (config.sync().kind() == SyncPolicy.Kind.EVERY)
        {
            tasks.add(Flusher.schedule(this::backgroundSync, config.sync().interval().toNanos()));
        }
        if (maxAgeNanos > 0)
        {
            final long period = Math.max(TimeUnit.MILLISECONDS.toNanos(5),
                Math.min(TimeUnit.MILLISECONDS.toNanos(250), maxAgeNanos / 4));
            tasks.add(Flusher.schedule(this::expire, period));
        }
    }

    static FileStore open(final Path directory, final StreamConfig config, final FileIo io) throws IOException
    {
        Arguments.requireNonNull(directory, "directory");
        Arguments.requireNonNull(config, "config");
        config.longOption(BLOCK_SIZE_OPTION, DEFAULT_BLOCK_SIZE, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE);
        config.longOption(MAX_MAPPED_OPTION, 256, 2, 16384);
        config.longOption(BACKGROUND_COMPACTION_OPTION, 1, 0, 1);
        config.longOption(SPIN_WAIT_OPTION, DEFAULT_SPIN_WAIT_MICROS, 0, MAX_SPIN_WAIT_MICROS);
        DefaultFileIo.createDirectories(directory);
        final DirectoryLock directoryLock = DirectoryLock.acquire(directory);
        try
        {
            return new FileStore(directory, config, io, directoryLock);
        }
        catch (final IOException e)
        {
            directoryLock.close();
            if (isNoSpace(e))
            {
                throw new StoreFullException("the file store in " + directory + " has no disk space to finish " +
                    "recovery; free space and open it again (nothing was lost)", e);
            }
            throw e;
        }
        catch (final RuntimeException | Error e)
        {
            directoryLock.close();
            throw e;
        }
    }

    private static long saturatedNanos(final java.time.Duration d)
    {
        try
        {
            return d.toNanos();
        }
        catch (final ArithmeticException e)
        {
            return Long.MAX_VALUE;
        }
    }

    private static long epochNanos()
    {
        final Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private long now()
    {
        return System.nanoTime() + clockOffset;
    }

    // ------------------------------------------------------------------------------------- collaborators

    BlockWriter writer()
    {
        return writer;
    }

    FileIo io()
    {
        return io;
    }

    Path directory()
    {
        return directory;
    }

    Stats counters()
    {
        return stats;
    }

    ListenerFanout fanout()
    {
        return fanout;
    }

    long lastSeqLocked()
    {
        return index.lastSeq;
    }

    // -------------------------------------------------------------------------------------------- writes

    @Override
    public StreamConfig config()
    {
        lock.lock();
        try
        {
            checkOpen();
            return config;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Takes the store lock for a change, spinning briefly before parking: a change holds the lock for a
     * microsecond or two, and on a small machine a park and its wake-up cost more than that several times over
     * (concurrent durable writers come back from a group commit all at once).
     */
    private void lockForChange()
    {
        if (lock.tryLock())
        {
            return;
        }
        for (int i = 0; i < LOCK_SPINS; i++)
        {
            Thread.onSpinWait();
            if (!lock.isLocked() && lock.tryLock())
            {
                return;
            }
        }
        lock.lock();
    }

    @Override
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        final int subjectLength = Subjects.validateSubject(subject);
        Arguments.requireNonNull(payload, "payload");
        final byte[] h = headers == null ? EMPTY : headers;
        final long size = (long)subjectLength + h.length + payload.length;
        boolean ok = false;
        try
        {
            final long seq;
            final Flusher.Waiter ticket;
            lockForChange();
            try
            {
                checkOpen();
                checkWritable();
                final int recordLength = RecordCodec.messageLength(subjectLength, h.length, payload.length);
                if (config.maxMsgSize() > 0 && size > config.maxMsgSize())
                {
                    throw new LimitExceededException(LimitExceededException.Limit.MAX_MSG_SIZE, "message of " + size +
                        " bytes (subject + headers + payload) exceeds maxMsgSize " + config.maxMsgSize());
                }
                if (recordLength < 0)
                {
                    throw new LimitExceededException(LimitExceededException.Limit.MAX_MSG_SIZE, "message of " + size +
                        " bytes exceeds the file store's largest record of " + RecordCodec.MAX_RECORD_LENGTH + " bytes");
                }
                index.ensureSubjectLists();
                SubjectEntry entry = index.subject(subject);
                limits.checkRefusing(entry, size);
                final byte[] utf8 = entry != null ? entry.utf8 : subject.getBytes(StandardCharsets.UTF_8);
                seq = index.lastSeq + 1;
                final long timestamp = Math.max(now(), index.lastTimestamp);
                try
                {
                    final Block block = writableBlock(recordLength);
                    final int offset = writer.appendMessage(seq, timestamp, utf8, h, payload, recordLength);
                    if (writer.flushDue())
                    {
                        writer.flush();
                    }
                    if (entry == null)
                    {
                        entry = index.createSubject(subject, utf8, 16);
                    }
                    block.addSlot(seq, offset, recordLength, entry.id);
                    entry.add(seq);
                    index.msgs++;
                    index.bytes += size;
                    index.lastSeq = seq;
                    index.lastTimestamp = timestamp;
                    if (index.msgs == 1)
                    {
                        index.firstSeq = seq;
                    }
                    fanout.appended(seq, subject);
                    limits.enforce(entry);
                }
                catch (final IOException e)
                {
                    throw fail("write", e);
                }
                ticket = always ? flusher.join(writer.appended) : null;
            }
            finally
            {
                lock.unlock();
            }
            flusher.settle(ticket);
            ok = true;
            return seq;
        }
        finally
        {
            fanout.finish(ok);
        }
    }

    /**
     * Called before the first change to any block file after an open: index.db and clean.mark describe the
     * blocks as they were. index.db is deleted without a force: it is used only when every block file still
     * has the length it lists, and damage behind it is caught by the checksum of each read. clean.mark is
     * deleted durably, once per open, before the change writes anything (see {@link CloseMarker}).
     */
    void dropCloseFiles() throws IOException
    {
        if (indexFileOnDisk)
        {
            indexFileOnDisk = false;
            io.delete(directory.resolve(IndexFile.FILE_NAME));
        }
        if (closeMarkerOnDisk)
        {
            closeMarkerOnDisk = false;
            io.delete(directory.resolve(CloseMarker.FILE_NAME));
            io.forceDirectory(directory);
        }
    }

    /** The write block, with room for {@code need} more bytes: rolls to a new block when it is full. */
    private Block writableBlock(final int need) throws IOException
    {
        dropCloseFiles();
        Block b = writer.block;
        if (b != null && writer.position > RecordCodec.CONTROL_LENGTH && (long)writer.position + need > blockSize)
        {
            roll();
            b = null;
        }
        if (b == null)
        {
            b = newWriteBlock();
        }
        return b;
    }

    private void roll() throws IOException
    {
        final Block sealed = writer.block;
        writer.seal(index.lastSeq);
        compactor.check(sealed);
    }

    private Block newWriteBlock() throws IOException
    {
        final Block previous = index.blocks.isEmpty() ? null : index.blocks.get(index.blocks.size() - 1);
        final long id = nextBlockId++;
        final Path path = directory.resolve(Block.fileName(id));
        final FileChannel channel = io.create(path);
        final Block b = new Block(id, path, index.lastSeq + 1,
            (int)Math.min(1 << 20, Math.max(64, blockSize / 128)));
        writer.start(b, channel, null);
        writer.directoryDirty = true;
        index.blocks.add(b);
        writer.appendControl(RecordCodec.KIND_FLOOR, index.lastSeq);
        b.controls++;
        if (previous != null && !previous.deleted && previous.liveCount == 0 && previous.neededTombstones == 0)
        {
            compactor.check(previous); // kept while it was the newest block (see mayDeleteWhole): it may go now
        }
        return b;
    }

    /**
     * After recovery: continue the last block if it has room, else start a new one at the first write. A block
     * continued after an index.db load was not scanned: its records are checked here (it is small), so that
     * damage in it is refused now, not left where a later crash would make it look like a torn tail.
     */
    private void adoptWriteBlock(final boolean unscanned) throws IOException
    {
        if (index.blocks.isEmpty())
        {
            return;
        }
        final Block last = index.blocks.get(index.blocks.size() - 1);
        if (last.rawBytes >= adoptLimit() && (endsWithSeal(last) || last.rawBytes > MAX_ADOPT_UNSEALED))
        {
            // continuing a big block means reading it all into the write buffer: start a new one instead
            // (a block a crash left unsealed is continued, which needs no write, unless it is huge: then it
            // is sealed here)
            if (!endsWithSeal(last))
            {
                final ByteBuffer seal = ByteBuffer.allocateDirect(RecordCodec.CONTROL_LENGTH);
                RecordCodec.encodeControl(new UnsafeBuffer(seal), 0, RecordCodec.KIND_FLOOR, index.lastSeq,
                    seal.duplicate(), new CRC32C());
                index.unmap(last);
                dropCloseFiles();
                try (FileChannel channel = io.openWrite(last.path))
                {
                    io.write(channel, seal, last.rawBytes);
                    io.force(channel);
                }
                stats.bytesWritten += RecordCodec.CONTROL_LENGTH;
                last.rawBytes += RecordCodec.CONTROL_LENGTH;
                last.controls++;
            }
            return;
        }
        index.unmap(last);
        final ByteBuffer existing = ByteBuffer.allocate((int)last.rawBytes);
        final FileChannel channel = io.openWrite(last.path);
        try
        {
            while (existing.hasRemaining())
            {
                if (channel.read(existing, existing.position()) < 0)
                {
                    throw new CorruptStoreException("block file " + last.path + " is shorter than its " +
                        last.rawBytes + " indexed bytes", last.path.toString(), existing.position(), null);
                }
            }
        }
        catch (final IOException | RuntimeException e)
        {
            channel.close();
            throw e;
        }
        existing.flip();
        if (unscanned)
        {
            try
            {
                checkRecords(last, existing);
            }
            catch (final RuntimeException e)
            {
                channel.close();
                throw e;
            }
        }
        writer.start(last, channel, existing);
        writer.appended = last.rawBytes;
        writer.written = last.rawBytes;
        last.sealed = false;
    }

    private static void checkRecords(final Block b, final ByteBuffer bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes.array(), 0, bytes.limit());
        final CRC32C crc = new CRC32C();
        final int limit = bytes.limit();
        int at = 0;
        while (at < limit)
        {
            final int length = RecordCodec.check(buffer, null, at, limit, crc);
            if (length == RecordCodec.INVALID)
            {
                throw new CorruptStoreException("block file " + b.path + " has a damaged record at offset " + at +
                    " behind a valid " + IndexFile.FILE_NAME + ", so it was damaged after it was written. Restore " +
                    b.path.getFileName() + " from a replica or backup, or move it away to accept the loss, then reopen",
                    b.path.toString(), at, null);
            }
            at += length;
        }
    }

    private long adoptLimit()
    {
        return Math.min(blockSize / 2, ADOPT_LIMIT);
    }

    private boolean endsWithSeal(final Block b)
    {
        final int limit = index.limit(b);
        final int at = limit - RecordCodec.CONTROL_LENGTH;
        return at >= 0 && RecordCodec.check(index.buffer(b), index.view(b), at, limit, new CRC32C()) ==
            RecordCodec.CONTROL_LENGTH && RecordCodec.kind(index.buffer(b), at) == RecordCodec.KIND_FLOOR;
    }

    @Override
    public boolean remove(final long seq)
    {
        Arguments.requireSequence(seq, "seq");
        boolean ok = false;
        try
        {
            final boolean removed;
            final Flusher.Waiter ticket;
            lock.lock();
            try
            {
                checkOpen();
                checkWritable();
                try
                {
                    removed = removeLocked(seq, RemovalReason.REMOVED);
                }
                catch (final IOException e)
                {
                    throw fail("write", e);
                }
                ticket = removed && always ? flusher.join(writer.appended) : null;
            }
            finally
            {
                lock.unlock();
            }
            flusher.settle(ticket);
            ok = true;
            return removed;
        }
        finally
        {
            fanout.finish(ok);
        }
    }

    /**
     * Removes a live message: tombstone into the write block first (the only step that can fail), then the
     * index, the counters and the owning block's accounting; last, the block is deleted or compacted if
     * that now pays.
     */
    private boolean removeLocked(final long seq, final RemovalReason reason) throws IOException
    {
        index.ensureSubjectLists();
        Block b = index.find(seq);
        if (b == null || !b.isLive(seq))
        {
            return false;
        }
        final Block write = writableBlock(RecordCodec.CONTROL_LENGTH);
        writer.appendControl(RecordCodec.KIND_TOMBSTONE, seq);
        write.tombstones++;
        stats.tombstones++;
        if (writer.flushDue())
        {
            writer.flush();
        }
        // b is still the block of seq: a roll above may delete or rewrite other blocks, never one with a
        // live record, and a rewrite keeps the Block
        final int slot = (int)(seq - b.base);
        final int length = RecordCodec.length(index.buffer(b), b.offsets[slot]);
        b.offsets[slot] = Block.removedOffset(b.offsets[slot]);
        b.liveCount--;
        b.liveBytes -= length;
        if (b != write)
        {
            write.addTarget(b);
            compactor.removedDuringRewrite(b, write);
        }
        final SubjectEntry entry = index.subjectById(b.subjectIds[slot]);
        entry.remove(seq);
        if (entry.live() == 0)
        {
            index.dropSubject(entry);
        }
        index.msgs--;
        index.bytes -= length - RecordCodec.MESSAGE_FRAMING;
        if (seq == index.firstSeq)
        {
            index.firstSeq = index.nextLive(seq + 1);
        }
        fanout.removed(seq, entry.subject, reason);
        if (b != write)
        {
            compactor.check(b);
        }
        return true;
    }

    /**
     * True when {@code b}, sealed with no live message and no needed tombstone, may be deleted whole: only
     * while a write block follows it. Every block starts with a floor and a sealed one ends with one, so the
     * newest block file is what keeps {@code lastSeq} on disk; deleting it with no write block after it (an
     * open that did not continue the last block, a roll before its new block exists) would leave
     * {@code lastSeq} in memory and in index.db only, and a scan would hand its sequences out again.
     */
    boolean mayDeleteWhole(final Block b)
    {
        return writer.block != null || index.blocks.isEmpty() || b != index.blocks.get(index.blocks.size() - 1);
    }

    /**
     * Deletes a sealed block file whole (no live message, no needed tombstone). Returns the blocks whose
     * tombstones pointed into it: they may now be deletable or worth a rewrite.
     */
    Block[] deleteBlock(final Block b) throws IOException
    {
        dropCloseFiles();
        // the write block's floor (lastSeq) and tombstones reach its file before b's unlink does: a kill keeps
        // what was written and loses what was buffered, and b may hold the highest sequence written so far
        writer.flush();
        index.unmap(b);
        io.delete(b.path);
        b.deleted = true;
        index.blocks.remove(b);
        writer.directoryDirty = true;
        b.releaseTargets();
        return b.releaseReferrers();
    }

    @Override
    public long purge()
    {
        boolean ok = false;
        try
        {
            final long purged;
            lock.lock();
            try
            {
                checkOpen();
                checkWritable();
                compactor.awaitIdle();
                flusher.awaitIdle();
                checkWritable();
                purged = index.msgs;
                if (fanout.active())
                {
                    for (final Block b : index.blocks)
                    {
                        for (int s = 0; s < b.slots; s++)
                        {
                            if (b.offsets[s] >= 0)
                            {
                                fanout.removed(b.base + s, index.subjectById(b.subjectIds[s]).subject,
                                    RemovalReason.PURGED);
                            }
                        }
                    }
                }
                try
                {
                    purgeLocked();
                }
                catch (final IOException e)
                {
                    throw fail("purge", e);
                }
            }
            finally
            {
                lock.unlock();
            }
            ok = true;
            return purged;
        }
        finally
        {
            fanout.finish(ok);
        }
    }

    /**
     * Purge: a new block holding only a purge floor at {@code lastSeq} is made durable (tmp → force → rename
     * → force directory) before any old block is deleted, so a crash leaves either every message or none,
     * and {@code lastSeq} survives in the new block either way.
     */
    private void purgeLocked() throws IOException
    {
        dropCloseFiles();
        // seal the write block first: if a crash stops the purge after its new block is durable, recovery
        // must see a sealed older block (and apply the purge floor), not one cut short
        writer.seal(index.lastSeq);
        final long id = nextBlockId++;
        final Path path = directory.resolve(Block.fileName(id));
        final Path tmp = directory.resolve(id + ".blk.tmp");
        final ByteBuffer record = ByteBuffer.allocateDirect(RecordCodec.CONTROL_LENGTH);
        RecordCodec.encodeControl(new UnsafeBuffer(record), 0, RecordCodec.KIND_PURGE, index.lastSeq,
            record.duplicate(), new CRC32C());
        final FileChannel channel = io.create(tmp);
        boolean handedOver = false;
        try
        {
            io.write(channel, record.duplicate(), 0);
            stats.bytesWritten += RecordCodec.CONTROL_LENGTH;
            io.force(channel);
            io.rename(tmp, path);
            io.forceDirectory(directory);

            writer.abandon();
            writer.closeUnforced();
            for (final Block b : index.blocks)
            {
                index.unmap(b);
                b.deleted = true;
            }
            for (final Block b : index.blocks)
            {
                io.delete(b.path);
            }
            index.blocks.clear();
            index.clearSubjects();
            index.msgs = 0;
            index.bytes = 0;
            index.firstSeq = index.lastSeq + 1;
            final Block b = new Block(id, path, index.lastSeq + 1);
            b.rawBytes = RecordCodec.CONTROL_LENGTH;
            b.controls = 1;
            index.blocks.add(b);
            final ByteBuffer existing = record.duplicate();
            existing.clear();
            writer.start(b, channel, existing);
            handedOver = true;
            writer.appended += RecordCodec.CONTROL_LENGTH;
            writer.written += RecordCodec.CONTROL_LENGTH;
            io.forceDirectory(directory);
        }
        finally
        {
            if (!handedOver)
            {
                channel.close();
            }
        }
    }

    @Override
    public CompactionResult compact()
    {
        boolean ok = false;
        try
        {
            lock.lock();
            try
            {
                checkOpen();
                checkWritable();
                final CompactionResult result;
                try
                {
                    dropCloseFiles();
                    result = compactor.compactAll();
                }
                catch (final IOException e)
                {
                    throw fail("compaction", e);
                }
                if (result != CompactionResult.NOTHING)
                {
                    fanout.compacted(result);
                }
                ok = true;
                return result;
            }
            finally
            {
                lock.unlock();
            }
        }
        finally
        {
            fanout.finish(ok);
        }
    }

    // --------------------------------------------------------------------------------------------- reads

    @Override
    public StoredMessage load(final long seq)
    {
        Arguments.requireSequence(seq, "seq");
        expireIfDue();
        lock.lock();
        try
        {
            checkOpen();
            final Block b = index.find(seq);
            if (b == null || !b.isLive(seq))
            {
                return null;
            }
            return read(b, seq, true);
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public StoredMessage loadNext(final String filter, final long fromSeq)
    {
        Subjects.validateFilter(filter);
        Arguments.requireSequence(fromSeq, "fromSeq");
        expireIfDue();
        lock.lock();
        try
        {
            checkOpen();
            if (!Subjects.ALL.equals(filter))
            {
                // ">" walks the slots by sequence: the first read after an open need not build the subject lists
                index.ensureSubjectLists();
            }
            long from = Math.max(fromSeq, index.firstSeq);
            while (from <= index.lastSeq)
            {
                final long seq = nextMatching(filter, from);
                if (seq == 0)
                {
                    return null;
                }
                final Block b = index.find(seq);
                final FileMessage m = read(b, seq, true);
                if (m != null)
                {
                    return m;
                }
                from = seq + 1;
            }
            return null;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Lowest live sequence at or above {@code from} whose subject matches; 0 when none. */
    private long nextMatching(final String filter, final long from)
    {
        if (Subjects.ALL.equals(filter))
        {
            final long seq = index.nextLive(from);
            return seq > index.lastSeq ? 0 : seq;
        }
        if (Subjects.isLiteral(filter))
        {
            final SubjectEntry e = index.subject(filter);
            return e == null ? 0 : e.next(from);
        }
        if (index.subjectCount() <= 256)
        {
            long best = 0;
            for (final SubjectEntry e : index.subjects())
            {
                if (Subjects.matches(filter, e.subject))
                {
                    final long next = e.next(from);
                    if (next != 0 && (best == 0 || next < best))
                    {
                        best = next;
                    }
                }
            }
            return best;
        }
        final byte[] memo = new byte[index.subjectIdLimit()];
        long seq = index.nextLive(from);
        while (seq <= index.lastSeq)
        {
            final Block b = index.find(seq);
            final int sid = b.subjectIds[(int)(seq - b.base)];
            if (memo[sid] == 0)
            {
                memo[sid] = Subjects.matches(filter, index.subjectById(sid).subject) ? (byte)1 : (byte)2;
            }
            if (memo[sid] == 1)
            {
                return seq;
            }
            seq = index.nextLive(seq + 1);
        }
        return 0;
    }

    @Override
    public StoredMessage loadLast(final String subject)
    {
        Subjects.validateSubject(subject);
        expireIfDue();
        lock.lock();
        try
        {
            checkOpen();
            index.ensureSubjectLists();
            final SubjectEntry e = index.subject(subject);
            if (e == null)
            {
                return null;
            }
            final long seq = e.last();
            return read(index.find(seq), seq, true);
        }
        finally
        {
            lock.unlock();
        }
    }

    private FileMessage read(final Block b, final long seq, final boolean hideExpired)
    {
        return reader.read(index, b, seq, hideExpired && maxAgeNanos > 0 ? now() - maxAgeNanos : Long.MIN_VALUE);
    }

    @Override
    public StreamState state()
    {
        expireIfDue();
        lock.lock();
        try
        {
            checkOpen();
            final long first = index.msgs == 0 ? index.lastSeq + 1 : index.firstSeq;
            final long deleted = index.msgs == 0 ? 0 : index.lastSeq - first + 1 - index.msgs;
            return new StreamState(index.msgs, index.bytes, first, index.lastSeq, deleted, index.subjectCount());
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public SubjectState subjectState(final String subject)
    {
        Subjects.validateSubject(subject);
        expireIfDue();
        lock.lock();
        try
        {
            checkOpen();
            index.ensureSubjectLists();
            final SubjectEntry e = index.subject(subject);
            return e == null ? SubjectState.empty(subject) : new SubjectState(subject, e.live(), e.first(), e.last());
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public StoreStats stats()
    {
        lock.lock();
        try
        {
            checkOpen();
            compactor.awaitIdle(); // a rewrite in flight is counted once it is done
            return statsLocked();
        }
        finally
        {
            lock.unlock();
        }
    }

    private StoreStats statsLocked()
    {
        return new StoreStats(stats.bytesWritten, index.bytesOnDisk() + writer.prefilledBytes(), stats.compactions,
            stats.bytesCompacted, stats.tombstones, stats.syncs, stats.recoveryBytesCut, stats.recoveryRecordsLost);
    }

    @Override
    public RecoveryReport recoveryReport()
    {
        lock.lock();
        try
        {
            checkOpen();
            return recoveryReport;
        }
        finally
        {
            lock.unlock();
        }
    }

    // -------------------------------------------------------------------------------------- durability

    @Override
    public void sync()
    {
        boolean ok = false;
        try
        {
            final long token;
            lock.lock();
            try
            {
                checkOpen();
                checkWritable();
                token = writer.appended;
            }
            finally
            {
                lock.unlock();
            }
            flusher.syncTo(token);
            ok = true;
        }
        finally
        {
            fanout.finish(ok);
        }
    }

    private void backgroundSync()
    {
        try
        {
            final long token;
            lock.lock();
            try
            {
                if (closed || failure != null)
                {
                    return;
                }
                token = writer.appended;
            }
            finally
            {
                lock.unlock();
            }
            flusher.syncTo(token);
            fanout.deliver();
        }
        catch (final RuntimeException e)
        {
            fanout.discardPending();
            LOG.log(System.Logger.Level.ERROR, "background sync of the file store in " + directory + " failed", e);
        }
    }

    /** Reads see no expired message and state counts none: expire what is due before answering. */
    private void expireIfDue()
    {
        if (maxAgeNanos > 0)
        {
            expire();
        }
    }

    private void expire()
    {
        boolean ok = false;
        try
        {
            long token = -1;
            lock.lock();
            try
            {
                if (closed || failure != null)
                {
                    return;
                }
                final long cutoff = now() - maxAgeNanos;
                while (index.msgs > 0)
                {
                    final long seq = index.firstSeq;
                    final Block b = index.find(seq);
                    final int offset = b.offsets[(int)(seq - b.base)];
                    final long timestamp = RecordCodec.timestamp(index.buffer(b), offset);
                    if (timestamp > cutoff)
                    {
                        break;
                    }
                    removeLocked(seq, RemovalReason.LIMIT_AGE);
                    token = writer.appended;
                }
            }
            finally
            {
                lock.unlock();
            }
            if (token >= 0 && always)
            {
                flusher.syncTo(token);
            }
            ok = true;
        }
        catch (final IOException e)
        {
            LOG.log(System.Logger.Level.ERROR, "age expiry in the file store in " + directory + " failed", fail("write", e));
        }
        catch (final RuntimeException e)
        {
            LOG.log(System.Logger.Level.ERROR, "age expiry in the file store in " + directory + " failed", e);
        }
        finally
        {
            fanout.finish(ok);
        }
    }

    @Override
    public void addListener(final StoreListener listener)
    {
        Arguments.requireNonNull(listener, "listener");
        lock.lock();
        try
        {
            checkOpen();
            fanout.add(listener);
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public void close()
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            for (final ScheduledFuture<?> task : tasks)
            {
                task.cancel(false);
            }
            compactor.stop();
            flusher.awaitIdle();
            if (failure == null)
            {
                try
                {
                    if (writer.block != null && writer.position >= adoptLimit())
                    {
                        // the next open will not continue this block: seal it now (see Block)
                        dropCloseFiles();
                        writer.appendSeal(index.lastSeq);
                    }
                    flusher.forceAllLocked();
                    if (!indexFileOnDisk)
                    {
                        // (an index.db loaded at open and still on disk matches the unchanged blocks)
                        index.ensureSubjectLists();
                        stats.bytesWritten += IndexFile.write(directory, io, index, nextBlockId);
                    }
                    if (!closeMarkerOnDisk)
                    {
                        // last, once everything it vouches for is forced and in place
                        stats.bytesWritten += CloseMarker.write(directory, io, index.blocks);
                    }
                }
                catch (final IOException | RuntimeException e)
                {
                    fail("close", e instanceof IOException io ? io : new IOException(e));
                    LOG.log(System.Logger.Level.WARNING, "closing the file store in " + directory + " could not " +
                        "force or write its index; the next open scans the blocks", e);
                }
            }
            flusher.wakeAll();
        }
        finally
        {
            try
            {
                if (closed)
                {
                    writer.release();
                    compactor.release();
                    index.unmapAll();
                    directoryLock.close();
                }
            }
            finally
            {
                lock.unlock();
            }
        }
        fanout.deliver();
    }

    // ---------------------------------------------------------------------------------------- failures

    boolean failed()
    {
        return failure != null;
    }

    /** Under the lock. */
    boolean isClosed()
    {
        return closed;
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("the file store in " + directory + " is closed; open it again to go on");
        }
    }

    void checkWritable()
    {
        final Throwable f = failure;
        if (f != null)
        {
            throw new StoreException("the file store in " + directory + " failed on an earlier write or force (" +
                f.getMessage() + ") and accepts no more changes; close it and reopen it, which recovers what is " +
                "on disk", f);
        }
    }

    /** Records a write or force error (sticky: every later change is refused) and returns what to throw. */
    StoreException fail(final String what, final IOException e)
    {
        if (failure == null)
        {
            failure = e;
            LOG.log(System.Logger.Level.ERROR, "the file store in " + directory + " failed to " + what +
                " and stops accepting changes until reopened", e);
        }
        lock.lock(); // reentrant: most callers hold it already
        try
        {
            flusher.wakeAll();
        }
        finally
        {
            lock.unlock();
        }
        final String message = e.getMessage() == null ? "" : e.getMessage();
        if (isNoSpace(e))
        {
            return new StoreFullException("the file store in " + directory + " ran out of disk space during " + what +
                "; free space, then close and reopen the store", e);
        }
        return new StoreException("the file store in " + directory + " failed to " + what + " (" + message +
            "); the store must be closed and reopened before it accepts changes again", e);
    }

    /** Tests: stops as a killed process would, writing nothing more, and releases files and the lock. */
    void crashForTest()
    {
        lock.lock();
        try
        {
            closed = true;
            for (final ScheduledFuture<?> task : tasks)
            {
                task.cancel(false);
            }
            compactor.abandon();
            flusher.awaitIdle();
            flusher.wakeAll();
            writer.release();
            compactor.release();
            index.unmapAll();
            directoryLock.close();
        }
        finally
        {
            lock.unlock();
        }
    }

    private static boolean isNoSpace(final IOException e)
    {
        final String message = e.getMessage();
        return message != null && (message.contains("No space left") || message.contains("Disk quota"));
    }

    int mappedBlocks()
    {
        lock.lock();
        try
        {
            return index.mappedCount();
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Block ids on disk, oldest first (tests). */
    long[] blockIds()
    {
        lock.lock();
        try
        {
            return index.blocks.stream().mapToLong(b -> b.id).toArray();
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public String toString()
    {
        return "FileStore{" + directory + ", blockSize=" + blockSize + ", sync=" + config.sync() + "}";
    }
}
