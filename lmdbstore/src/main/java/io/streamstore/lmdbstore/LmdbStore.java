package io.streamstore.lmdbstore;

import io.streamstore.spi.Arguments;
import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.ListenerFanout;
import io.streamstore.spi.RemovalReason;
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
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.GetOp;
import org.lmdbjava.LmdbException;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.PutFlags;
import org.lmdbjava.SeekOp;
import org.lmdbjava.Txn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stream in one LMDB environment ({@code data.mdb}, opened with {@code MDB_NOSUBDIR}).
 *
 * <p>Databases:
 * <pre>
 * | name  | key                                  | value                                         |
 * |-------|--------------------------------------|-----------------------------------------------|
 * | msgs  | sequence, 8 bytes big-endian         | record, see {@link RecordCodec} (CRC32C'd)    |
 * | subj  | subject UTF-8 + sequence (8 B, BE)   | empty                                         |
 * | meta  | "lastSeq", "lastTs", "config",       | 8 bytes big-endian / UTF-8 text               |
 * |       | "txnid"                              | 8 bytes big-endian: the committing txn's id   |
 * </pre>
 * Per-subject counts, first and last sequences, total messages and bytes live in memory and are rebuilt
 * from key-only scans of {@code msgs} and {@code subj} at open; {@code meta} keeps {@code lastSeq} and the
 * last timestamp so that neither goes backwards after a purge and a reopen (written only once the message
 * under {@code lastSeq} is gone: while it lives, its key and record say both).
 *
 * <p>Damaged files. LMDB checksums nothing, so besides the records' CRC32C the store checks at open what LMDB
 * would trust blindly ({@link MetaPages}): every commit stamps its own transaction id into {@code meta}
 * ({@code "txnid"}), and the snapshot LMDB opens must carry its own id, so that a flipped bit in a meta page's
 * txnid cannot make LMDB open another snapshot silently; the txnid parity of both pages, the last page against
 * the file's length and the catalog tree down to the roots of the three databases are checked too (LMDB does not
 * check that a page number led where it meant, and loops forever on a cycle). {@link Recovery} then compares the
 * sequences of {@code msgs} and {@code subj}, and no key or value LMDB hands out may lie past the file's end
 * ({@link #checkMapped}). Each of these is a {@link CorruptStoreException}; a store of an older build (no stamp)
 * opens unchecked once and is stamped at that open. What stays out of reach: a flipped bit inside a page of an
 * intact snapshot that LMDB follows without complaint and that leaves keys in order (it is caught by a record's
 * checksum when read, or by the cross-check at open), and native crashes on pages damaged beyond that.
 *
 * <p>Commit strategy. Every call runs under one fair lock and works in one long-lived LMDB write
 * transaction, which reads use too, so a change is visible to every thread when its call returns. The
 * transaction is committed lazily: under {@code never} and {@code every(d)} after {@value #COMMIT_OPS}
 * operations or {@value #COMMIT_BYTES} bytes, every {@value Flusher#COMMIT_TICK_MS} ms, and on
 * {@code sync()}, {@code compact()} and {@code close()} (raw LMDB does about 15x more work-queue iterations
 * per second batched than with a transaction per operation). Under {@code always} each change is
 * committed durably before its call returns, and the changes of concurrent writers share one commit: group
 * commit. A durable LMDB commit costs two device flushes whatever it holds (an {@code fdatasync} after the data
 * pages, then the meta page written through LMDB's {@code O_DSYNC} descriptor; the {@link RedoLog} lives in memory
 * and forces nothing), and no change can enter the write transaction while it commits, so the commit's size is
 * decided before it starts: after a commit released n writers (n counts those already waiting for the lock too),
 * they come back with their next changes one by one, and the first of them (the batch's leader) does not commit at
 * once but parks; the change that makes the batch n long, with no other change waiting for the lock, commits
 * it; should the others not come, the leader commits once the last commit's duration (capped) has passed, and n
 * follows the smaller batch. A lone writer thus commits at once (n is 1), and a writer that stopped costs one
 * bounded wait; a change made from inside a hook commits at once too (the writers whose hooks come next cannot
 * join before it returns). The other writers of a batch park until any commit ends it and are woken without
 * taking the lock again. Readers take the lock only for their read, so they no longer queue behind a batch being
 * gathered, but they still wait for a commit in progress (its force included). Reading the last committed
 * snapshot in a read transaction instead is not safe here: under {@code MDB_NOLOCK} there is no reader table, so
 * LMDB would reuse the snapshot's pages two commits later, and a read transaction copies the meta page unguarded
 * when it begins, which the commit in progress may be writing; it would also need care for linearizability (a read
 * under the lock sees the changes of the open batch, a read of the snapshot does not). Because a write
 * transaction is begun on one thread and committed on another, LMDB's own writer mutex (owned by a thread) cannot
 * be used: the environment runs with {@code MDB_NOLOCK | MDB_NOTLS} and the store lock plus {@link DirectoryLock}
 * replace LMDB's locking. No read transaction ever runs beside the write transaction, so page reuse is safe.
 *
 * <p>Flags: {@code always}: {@code MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOTLS} (LMDB syncs each commit);
 * {@code never}/{@code every(d)}: plus {@code MDB_NOSYNC | MDB_NOMETASYNC}, forced with
 * {@code env.sync(true)} by {@code sync()}, {@code close()} and the flusher. {@code MDB_WRITEMAP} is not used:
 * batching makes it unnecessary for speed, and with it a full disk would be a SIGBUS inside native code
 * (a JVM crash) rather than an error from {@code pwrite}.
 *
 * <p>Failures inside LMDB ({@code MDB_MAP_FULL}, {@code MDB_TXN_FULL}, damaged pages) poison the whole write
 * transaction; the store aborts it, grows the map if that was the cause, replays the {@link RedoLog} of the
 * batch's earlier changes and rebuilds its in-memory state ({@link Recovery}), so the failed call changes
 * nothing and earlier calls keep what they were told. The map doubles on demand up to
 * {@code lmdb.max-map-size}; once it is there and the file's high-water mark comes within a quarter of it
 * (or 32 MiB), every change is committed on its own, so a full map refuses only the change that did not fit
 * ({@link io.streamstore.spi.StoreFullException}, nothing changed). Because LMDB needs free pages even to
 * delete, removals (never appends) may take the map past the ceiling by a slack of 1/16 of it (at least
 * 1 MiB); appends shrink the map back first, so they only reuse freed pages. A commit or force that fails
 * otherwise (EIO, a full disk) makes the store fail-stop: every later call throws until it is reopened.
 *
 * <p>{@code bytesWritten}: on Linux, the exact bytes each commit passed to {@code pwrite} (dirty pages and
 * meta page), read from {@code /proc/thread-self/io} around {@code mdb_txn_commit}, plus the bytes of every
 * compaction copy. Elsewhere an estimate: two pages per changed record, a meta page and the stamp's page per commit.
 *
 * <p>Write amplification, the backend's constant: <b>3</b> bytes written per appended message byte. Measured
 * on a 2-core VM in the bench's work-queue loop (100,000 messages of 100 B on ten subjects, then 200,000
 * remove-oldest + append, {@code never}): 2.09 to 2.14; in the kit's shorter loops 1.9 to 2.2. The constant
 * holds for batched commits ({@code never}, {@code every(d)}). Whole 4 KiB pages are written per commit
 * (copy-on-write: the touched leaves and branches of both trees, the catalog page, free-list pages, the
 * meta page), about 26 KB a commit here (measured before the {@code txnid} stamp, which adds one more page, the
 * meta database's leaf, to every commit: about 30 KB, not re-measured), so when a commit holds a single change
 * the ratio is about that divided by the message size: under {@code always} with one writer the work-queue loop
 * measured 513 bytes written per appended byte (2,000 iterations, 100 B messages; raw LMDB with a transaction
 * per operation writes 44.5 KB an iteration). Group commit divides it by the number of changes per commit (the
 * bench's {@code sync} workload, 100 B on ten subjects: 279 with one writer, 37.7 with 16 writers at 15.9 appends a
 * commit, whose 62 KB touch more subject-index leaves than one append's 29 KB); a
 * store near its map ceiling commits every change on its own and so sees the per-change figure too.
 *
 * <p>Reads copy every value out of LMDB memory before the call returns; no LMDB buffer escapes a call.
 */
final class LmdbStore implements StreamStore
{
    static final String DATA_FILE = "data.mdb";
    static final String COMPACT_FILE = "data.mdb.compact";
    static final int COMMIT_OPS = 8192;
    static final long COMMIT_BYTES = 8L << 20;
    /** The backend's own largest record, so one message always fits in one write transaction. */
    static final int MAX_RECORD = 64 << 20;
    static final String FORMAT = "streamstore-lmdb-1";
    static final String TXNID_NAME = "txnid";
    static final byte[] TXNID_KEY = TXNID_NAME.getBytes(StandardCharsets.US_ASCII);
    static final byte[] META_DB_NAME = "meta".getBytes(StandardCharsets.US_ASCII);

    private static final System.Logger LOG = System.getLogger(LmdbStore.class.getName());
    private static final int MAX_EXPIRE_PER_TICK = 10_000;
    private static final long MAX_GATHER_MICROS = 2_000;
    private static final long ORPHAN_WAIT_MS = 1_000;
    /** Tries for the lock, a yield apart, before a durable change queues on it (see lockForDurableChange). */
    private static final int LOCK_TRIES = 20;
    private static final int INDEXED_FILTER_SUBJECTS = 1024;
    private static final byte EV_APPENDED = 1;
    private static final byte EV_REMOVED = 2;

    private record Event(byte kind, long seq, String subject, RemovalReason reason)
    {
    }

    @FunctionalInterface
    private interface Body<R>
    {
        R run();
    }

    private final DirectoryLock directoryLock;
    private final Path directory;
    private final Path dataFile;
    private final StreamConfig config;
    private final boolean always;
    private final long maxMapSize;
    private final long maxAgeNanos;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final ListenerFanout fanout = new ListenerFanout();
    private final RedoLog redo = new RedoLog();
    private final MetaPageUndo metaPageUndo = new MetaPageUndo();
    private final RecordCodec codec;
    private final List<Event> events = new ArrayList<>();
    private final HashMap<String, SubjectInfo> subjects = new HashMap<>();
    private final Flusher flusher;

    private final UnsafeBuffer keyBuf = new UnsafeBuffer(ByteBuffer.allocateDirect(8));
    private final UnsafeBuffer subjKeyBase = new UnsafeBuffer(ByteBuffer.allocateDirect(Subjects.MAX_SUBJECT_BYTES + 32));
    private final UnsafeBuffer subjKey = new UnsafeBuffer(subjKeyBase, 0, 8);
    private final UnsafeBuffer metaKeyBase = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
    private final UnsafeBuffer metaKey = new UnsafeBuffer(metaKeyBase, 0, 8);
    private final UnsafeBuffer emptyVal = new UnsafeBuffer(ByteBuffer.allocateDirect(8), 0, 0);
    private byte[] scratch = new byte[4096];

    private Env<DirectBuffer> env;
    private Dbi<DirectBuffer> msgsDbi;
    private Dbi<DirectBuffer> subjDbi;
    private Dbi<DirectBuffer> metaDbi;
    private Txn<DirectBuffer> txn;
    private Cursor<DirectBuffer> msgsCursor;
    private Cursor<DirectBuffer> subjCursor;
    private boolean dirty;
    private boolean touched;
    /** True while a call that only removes runs: it may grow the map into the removal slack. */
    private boolean removalCall;
    private long mapSize;
    private int pageSize = 4096;

    private long msgs;
    private long bytes;
    private long firstSeq;
    private long lastSeq;
    private long lastTimestamp;
    /** True while the message under {@code lastSeq} is live: then its key and timestamp stand for the meta entries. */
    private boolean lastSeqLive;
    private long oldestTimestamp;
    private long oldestTimestampSeq = -1;
    private long metaLastSeq = -1;
    private long metaLastTimestamp = -1;

    /**
     * Under {@code always}: the changes in the open batch, and how many the next commit waits for: the changes the
     * last commit released plus those that were waiting for the lock when it ended.
     */
    private int batchCalls;
    private int gatherTarget = 1;
    /** The open batch has all the changes it waits for: its leader commits it as soon as it has the lock. */
    private volatile boolean batchComplete;
    /** How long the last {@code always} commit took, force included: the bound of a leader's gathering. */
    private volatile long lastCommitNanos;
    /** {@link LmdbStoreProvider#SPIN_WAIT_MICROS} in nanoseconds; 0: waiters park at once. */
    private final long maxSpinNanos;
    /** The writer that commits the open batch under {@code always}, and the others parked until it does. */
    private Thread leaderThread;
    /** Under {@code always}: changes waiting for the lock, which may be writers of the last batch about to join. */
    private final AtomicInteger arrivingWriters = new AtomicInteger();
    /** The thread running a listener's hook, if any (the fanout runs one at a time). */
    private volatile Thread hookThread;
    private final ArrayList<Thread> batchWaiters = new ArrayList<>();

    /** Number of the batch the open transaction belongs to; a commit ends it. */
    private long batch = 1;
    private volatile long committedBatch;
    private long durableUpToSeq;
    private long publishedDurableSeq;
    /** The batch the last successful change joined. */
    private long opBatch;
    /** High-water mark of the file after the last commit: where LMDB allocates once the free list is empty. */
    private long usedBytes;
    /** Where LMDB mapped the file, 0 when unknown; {@code mapMoved} after a new environment is opened. */
    private long mapAddress;
    private boolean mapMoved;

    private long bytesWritten;
    private long compactions;
    private long bytesCompacted;
    private long syncs;

    private volatile boolean closed;
    private volatile StoreException failure;

    private LmdbStore(final DirectoryLock directoryLock, final StreamConfig config, final long mapSize,
        final long maxMapSize)
    {
        this.directoryLock = directoryLock;
        this.directory = directoryLock.directory();
        this.dataFile = directory.resolve(DATA_FILE);
        this.config = config;
        this.maxSpinNanos = TimeUnit.MICROSECONDS.toNanos(config.longOption(LmdbStoreProvider.SPIN_WAIT_MICROS,
            LmdbStoreProvider.DEFAULT_SPIN_WAIT_MICROS, 0, LmdbStoreProvider.MAX_SPIN_WAIT_MICROS));
        this.always = config.sync().kind() == SyncPolicy.Kind.ALWAYS;
        this.maxMapSize = maxMapSize;
        this.maxAgeNanos = config.maxAge().toNanos();
        this.codec = new RecordCodec(dataFile.toString());
        openEnv(mapSize);
        this.flusher = new Flusher(this, config.sync(), config.maxAge());
    }

    static LmdbStore open(final Path dir, final StreamConfig config, final long mapSize, final long maxMapSize)
        throws IOException
    {
        final DirectoryLock directoryLock = DirectoryLock.acquire(dir);
        try
        {
            Files.deleteIfExists(directoryLock.directory().resolve(COMPACT_FILE));
            return new LmdbStore(directoryLock, config, mapSize, maxMapSize);
        }
        catch (final IOException | RuntimeException | Error e)
        {
            directoryLock.release();
            throw e;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // StreamStore
    // ---------------------------------------------------------------------------------------------------------

    @Override
    public StreamConfig config()
    {
        checkNotClosed();
        return config;
    }

    @Override
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        checkNotClosed();
        final int subjectLength = Subjects.validateSubject(subject);
        Arguments.requireNonNull(payload, "payload");
        final long size = (long)subjectLength + (headers == null ? 0 : headers.length) + payload.length;
        if (config.maxMsgSize() > 0 && size > config.maxMsgSize())
        {
            throw new LimitExceededException(LimitExceededException.Limit.MAX_MSG_SIZE, "message of " + size +
                " bytes (subject + headers + payload) exceeds maxMsgSize " + config.maxMsgSize() + "; nothing stored");
        }
        if (size + RecordCodec.OVERHEAD > MAX_RECORD)
        {
            throw new LimitExceededException(LimitExceededException.Limit.MAX_MSG_SIZE, "message of " + size +
                " bytes exceeds the LMDB store's own limit of " + (MAX_RECORD - RecordCodec.OVERHEAD) +
                " bytes; nothing stored");
        }
        return change(() -> doAppend(subject, headers, payload, size), false);
    }

    @Override
    public StoredMessage load(final long seq)
    {
        Arguments.requireSequence(seq, "seq");
        return read(() ->
        {
            final int length = readRecord(seq);
            if (length < 0)
            {
                return null;
            }
            final LmdbMessage message = RecordCodec.decode(seq, scratch, length);
            return expired(message.timestamp()) ? null : message;
        });
    }

    @Override
    public StoredMessage loadNext(final String filter, final long fromSeq)
    {
        Subjects.validateFilter(filter);
        Arguments.requireSequence(fromSeq, "fromSeq");
        return read(() ->
        {
            long from = fromSeq;
            while (true)
            {
                final LmdbMessage message = findNext(filter, from);
                if (message == null || !expired(message.timestamp()))
                {
                    return message;
                }
                from = message.seq() + 1;
            }
        });
    }

    @Override
    public StoredMessage loadLast(final String subject)
    {
        Subjects.validateSubject(subject);
        return read(() ->
        {
            final SubjectInfo info = subjects.get(subject);
            if (info == null)
            {
                return null;
            }
            final LmdbMessage message = loadChecked(info.last, subject);
            return expired(message.timestamp()) ? null : message;
        });
    }

    @Override
    public boolean remove(final long seq)
    {
        Arguments.requireSequence(seq, "seq");
        return change(() -> removeSeq(seq, RemovalReason.REMOVED), true);
    }

    @Override
    public long purge()
    {
        return change(this::doPurge, true);
    }

    @Override
    public CompactionResult compact()
    {
        lock.lock();
        final CompactionResult result;
        try
        {
            ensureUsable();
            result = doCompact();
            publishEvents();
        }
        finally
        {
            lock.unlock();
        }
        fanout.deliver();
        return result;
    }

    @Override
    public StreamState state()
    {
        if (maxAgeNanos > 0)
        {
            expireTick();
        }
        return read(() ->
        {
            final long first = msgs == 0 ? lastSeq + 1 : firstSeq;
            final long deleted = msgs == 0 ? 0 : lastSeq - first + 1 - msgs;
            return new StreamState(msgs, bytes, first, lastSeq, deleted, subjects.size());
        });
    }

    @Override
    public SubjectState subjectState(final String subject)
    {
        Subjects.validateSubject(subject);
        if (maxAgeNanos > 0)
        {
            expireTick();
        }
        return read(() ->
        {
            final SubjectInfo info = subjects.get(subject);
            return info == null ? SubjectState.empty(subject) : new SubjectState(subject, info.msgs, info.first, info.last);
        });
    }

    @Override
    public StoreStats stats()
    {
        return read(() -> new StoreStats(bytesWritten, bytesOnDisk(), compactions, bytesCompacted, 0, syncs));
    }

    @Override
    public void sync()
    {
        lock.lock();
        try
        {
            ensureUsable();
            commit();
            forceAndMarkDurable();
            publishEvents();
        }
        finally
        {
            lock.unlock();
        }
        fanout.deliver();
    }

    @Override
    public void addListener(final StoreListener listener)
    {
        Arguments.requireNonNull(listener, "listener");
        checkNotClosed();
        fanout.add(new HookListener(listener));
    }

    /**
     * Marks the thread that runs a hook: the fanout runs one hook at a time, and the writers whose hooks come next
     * wait in {@code deliver()} until it returns, so a change made from inside a hook (the ack-commit pattern) must
     * not wait for them to join its batch under {@code always} (see {@link #joinBatch}).
     */
    private final class HookListener implements StoreListener
    {
        private final StoreListener delegate;

        HookListener(final StoreListener delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public void onAppended(final long seq, final String subject)
        {
            final Thread outer = enterHook();
            try
            {
                delegate.onAppended(seq, subject);
            }
            finally
            {
                hookThread = outer;
            }
        }

        @Override
        public void onRemoved(final long seq, final String subject, final RemovalReason reason)
        {
            final Thread outer = enterHook();
            try
            {
                delegate.onRemoved(seq, subject, reason);
            }
            finally
            {
                hookThread = outer;
            }
        }

        @Override
        public void onCompacted(final CompactionResult result)
        {
            final Thread outer = enterHook();
            try
            {
                delegate.onCompacted(result);
            }
            finally
            {
                hookThread = outer;
            }
        }

        @Override
        public void onDurable(final long upToSeq)
        {
            final Thread outer = enterHook();
            try
            {
                delegate.onDurable(upToSeq);
            }
            finally
            {
                hookThread = outer;
            }
        }

        private Thread enterHook()
        {
            final Thread outer = hookThread;
            hookThread = Thread.currentThread();
            return outer;
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
            flusher.stop();
            try
            {
                if (failure == null)
                {
                    commit();
                    forceAndMarkDurable();
                    publishEvents();
                }
            }
            finally
            {
                closed = true;
                wakeBatch();
                closeEnvQuietly();
                directoryLock.release();
            }
        }
        finally
        {
            lock.unlock();
        }
        fanout.deliver();
    }

    @Override
    public String toString()
    {
        return "LmdbStore[" + directory + ", " + config.sync() + "]";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Background ticks (Flusher)
    // ---------------------------------------------------------------------------------------------------------

    /** Commits the open batch without forcing, so a process kill loses at most one tick of changes. */
    void commitTick()
    {
        if (!lock.tryLock())
        {
            return;
        }
        try
        {
            if (closed || failure != null)
            {
                return;
            }
            commit();
            publishEvents();
        }
        finally
        {
            lock.unlock();
        }
        fanout.deliver();
    }

    /** The {@code every(d)} flush: commit and force. */
    void flushTick()
    {
        lock.lock();
        try
        {
            if (closed || failure != null)
            {
                return;
            }
            commit();
            forceAndMarkDurable();
            publishEvents();
        }
        finally
        {
            lock.unlock();
        }
        fanout.deliver();
    }

    /**
     * Removes messages older than {@code maxAge}, oldest first ({@link RemovalReason#LIMIT_AGE}); run by the
     * flusher and before {@code state()} and {@code subjectState()}, so that counts never include an expired
     * message either.
     */
    void expireTick()
    {
        lock.lock();
        try
        {
            if (closed || failure != null || msgs == 0)
            {
                return;
            }
            final long cutoff = now() - maxAgeNanos;
            removalCall = true;
            final int removed;
            try
            {
                removed = guarded(() ->
                {
                    if (oldestTimestamp() >= cutoff)
                    {
                        return 0;
                    }
                    int n = 0;
                    while (msgs > 0 && n < MAX_EXPIRE_PER_TICK)
                    {
                        final int length = readRecord(firstSeq);
                        if (length < 0)
                        {
                            throw codec.corrupt(firstSeq, "is missing although it is the first live sequence");
                        }
                        if (RecordCodec.timestamp(scratch) >= cutoff)
                        {
                            break;
                        }
                        removeSeq(firstSeq, RemovalReason.LIMIT_AGE);
                        n++;
                    }
                    return n;
                });
            }
            finally
            {
                removalCall = false;
            }
            publishEvents();
            if (removed > 0)
            {
                if (always)
                {
                    commit(); // onRemoved runs only once the removal is durable
                }
                else
                {
                    afterChange();
                }
                publishEvents();
            }
        }
        finally
        {
            lock.unlock();
        }
        fanout.deliver();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Call scaffolding
    // ---------------------------------------------------------------------------------------------------------

    private void checkNotClosed()
    {
        if (closed)
        {
            throw closedException();
        }
    }

    private StoreClosedException closedException()
    {
        return new StoreClosedException("the LMDB store in " + directory + " is closed; open it again to go on");
    }

    /** Under the lock: throws when the store is closed or failed. */
    private void ensureUsable()
    {
        if (closed)
        {
            throw closedException();
        }
        final StoreException f = failure;
        if (f != null)
        {
            throw new StoreException("the LMDB store in " + directory + " failed earlier and accepts no more calls; " +
                "close and reopen it: " + f.getMessage(), f);
        }
    }

    private <R> R read(final Body<R> body)
    {
        lock.lock();
        try
        {
            ensureUsable();
            return guarded(body);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Runs a change under the lock; under {@code always} returns only once it is durable, sharing the commit
     * with the other writers of its batch (see {@link #leadCommit} and {@link #awaitCommit}). Hooks run after the
     * lock is released (and after durability).
     */
    private <R> R change(final Body<R> body, final boolean removal)
    {
        boolean ok = false;
        final R result;
        final long myBatch;
        boolean leads = false;
        if (always)
        {
            arrivingWriters.incrementAndGet();
            lockForDurableChange();
            arrivingWriters.decrementAndGet();
        }
        else
        {
            lock.lock();
        }
        try
        {
            ensureUsable();
            removalCall = removal;
            try
            {
                result = guarded(body);
            }
            finally
            {
                removalCall = false;
            }
            publishEvents();
            myBatch = opBatch;
            if (committedBatch < myBatch)
            {
                if (always)
                {
                    leads = joinBatch();
                }
                else
                {
                    afterChange();
                    publishEvents();
                }
            }
            ok = true;
        }
        finally
        {
            lock.unlock();
            if (!ok)
            {
                fanout.discardPending();
            }
        }
        if (always && committedBatch < myBatch)
        {
            if (leads)
            {
                leadCommit(myBatch);
            }
            else
            {
                awaitCommit(myBatch);
            }
        }
        fanout.deliver();
        return result;
    }

    /**
     * Under {@code always}: takes the lock, first trying for it a few times between yields of the CPU before
     * queueing on it. The writers a commit released come back one by one; queued on the fair lock, each would be
     * parked and then handed the lock through a wake-up, which on a small machine costs more than the change it
     * makes (16 writers on 2 cores: 9.9x one writer's rate with the tries, 7.5x without).
     */
    private void lockForDurableChange()
    {
        if (maxSpinNanos > 0)
        {
            for (int i = 0; i < LOCK_TRIES; i++)
            {
                if (lock.tryLock())
                {
                    return;
                }
                Thread.yield();
            }
        }
        lock.lock();
    }

    /**
     * Outside the lock, for a writer of an {@code always} batch: yields the CPU in a loop while its commit is
     * likely to end soon, for up to twice the last commit's duration, so that it is still runnable when the
     * commit releases it instead of parked and in need of a wake-up. No spin once a commit took longer than
     * {@link LmdbStoreProvider#SPIN_WAIT_MICROS} allows.
     */
    private void spinUntilCommitted(final long myBatch)
    {
        final long last = lastCommitNanos;
        if (maxSpinNanos <= 0 || last > maxSpinNanos)
        {
            return;
        }
        final long until = System.nanoTime() + Math.min(maxSpinNanos, 2 * last);
        while (committedBatch < myBatch && failure == null && !closed && System.nanoTime() - until < 0)
        {
            Thread.yield();
        }
    }

    /** Under the lock, after a successful change under {@code never}/{@code every(d)}: commit a full batch. */
    private void afterChange()
    {
        if (redo.size() >= COMMIT_OPS || redo.bytes() >= COMMIT_BYTES)
        {
            commit();
        }
    }

    /**
     * Under the lock, under {@code always}, after a change joined the open batch: counts it. The change that makes
     * the batch as long as the last commit released commits it at once, unless another change is queued on the lock
     * (it may be a writer about to join): then the leader, woken, commits after it (the lock is fair). A change made
     * from inside a hook completes its batch: the writers of the last batch wait for that hook to return before
     * their own hooks run, so they would not come. Otherwise the first change of the batch becomes its leader
     * (true, see {@link #leadCommit}) and the rest are parked until the commit.
     */
    private boolean joinBatch()
    {
        final int calls = batchCalls + 1;
        batchCalls = calls;
        if (calls >= gatherTarget || hookThread == Thread.currentThread())
        {
            batchComplete = true;
            if (arrivingWriters.get() == 0)
            {
                commit();
                publishEvents();
                return false;
            }
            if (leaderThread != null)
            {
                LockSupport.unpark(leaderThread);
            }
        }
        final Thread me = Thread.currentThread();
        if (leaderThread == null)
        {
            leaderThread = me;
            return true;
        }
        batchWaiters.add(me);
        return false;
    }

    /**
     * The leader of an {@code always} batch, outside the lock. After a commit released n writers, most come back
     * with their next change within moments, but one at a time: committing as soon as the first is back would
     * cover only a few of them. So the leader parks until the batch holds n changes (the last of them usually
     * commits it, see {@link #joinBatch}) or until the last commit's duration (at most {@value #MAX_GATHER_MICROS}
     * us) has passed, then commits what the batch holds. One writer never waits (n is 1); a writer that stopped
     * costs one bounded wait, after which n follows the smaller batch.
     */
    private void leadCommit(final long myBatch)
    {
        awaitBatch(myBatch, Math.min(lastCommitNanos, MAX_GATHER_MICROS * 1_000L), true);
    }

    /**
     * A writer of an {@code always} batch that does not lead it: parked until the batch is committed (by its leader
     * or by any other commit), without taking the lock again. Should the commit not come (a leader that died of an
     * {@link Error}), it commits the batch itself after {@value #ORPHAN_WAIT_MS} ms.
     */
    private void awaitCommit(final long myBatch)
    {
        spinUntilCommitted(myBatch);
        awaitBatch(myBatch, ORPHAN_WAIT_MS * 1_000_000L, false);
    }

    /**
     * Parks until {@code myBatch} is committed (or, for its leader, complete), the store failed or closed, or
     * {@code waitNanos} passed; then commits the batch unless that happened already.
     */
    private void awaitBatch(final long myBatch, final long waitNanos, final boolean leader)
    {
        final long deadline = System.nanoTime() + waitNanos;
        boolean interrupted = false;
        while (!(leader && batchComplete) && committedBatch < myBatch && failure == null && !closed)
        {
            final long left = deadline - System.nanoTime();
            if (left <= 0)
            {
                break;
            }
            LockSupport.parkNanos(this, left);
            interrupted |= Thread.interrupted();
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        if (committedBatch < myBatch)
        {
            awaitDurable(myBatch);
        }
    }

    /**
     * Under the lock, when a batch ends (committed) or can no longer end (failed, closed): wakes its writers. Woken
     * here rather than after the unlock: they do not need the lock to return, and waking them early was measured
     * to bring them back with their next change sooner.
     */
    private void wakeBatch()
    {
        for (int i = 0, n = batchWaiters.size(); i < n; i++)
        {
            LockSupport.unpark(batchWaiters.get(i));
        }
        batchWaiters.clear();
        if (leaderThread != null)
        {
            LockSupport.unpark(leaderThread);
            leaderThread = null;
        }
    }

    /** Commits the batch of a change unless that happened already; throws when it can no longer be committed. */
    private void awaitDurable(final long myBatch)
    {
        boolean ok = false;
        lock.lock();
        try
        {
            if (committedBatch < myBatch)
            {
                if (failure != null || closed)
                {
                    throw new StoreException("the change was not made durable: the LMDB store in " + directory +
                        (closed ? " was closed" : " failed: " + failure.getMessage()) + " before its commit", failure);
                }
                if (txn == null || batch != myBatch)
                {
                    throw fail(new StoreException("internal error: the batch of a change (" + myBatch +
                        ") ended without a commit in " + directory + "; the change may be lost"));
                }
                commit();
                publishEvents();
            }
            ok = true;
        }
        finally
        {
            if (!ok && leaderThread == Thread.currentThread())
            {
                leaderThread = null; // the next change of the batch leads it
            }
            lock.unlock();
            if (!ok)
            {
                fanout.discardPending();
            }
        }
    }

    /**
     * Runs {@code body} in the open write transaction; when LMDB fails part-way, undoes the call's traces
     * (see the class comment) and either retries (map grown, or batch committed) or rethrows.
     */
    private <R> R guarded(final Body<R> body)
    {
        int mark = redo.size();
        final long savedLastSeq = lastSeq;
        final long savedTimestamp = lastTimestamp;
        boolean committedForRoom = false;
        boolean committedForTxnRoom = false;
        while (true)
        {
            events.clear();
            touched = false;
            try
            {
                final R result = body.run();
                // a call that changed nothing has nothing to wait for
                opBatch = touched ? batch : committedBatch;
                if (touched && nearCeiling())
                {
                    // one operation per commit here, so a commit that no longer fits fails only its own call
                    commit(true);
                }
                return result;
            }
            catch (final Env.MapFullException e)
            {
                rollBack(mark, savedLastSeq, savedTimestamp);
                if (!committedForRoom && mark > 0)
                {
                    // pages freed in this batch become reusable only after its commit
                    commit();
                    committedForRoom = true;
                    mark = 0;
                    continue;
                }
                commit();
                mark = 0;
                if (!growMap(removalCall ? maxMapSize + removalSlack() : maxMapSize))
                {
                    throw new StoreFullException("the LMDB map of " + directory + " is full at its ceiling of " +
                        mapSize + " bytes (option " + LmdbStoreProvider.MAX_MAP_SIZE + "); nothing was changed. " +
                        "Remove messages, lower the limits, or raise the ceiling", e);
                }
            }
            catch (final Txn.TxFullException e)
            {
                rollBack(mark, savedLastSeq, savedTimestamp);
                if (committedForTxnRoom || mark == 0)
                {
                    throw new StoreFullException("the change does not fit in one LMDB write transaction " +
                        "(MDB_TXN_FULL); nothing was changed", e);
                }
                commit();
                committedForTxnRoom = true;
                mark = 0;
            }
            catch (final LmdbException e)
            {
                rollBack(mark, savedLastSeq, savedTimestamp);
                throw corruptFromLmdb(e);
            }
            catch (final IndexOutOfBoundsException | InternalError e)
            {
                // a damaged page: a key or value of impossible length, or a pointer past the end of the file
                // (SIGBUS, which the JVM turns into InternalError for unsafe reads)
                rollBack(mark, savedLastSeq, savedTimestamp);
                throw new CorruptStoreException("reading " + dataFile + " failed: " + e +
                    "; the file is damaged: restore it from a replica or backup", dataFile.toString(), -1, e);
            }
            catch (final RuntimeException | Error e)
            {
                if (touched)
                {
                    rollBack(mark, savedLastSeq, savedTimestamp);
                }
                throw e;
            }
        }
    }

    private CorruptStoreException corruptFromLmdb(final LmdbException e)
    {
        return new CorruptStoreException("LMDB failed on " + dataFile + ": " + e.getMessage() +
            "; the file is probably damaged: restore it from a replica or backup", dataFile.toString(), -1, e);
    }

    /** Aborts the transaction and replays the batch's changes before {@code mark}, then rebuilds state. */
    private void rollBack(final int mark, final long savedLastSeq, final long savedTimestamp)
    {
        events.clear();
        redo.truncate(mark);
        abortTxn();
        replay();
        try
        {
            rebuildState();
        }
        catch (final RuntimeException | InternalError e)
        {
            throw fail(e);
        }
        if (savedLastSeq > lastSeq)
        {
            lastSeq = savedLastSeq;
            lastSeqLive = false;
        }
        lastTimestamp = Math.max(lastTimestamp, savedTimestamp);
        if (msgs == 0)
        {
            firstSeq = lastSeq + 1;
        }
    }

    private void replay()
    {
        if (redo.size() == 0)
        {
            return;
        }
        while (true)
        {
            try
            {
                redo.replay(new RedoLog.Sink()
                {
                    @Override
                    public void put(final long seq, final byte[] subject, final byte[] record)
                    {
                        lmdbPut(seq, subject, record);
                    }

                    @Override
                    public void delete(final long seq, final byte[] subject)
                    {
                        lmdbDelete(seq, subject);
                    }

                    @Override
                    public void purge()
                    {
                        lmdbPurge();
                    }
                });
                return;
            }
            catch (final Env.MapFullException e)
            {
                abortTxn();
                if (!growMap(maxMapSize + removalSlack()))
                {
                    throw fail(new StoreFullException("could not replay the open batch of the LMDB store in " +
                        directory + " within the map ceiling of " + mapSize + " bytes", e));
                }
            }
            catch (final RuntimeException e)
            {
                abortTxn();
                throw fail(e);
            }
        }
    }

    private StoreException fail(final Throwable cause)
    {
        StoreException f = failure;
        if (f == null)
        {
            f = cause instanceof StoreException se ? se : new StoreException(
                "the LMDB store in " + directory + " failed: " + cause, cause);
            failure = f;
            wakeBatch();
            LOG.log(System.Logger.Level.ERROR, "LMDB store in " + directory + " failed; close and reopen it", cause);
        }
        return f;
    }

    private void publishEvents()
    {
        for (int i = 0, n = events.size(); i < n; i++)
        {
            final Event e = events.get(i);
            if (e.kind == EV_APPENDED)
            {
                fanout.appended(e.seq, e.subject);
            }
            else
            {
                fanout.removed(e.seq, e.subject, e.reason);
            }
        }
        events.clear();
        if (durableUpToSeq > publishedDurableSeq)
        {
            publishedDurableSeq = durableUpToSeq;
            fanout.durable(durableUpToSeq);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Changes
    // ---------------------------------------------------------------------------------------------------------

    private long doAppend(final String subject, final byte[] headers, final byte[] payload, final long size)
    {
        capMap();
        SubjectInfo info = subjects.get(subject);
        final long maxMsgs = config.maxMsgs();
        final long maxBytes = config.maxBytes();
        final long maxPerSubject = config.maxMsgsPerSubject();
        if (maxBytes > 0 && size > maxBytes)
        {
            throw new LimitExceededException(LimitExceededException.Limit.MAX_BYTES, "message of " + size +
                " bytes can never fit within maxBytes " + maxBytes + "; nothing stored");
        }
        if (config.discard() == Discard.NEW)
        {
            if (maxMsgs > 0 && msgs + 1 > maxMsgs)
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_MSGS, "the stream holds " + msgs +
                    " messages, maxMsgs is " + maxMsgs + " and discard is NEW; nothing stored");
            }
            if (maxBytes > 0 && bytes + size > maxBytes)
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_BYTES, "the stream holds " + bytes +
                    " bytes, the message adds " + size + ", maxBytes is " + maxBytes + " and discard is NEW; nothing stored");
            }
        }
        if (maxPerSubject > 0 && info != null && info.msgs + 1 > maxPerSubject)
        {
            if (config.discardNewPerSubject())
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_MSGS_PER_SUBJECT, "subject '" +
                    subject + "' holds " + info.msgs + " messages, maxMsgsPerSubject is " + maxPerSubject +
                    " and discardNewPerSubject is set; nothing stored");
            }
            while (info.msgs + 1 > maxPerSubject)
            {
                removeSeq(info.first, RemovalReason.LIMIT_PER_SUBJECT);
            }
        }
        if (config.discard() == Discard.OLD)
        {
            while (maxMsgs > 0 && msgs > 0 && msgs + 1 > maxMsgs)
            {
                removeFirst(RemovalReason.LIMIT_MSGS);
            }
            while (maxBytes > 0 && msgs > 0 && bytes + size > maxBytes)
            {
                removeFirst(RemovalReason.LIMIT_BYTES);
            }
        }
        info = subjects.get(subject);
        final byte[] subjectBytes = info != null ? info.bytes : subject.getBytes(StandardCharsets.UTF_8);
        final long seq = lastSeq + 1;
        final long timestamp = Math.max(now(), lastTimestamp);
        final byte[] record = codec.encode(seq, timestamp, subjectBytes, headers, payload);
        touched = true;
        lmdbPut(seq, subjectBytes, record);
        redo.append(seq, subjectBytes, record);
        if (info == null)
        {
            info = new SubjectInfo(subject, subjectBytes);
            info.first = seq;
            subjects.put(subject, info);
        }
        info.msgs++;
        info.last = seq;
        if (msgs == 0)
        {
            firstSeq = seq;
        }
        msgs++;
        bytes += size;
        lastSeq = seq;
        lastSeqLive = true;
        lastTimestamp = timestamp;
        if (fanout.active())
        {
            events.add(new Event(EV_APPENDED, seq, subject, null));
        }
        return seq;
    }

    private void removeFirst(final RemovalReason reason)
    {
        if (!removeSeq(firstSeq, reason))
        {
            throw codec.corrupt(firstSeq, "is missing although it is the first live sequence");
        }
    }

    /**
     * Removes {@code seq} through the two cursors: one descent per database, and the cursor's next entry after
     * the delete is the new first sequence (of the stream, of the subject) without another search.
     */
    private boolean removeSeq(final long seq, final RemovalReason reason)
    {
        if (seq > lastSeq || msgs == 0 || seq < firstSeq)
        {
            return false;
        }
        final Cursor<DirectBuffer> mc = msgsCursor();
        keyBuf.putLong(0, seq, ByteOrder.BIG_ENDIAN);
        if (!mc.get(keyBuf, GetOp.MDB_SET_KEY))
        {
            return false;
        }
        final int length = copyOut(mc.val());
        codec.verify(seq, scratch, length);
        final String subject = RecordCodec.subject(scratch);
        final SubjectInfo info = subjects.get(subject);
        final Cursor<DirectBuffer> sc = subjCursor();
        if (info != null)
        {
            subjectKey(info.bytes, seq);
        }
        if (info == null || !sc.get(subjKey, GetOp.MDB_SET_KEY))
        {
            throw codec.corrupt(seq, "names subject '" + subject + "', under which the subject index does not list it");
        }
        touched = true;
        dirty = true;
        mc.delete();
        sc.delete();
        if (seq == lastSeq)
        {
            lastSeqLive = false;
        }
        redo.remove(seq, info.bytes);
        msgs--;
        bytes -= RecordCodec.messageSize(length);
        info.msgs--;
        if (info.msgs == 0)
        {
            subjects.remove(subject);
        }
        else
        {
            if (seq == info.first)
            {
                if (!sc.next() || !SubjectInfo.isKeyOf(sc.key(), info.bytes))
                {
                    throw new CorruptStoreException("the subject index of " + dataFile + " has no entry for '" +
                        subject + "' after sequence " + seq + " although " + info.msgs + " are live; the file is damaged",
                        dataFile.toString(), -1, null);
                }
                info.first = sc.key().getLong(info.bytes.length, ByteOrder.BIG_ENDIAN);
            }
            if (seq == info.last)
            {
                info.last = prevInSubject(info, seq - 1);
            }
        }
        if (msgs == 0)
        {
            firstSeq = lastSeq + 1;
        }
        else if (seq == firstSeq)
        {
            firstSeq = mc.next() ? mc.key().getLong(0, ByteOrder.BIG_ENDIAN) : lastSeq + 1;
        }
        if (fanout.active())
        {
            events.add(new Event(EV_REMOVED, seq, subject, reason));
        }
        return true;
    }

    private long doPurge()
    {
        final long n = msgs;
        if (n == 0)
        {
            return 0L;
        }
        if (fanout.active())
        {
            final Cursor<DirectBuffer> c = msgsCursor();
            boolean found = c.seek(SeekOp.MDB_FIRST);
            while (found)
            {
                final long seq = c.key().getLong(0, ByteOrder.BIG_ENDIAN);
                final int length = copyOut(c.val());
                codec.verify(seq, scratch, length);
                events.add(new Event(EV_REMOVED, seq, RecordCodec.subject(scratch), RemovalReason.PURGED));
                found = c.next();
            }
        }
        touched = true;
        lmdbPurge();
        redo.purge();
        subjects.clear();
        msgs = 0;
        bytes = 0;
        firstSeq = lastSeq + 1;
        lastSeqLive = false;
        return n;
    }

    private CompactionResult doCompact()
    {
        commit();
        abortTxn();
        final Path copy = directory.resolve(COMPACT_FILE);
        final long before;
        final long after;
        try
        {
            before = Files.size(dataFile);
            final Compactor.Copy written = Compactor.writeCopy(env, copy, mapSize);
            after = written.size();
            bytesWritten += after + written.stampBytes();
            closeEnvQuietly();
            Compactor.swapIn(copy, dataFile);
        }
        catch (final IOException e)
        {
            if (env == null)
            {
                reopenAfterCompactionFailure(e);
            }
            throw fail(compactionFailure(e));
        }
        catch (final LmdbException e)
        {
            throw fail(compactionFailure(e));
        }
        try
        {
            openEnv(mapSize);
        }
        catch (final RuntimeException e)
        {
            throw fail(e);
        }
        compactions++;
        bytesCompacted += after;
        forceAndMarkDurable();
        final CompactionResult result = new CompactionResult(1, Math.max(0, before - after), after);
        fanout.compacted(result);
        return result;
    }

    /**
     * Fail-stop like any other failed write: the disk that refused the copy (or the directory force after the swap,
     * without which later commits may not survive a power cut) is suspect for the next commit too.
     */
    private StoreException compactionFailure(final Exception e)
    {
        final String message = "compaction of " + dataFile + " failed (" + e + "); it holds the same messages, but " +
            "the store accepts no more changes: " + (noSpace(e) ? "free space, then " : "") + "close and reopen it";
        return noSpace(e) ? new StoreFullException(message, e) : new StoreException(message, e);
    }

    /** ENOSPC from the system call itself (LMDB passes {@code pwrite}'s errno on), whatever space is left now. */
    private static boolean noSpace(final Exception e)
    {
        final String message = String.valueOf(e.getMessage());
        return message.contains("ENOSPC") || message.contains("No space left on device");
    }

    private void reopenAfterCompactionFailure(final IOException cause)
    {
        try
        {
            openEnv(mapSize);
        }
        catch (final RuntimeException e)
        {
            e.addSuppressed(cause);
            throw fail(e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reads
    // ---------------------------------------------------------------------------------------------------------

    private LmdbMessage findNext(final String filter, final long from)
    {
        if (msgs == 0 || from > lastSeq)
        {
            return null;
        }
        if (Subjects.ALL.equals(filter))
        {
            final long seq = nextSeq(from);
            return seq > lastSeq ? null : loadChecked(seq, null);
        }
        if (Subjects.isLiteral(filter))
        {
            final SubjectInfo info = subjects.get(filter);
            if (info == null || info.last < from)
            {
                return null;
            }
            return loadChecked(nextInSubject(info, Math.max(from, info.first)), filter);
        }
        if (subjects.size() <= INDEXED_FILTER_SUBJECTS)
        {
            long best = Long.MAX_VALUE;
            String bestSubject = null;
            for (final SubjectInfo info : subjects.values())
            {
                if (info.last >= from && info.first < best && Subjects.matches(filter, info.subject))
                {
                    final long seq = nextInSubject(info, Math.max(from, info.first));
                    if (seq < best)
                    {
                        best = seq;
                        bestSubject = info.subject;
                    }
                }
            }
            return bestSubject == null ? null : loadChecked(best, bestSubject);
        }
        final Cursor<DirectBuffer> c = msgsCursor();
        keyBuf.putLong(0, from, ByteOrder.BIG_ENDIAN);
        boolean found = c.get(keyBuf, GetOp.MDB_SET_RANGE);
        while (found)
        {
            final long seq = c.key().getLong(0, ByteOrder.BIG_ENDIAN);
            final int length = copyOut(c.val());
            codec.verify(seq, scratch, length);
            if (Subjects.matches(filter, RecordCodec.subject(scratch)))
            {
                return RecordCodec.decode(seq, scratch, length);
            }
            found = c.next();
        }
        return null;
    }

    /** The record of a sequence the indexes say is live; its subject must be {@code subject} (when not null). */
    private LmdbMessage loadChecked(final long seq, final String subject)
    {
        final int length = readRecord(seq);
        if (length < 0)
        {
            throw codec.corrupt(seq, "is missing although the index lists it");
        }
        final LmdbMessage message = RecordCodec.decode(seq, scratch, length);
        if (subject != null && !subject.equals(message.subject()))
        {
            throw codec.corrupt(seq, "is on subject '" + message.subject() + "' but the subject index lists it under '" +
                subject + "'");
        }
        return message;
    }

    /** Copies the checked record of {@code seq} into {@link #scratch}; its length, or -1 when absent. */
    private int readRecord(final long seq)
    {
        keyBuf.putLong(0, seq, ByteOrder.BIG_ENDIAN);
        final DirectBuffer value = msgsDbi.get(txn(), keyBuf);
        if (value == null)
        {
            return -1;
        }
        final int length = copyOut(value);
        codec.verify(seq, scratch, length);
        return length;
    }

    private int copyOut(final DirectBuffer value)
    {
        checkMapped(value);
        final int length = value.capacity();
        if (length < RecordCodec.OVERHEAD || length > MAX_RECORD)
        {
            throw new CorruptStoreException("a record in " + dataFile + " claims " + length + " bytes, outside " +
                RecordCodec.OVERHEAD + ".." + MAX_RECORD + "; the file is damaged: restore it from a replica or backup",
                dataFile.toString(), -1, null);
        }
        if (length > scratch.length)
        {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        value.getBytes(0, scratch, 0, length);
        return length;
    }

    /** The first live sequence at or after {@code from}, or {@code lastSeq + 1}. */
    private long nextSeq(final long from)
    {
        keyBuf.putLong(0, from, ByteOrder.BIG_ENDIAN);
        final Cursor<DirectBuffer> c = msgsCursor();
        return c.get(keyBuf, GetOp.MDB_SET_RANGE) ? c.key().getLong(0, ByteOrder.BIG_ENDIAN) : lastSeq + 1;
    }

    private long nextInSubject(final SubjectInfo info, final long from)
    {
        final Cursor<DirectBuffer> c = subjCursor();
        subjectKey(info.bytes, from);
        if (c.get(subjKey, GetOp.MDB_SET_RANGE) && SubjectInfo.isKeyOf(c.key(), info.bytes))
        {
            return c.key().getLong(info.bytes.length, ByteOrder.BIG_ENDIAN);
        }
        throw new CorruptStoreException("the subject index of " + dataFile + " has no entry for '" + info.subject +
            "' at or after sequence " + from + " although " + info.msgs + " are live; the file is damaged",
            dataFile.toString(), -1, null);
    }

    private long prevInSubject(final SubjectInfo info, final long upTo)
    {
        final Cursor<DirectBuffer> c = subjCursor();
        subjectKey(info.bytes, upTo + 1);
        final boolean positioned = c.get(subjKey, GetOp.MDB_SET_RANGE) ? c.seek(SeekOp.MDB_PREV) : c.seek(SeekOp.MDB_LAST);
        if (positioned && SubjectInfo.isKeyOf(c.key(), info.bytes))
        {
            return c.key().getLong(info.bytes.length, ByteOrder.BIG_ENDIAN);
        }
        throw new CorruptStoreException("the subject index of " + dataFile + " has no entry for '" + info.subject +
            "' at or before sequence " + upTo + " although " + info.msgs + " are live; the file is damaged",
            dataFile.toString(), -1, null);
    }

    /** The timestamp of the first live message, read once per first sequence. */
    private long oldestTimestamp()
    {
        if (oldestTimestampSeq != firstSeq)
        {
            if (readRecord(firstSeq) < 0)
            {
                throw codec.corrupt(firstSeq, "is missing although it is the first live sequence");
            }
            oldestTimestamp = RecordCodec.timestamp(scratch);
            oldestTimestampSeq = firstSeq;
        }
        return oldestTimestamp;
    }

    private boolean expired(final long timestamp)
    {
        return maxAgeNanos > 0 && timestamp < now() - maxAgeNanos;
    }

    private static long now()
    {
        final Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    // ---------------------------------------------------------------------------------------------------------
    // LMDB
    // ---------------------------------------------------------------------------------------------------------

    private void openEnv(final long requestedMapSize)
    {
        final EnvFlags[] flags = always ?
            new EnvFlags[]{EnvFlags.MDB_NOSUBDIR, EnvFlags.MDB_NOLOCK, EnvFlags.MDB_NOTLS} :
            new EnvFlags[]{EnvFlags.MDB_NOSUBDIR, EnvFlags.MDB_NOLOCK, EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC,
                EnvFlags.MDB_NOMETASYNC};
        final long before = IoCounter.read();
        mapAddress = 0;
        mapMoved = true;
        try
        {
            env = Env.create(DirectBufferProxy.PROXY_DB)
                .setMapSize(roundToPage(requestedMapSize))
                .setMaxDbs(4)
                .setMaxReaders(8)
                .open(dataFile.toFile(), flags);
        }
        catch (final LmdbException e)
        {
            env = null;
            throw new CorruptStoreException("LMDB could not open " + dataFile + ": " + e.getMessage() +
                "; the file is damaged or not an LMDB file: restore it from a replica or backup",
                dataFile.toString(), -1, e);
        }
        try
        {
            // Reader slots of dead processes would pin pages; with MDB_NOLOCK there is no reader table and this
            // reports 0, but it keeps the store right if the flags ever change.
            env.readerCheck();
            pageSize = env.stat().pageSize;
            final long openedTxnid = env.info().lastTransactionId;
            final MetaPages metaPages = MetaPages.read(dataFile, pageSize);
            // Created only in a new environment, in the store's own transaction, so that its first commit holds all
            // of it; elsewhere a database LMDB does not find means a damaged main tree, not a store to start afresh.
            final boolean create = openedTxnid == 0;
            msgsDbi = openDatabase("msgs".getBytes(StandardCharsets.US_ASCII), create, metaPages);
            subjDbi = openDatabase("subj".getBytes(StandardCharsets.US_ASCII), create, metaPages);
            metaDbi = openDatabase(META_DB_NAME, create, metaPages);
            if (!create)
            {
                // keeps the handles for good, so that no later abort (map full at a commit) can close them
                commitEmpty();
            }
            refreshMapping();
            checkSnapshot(metaPages, openedTxnid);
            loadMeta();
            rebuildState();
            writeConfigIfChanged();
            if (dirty)
            {
                commit();
            }
            else
            {
                commitEmpty();
            }
            if (before >= 0)
            {
                bytesWritten += Math.max(0, IoCounter.read() - before);
            }
        }
        catch (final IOException e)
        {
            closeEnvQuietly();
            throw new StoreException("could not read the meta pages of " + dataFile + ": " + e, e);
        }
        catch (final LmdbException | IndexOutOfBoundsException | InternalError e)
        {
            closeEnvQuietly();
            throw new CorruptStoreException("LMDB could not read " + dataFile + ": " + e +
                "; the file is damaged: restore it from a replica or backup", dataFile.toString(), -1, e);
        }
        catch (final RuntimeException e)
        {
            closeEnvQuietly();
            throw e;
        }
    }

    private long roundToPage(final long size)
    {
        return (size + 4095) / 4096 * 4096;
    }

    /** Doubles the map (up to the ceiling); the caller has ended every transaction. False at the ceiling. */
    private boolean growMap(final long limit)
    {
        if (mapSize >= limit)
        {
            return false;
        }
        final long next = Math.min(limit, mapSize * 2) / pageSize * pageSize;
        if (next <= mapSize)
        {
            return false;
        }
        env.setMapSize(next);
        refreshMapping();
        LOG.log(System.Logger.Level.INFO, "LMDB map of " + directory + " grown to " + mapSize + " bytes");
        return true;
    }

    /**
     * LMDB needs free pages even to delete (copy-on-write), so a map filled to its ceiling by appends could
     * refuse the removals that would empty it. Removals, and commits of changes already answered, may
     * therefore grow the map past the ceiling by this much; appends never use it (see {@link #capMap()}).
     */
    private long removalSlack()
    {
        return Math.max(1L << 20, maxMapSize / 16);
    }

    /**
     * Before an append: shrinks a map that removals grew past the ceiling back to it (LMDB keeps it at least
     * as large as the file), so appends can reuse freed pages but never extend the file into the slack.
     */
    private void capMap()
    {
        if (mapSize > maxMapSize && !dirty)
        {
            abortTxn();
            env.setMapSize(maxMapSize / pageSize * pageSize);
            refreshMapping();
        }
    }

    /** Map size and the committed file's length; after the map moved (open, resize), also its address. */
    private void refreshMapping()
    {
        final org.lmdbjava.EnvInfo info = env.info();
        if (mapMoved || info.mapSize != mapSize)
        {
            mapAddress = MapLocator.address(dataFile);
            mapMoved = false;
        }
        mapSize = info.mapSize;
        usedBytes = (info.lastPageNumber + 1) * pageSize;
    }

    /**
     * A damaged node can point LMDB's key or value past the end of the file but inside the map; touching that
     * memory is a SIGBUS, which the JVM may raise as an {@link InternalError} at a later instruction, outside any
     * handler. Such a buffer is refused before it is read. Buffers outside the map are pages of the open write
     * transaction (the store does not use {@code MDB_WRITEMAP}).
     */
    void checkMapped(final DirectBuffer buffer)
    {
        final long address = buffer.addressOffset();
        if (mapAddress != 0 && address >= mapAddress && address < mapAddress + mapSize &&
            address + buffer.capacity() > mapAddress + usedBytes)
        {
            throw new CorruptStoreException("LMDB returned a key or value at offset " + (address - mapAddress) +
                " (" + buffer.capacity() + " bytes) of " + dataFile + ", past the " + usedBytes + " bytes in use; " +
                "the file is damaged: restore it from a replica or backup", dataFile.toString(), address - mapAddress,
                null);
        }
    }

    /** Commits a transaction that changed nothing: LMDB writes nothing, and the handles it opened stay open. */
    private void commitEmpty()
    {
        closeCursors();
        final Txn<DirectBuffer> t = txn;
        if (t == null)
        {
            return;
        }
        txn = null;
        dirty = false;
        try
        {
            t.commit();
        }
        finally
        {
            t.close();
        }
    }

    private Dbi<DirectBuffer> openDatabase(final byte[] name, final boolean create, final MetaPages metaPages)
    {
        try
        {
            return create ? env.openDbi(txn(), name, null, false, DbiFlags.MDB_CREATE) :
                env.openDbi(txn(), name, null, false);
        }
        catch (final LmdbException e)
        {
            final MetaPages.Page chosen = metaPages.chosen();
            throw new CorruptStoreException("the snapshot of transaction " + chosen.txnid() + " in " + dataFile +
                " (meta page " + chosen.index() + ") has no database '" + new String(name, StandardCharsets.US_ASCII) +
                "' (" + e.getMessage() + "); the file is damaged: restore it from a replica or backup, or move it " +
                "away to accept the loss of the stream", dataFile.toString(), metaPages.offset(chosen), e);
        }
    }

    /**
     * Refuses a snapshot LMDB picked through a damaged meta page (see {@link MetaPages}). Reads nothing but the two
     * meta pages and, only when the opened one passes, the stamp of the other one; a store without a stamp (older
     * build) gets one at this open's commit.
     */
    private void checkSnapshot(final MetaPages metaPages, final long openedTxnid)
    {
        final DirectBuffer value = metaDbi.get(txn(), metaKey(TXNID_NAME));
        long stamp = -1;
        if (value != null)
        {
            if (value.capacity() != 8)
            {
                throw new CorruptStoreException("the meta entry '" + TXNID_NAME + "' of " + dataFile + " is " +
                    value.capacity() + " bytes long instead of 8; the file is damaged: restore it from a replica or " +
                    "backup", dataFile.toString(), -1, null);
            }
            stamp = value.getLong(0, ByteOrder.BIG_ENDIAN);
        }
        metaPages.checkStamp(openedTxnid, stamp, metaDbi.get(txn(), metaKey("config")) != null);
        final MetaPages.Page other = metaPages.passedOver();
        if (other.txnid() != 0)
        {
            metaPages.checkPassedOver(metaPages.stampOf(dataFile, other));
        }
        if (stamp < 0)
        {
            dirty = true;
        }
    }

    private void loadMeta()
    {
        metaLastSeq = readMetaLong("lastSeq");
        metaLastTimestamp = readMetaLong("lastTs");
    }

    private long readMetaLong(final String name)
    {
        final DirectBuffer value = metaDbi.get(txn(), metaKey(name));
        if (value == null)
        {
            return 0;
        }
        if (value.capacity() != 8)
        {
            throw new CorruptStoreException("the meta entry '" + name + "' of " + dataFile + " is " + value.capacity() +
                " bytes long instead of 8; the file is damaged", dataFile.toString(), -1, null);
        }
        return value.getLong(0, ByteOrder.BIG_ENDIAN);
    }

    private void writeConfigIfChanged()
    {
        final byte[] text = (FORMAT + "\n" + config).getBytes(StandardCharsets.UTF_8);
        final DirectBuffer current = metaDbi.get(txn(), metaKey("config"));
        if (current != null && current.capacity() == text.length)
        {
            final byte[] existing = new byte[text.length];
            current.getBytes(0, existing);
            if (java.util.Arrays.equals(existing, text))
            {
                return;
            }
        }
        dirty = true;
        final MutableDirectBuffer target = (MutableDirectBuffer)metaDbi.reserve(txn(), metaKey("config"), text.length);
        target.putBytes(0, text);
    }

    private void writeMetaLong(final String name, final long value)
    {
        final MutableDirectBuffer target = (MutableDirectBuffer)metaDbi.reserve(txn(), metaKey(name), 8);
        target.putLong(0, value, ByteOrder.BIG_ENDIAN);
    }

    private UnsafeBuffer metaKey(final String name)
    {
        final int length = metaKeyBase.putStringWithoutLengthAscii(0, name);
        metaKey.wrap(metaKeyBase, 0, length);
        return metaKey;
    }

    /** Rebuilds counts, bytes, first/last sequences and per-subject state (see {@link Recovery}). */
    private void rebuildState()
    {
        subjects.clear();
        final Recovery.Scan scan = Recovery.scan(msgsCursor(), subjCursor(), dataFile.toString(), subjects,
            this::checkMapped, key -> msgsDbi.get(txn(), key) != null, key -> subjDbi.get(txn(), key) != null, pageSize);
        msgs = scan.msgs();
        bytes = scan.bytes();
        lastSeq = Math.max(metaLastSeq, scan.lastKey());
        lastTimestamp = Math.max(lastTimestamp, metaLastTimestamp);
        if (msgs > 0)
        {
            if (readRecord(scan.lastKey()) < 0)
            {
                throw codec.corrupt(scan.lastKey(), "vanished while the store was opened");
            }
            lastTimestamp = Math.max(lastTimestamp, RecordCodec.timestamp(scratch));
        }
        firstSeq = msgs == 0 ? lastSeq + 1 : scan.firstKey();
        lastSeqLive = msgs > 0 && scan.lastKey() == lastSeq;
    }

    private Txn<DirectBuffer> txn()
    {
        if (txn == null)
        {
            txn = env.txnWrite();
        }
        return txn;
    }

    private Cursor<DirectBuffer> msgsCursor()
    {
        if (msgsCursor == null)
        {
            msgsCursor = msgsDbi.openCursor(txn());
        }
        return msgsCursor;
    }

    private Cursor<DirectBuffer> subjCursor()
    {
        if (subjCursor == null)
        {
            subjCursor = subjDbi.openCursor(txn());
        }
        return subjCursor;
    }

    private void subjectKey(final byte[] subject, final long seq)
    {
        subjKeyBase.putBytes(0, subject);
        subjKeyBase.putLong(subject.length, seq, ByteOrder.BIG_ENDIAN);
        subjKey.wrap(subjKeyBase, 0, subject.length + 8);
    }

    private void lmdbPut(final long seq, final byte[] subject, final byte[] record)
    {
        final Txn<DirectBuffer> t = txn();
        dirty = true;
        keyBuf.putLong(0, seq, ByteOrder.BIG_ENDIAN);
        // a new sequence is above every key: MDB_APPEND skips the search and splits pages full, not half full
        final MutableDirectBuffer target =
            (MutableDirectBuffer)msgsDbi.reserve(t, keyBuf, record.length, PutFlags.MDB_APPEND);
        target.putBytes(0, record);
        subjectKey(subject, seq);
        subjDbi.put(t, subjKey, emptyVal);
    }

    private void lmdbDelete(final long seq, final byte[] subject)
    {
        final Txn<DirectBuffer> t = txn();
        dirty = true;
        keyBuf.putLong(0, seq, ByteOrder.BIG_ENDIAN);
        msgsDbi.delete(t, keyBuf);
        subjectKey(subject, seq);
        subjDbi.delete(t, subjKey);
    }

    private void lmdbPurge()
    {
        final Txn<DirectBuffer> t = txn();
        dirty = true;
        msgsDbi.drop(t);
        subjDbi.drop(t);
    }

    private void closeCursors()
    {
        final Cursor<DirectBuffer> m = msgsCursor;
        final Cursor<DirectBuffer> s = subjCursor;
        msgsCursor = null;
        subjCursor = null;
        if (m != null)
        {
            m.close();
        }
        if (s != null)
        {
            s.close();
        }
    }

    private void abortTxn()
    {
        if (txn != null)
        {
            try
            {
                closeCursors();
            }
            catch (final RuntimeException ignore)
            {
                // LMDB frees a write transaction's cursors with it
            }
            final Txn<DirectBuffer> t = txn;
            txn = null;
            dirty = false;
            t.close();
        }
    }

    /**
     * Commits the open transaction when it changed anything (under {@code always}: durably, ending the batch
     * and recording {@code onDurable}). On {@code MDB_MAP_FULL} at commit, grows the map and replays.
     */
    private void commit()
    {
        commit(false);
    }

    /**
     * True when the map is at its ceiling and the file's high-water mark is close to it: a batch could then
     * fill the map in its commit (LMDB writes the free list at commit), failing changes already answered.
     */
    private boolean nearCeiling()
    {
        return mapSize >= maxMapSize && maxMapSize - usedBytes < Math.max(32 * (1L << 20), maxMapSize / 4);
    }

    private void commit(final boolean propagateMapFull)
    {
        final long started = System.nanoTime();
        boolean metaWritten = false;
        if (txn == null)
        {
            return;
        }
        if (!dirty)
        {
            abortTxn();
            return;
        }
        while (true)
        {
            try
            {
                // while the last message is live its key and timestamp say it all: no meta page to write
                if (!lastSeqLive && lastSeq != metaLastSeq)
                {
                    writeMetaLong("lastSeq", lastSeq);
                    metaWritten = true;
                }
                if (!lastSeqLive && lastTimestamp != metaLastTimestamp)
                {
                    writeMetaLong("lastTs", lastTimestamp);
                    metaWritten = true;
                }
                // the snapshot's own id, so that an open can tell whether LMDB picked it through a damaged meta page
                writeMetaLong(TXNID_NAME, txn().getId());
                closeCursors();
                final long before = IoCounter.AVAILABLE ? IoCounter.read() : -1;
                final Txn<DirectBuffer> t = txn;
                txn = null;
                dirty = false;
                metaPageUndo.save(mapAddress, pageSize, t.getId());
                try
                {
                    t.commit();
                }
                catch (final LmdbException e)
                {
                    if (!(e instanceof Env.MapFullException))
                    {
                        bytesWritten += metaPageUndo.restore(dataFile);
                    }
                    throw e;
                }
                finally
                {
                    t.close();
                }
                bytesWritten += before >= 0 ? Math.max(0, IoCounter.read() - before) : estimateCommitBytes();
                break;
            }
            catch (final Env.MapFullException e)
            {
                abortTxn();
                if (propagateMapFull)
                {
                    throw e;
                }
                if (!growMap(maxMapSize + removalSlack()))
                {
                    throw fail(new StoreFullException("the LMDB map of " + directory + " filled up while committing, " +
                        "at its ceiling of " + mapSize + " bytes; raise " + LmdbStoreProvider.MAX_MAP_SIZE, e));
                }
                replay();
            }
            catch (final LmdbException e)
            {
                abortTxn();
                throw fail(writeFailure("committing", e));
            }
        }
        if (metaWritten)
        {
            metaLastSeq = lastSeq;
            metaLastTimestamp = lastTimestamp;
        }
        refreshMapping();
        redo.clear();
        committedBatch = batch;
        batch++;
        if (always)
        {
            syncs++;
            markDurable();
            lastCommitNanos = System.nanoTime() - started;
            // the writers it releases come back for the next batch, and so do those already waiting for the lock:
            // without them two halves of the writers would alternate, each committing alone
            gatherTarget = Math.max(1, batchCalls + arrivingWriters.get());
            batchCalls = 0;
            batchComplete = false;
            wakeBatch();
        }
    }

    private long estimateCommitBytes()
    {
        return (2L * redo.size() + 2) * pageSize; // + the meta page and the stamp's leaf
    }

    /** Under {@code never}/{@code every(d)}: forces what was committed. Then records {@code onDurable}. */
    private void forceAndMarkDurable()
    {
        if (!always)
        {
            try
            {
                env.sync(true);
            }
            catch (final LmdbException e)
            {
                throw fail(writeFailure("forcing", e));
            }
            syncs++;
        }
        markDurable();
    }

    /**
     * LMDB reports a short write on a full disk as EIO, not ENOSPC: tell a full disk apart by the space left.
     * Either way the store fails (fail-stop): the batch that did not reach the file was aborted.
     */
    private StoreException writeFailure(final String what, final LmdbException e)
    {
        long usable = Long.MAX_VALUE;
        try
        {
            usable = Files.getFileStore(directory).getUsableSpace();
        }
        catch (final IOException ignore)
        {
            // unknown: report the plain failure
        }
        // EFAULT: LMDB wrote from an address a damaged page gave it
        if (e instanceof LmdbNativeException.PageCorruptedException ||
            e instanceof LmdbNativeException.PageNotFoundException || String.valueOf(e.getMessage()).contains("EFAULT"))
        {
            return new CorruptStoreException("LMDB failed " + what + " " + dataFile + ": " + e.getMessage() +
                " (its pages point at memory they should not): the file is damaged: restore it from a replica or " +
                "backup; changes not yet durable are lost", dataFile.toString(), -1, e);
        }
        if (usable < 2 * COMMIT_BYTES || noSpace(e))
        {
            return new StoreFullException("the disk holding " + dataFile + " is full (" + usable + " bytes usable) " +
                "while " + what + ": free space, then close and reopen the store; changes not yet durable are lost", e);
        }
        return new StoreException("LMDB failed " + what + " " + dataFile + ": " + e.getMessage() +
            "; close and reopen the store (changes not yet durable are lost)", e);
    }

    private void markDurable()
    {
        durableUpToSeq = Math.max(durableUpToSeq, lastSeq);
    }

    private void closeEnvQuietly()
    {
        try
        {
            abortTxn();
        }
        catch (final RuntimeException e)
        {
            LOG.log(System.Logger.Level.WARNING, "aborting the open transaction of " + dataFile + " failed", e);
        }
        if (env != null)
        {
            final Env<DirectBuffer> e = env;
            env = null;
            e.close();
        }
    }

    private long bytesOnDisk()
    {
        long total = 0;
        for (final String name : new String[]{DATA_FILE, COMPACT_FILE, DirectoryLock.FILE_NAME})
        {
            try
            {
                total += Files.size(directory.resolve(name));
            }
            catch (final IOException ignore)
            {
                // absent
            }
        }
        return total;
    }
}
