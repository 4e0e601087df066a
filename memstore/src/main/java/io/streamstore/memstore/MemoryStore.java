package io.streamstore.memstore;

import io.streamstore.spi.Arguments;
import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.ListenerFanout;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.Subjects;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The memory store: every message on the heap, nothing survives {@link #close()}.
 *
 * <p>Structures, all guarded by one {@link ReentrantReadWriteLock} (writes exclusive, reads concurrent):
 * <ul>
 *   <li>{@link SeqRing}: messages by sequence, a power-of-two ring from the first live sequence to the
 *       last; O(1) load, append and removal.</li>
 *   <li>{@link SubjectIndex} per subject (in a {@link HashMap} for lookup and an array for walks): the
 *       subject's live sequences, oldest first, so per-subject reads and limits never scan the stream.</li>
 *   <li>{@link Expiry}: a task on the one scheduler thread that all memory stores share, due when the
 *       oldest message passes {@code maxAge}. Every call also removes what has expired before it acts,
 *       so no read returns an expired message even between firings.</li>
 * </ul>
 *
 * <p>Limits, checked under the write lock before anything changes: expired messages go first (so they make
 * room under {@link Discard#NEW}); then the refusing limits ({@code discardNewPerSubject}, then
 * {@code maxMsgs} / {@code maxBytes} under {@link Discard#NEW}, counting the message a per-subject eviction
 * would free, as NATS does); then evictions: the subject's oldest ({@code LIMIT_PER_SUBJECT}), then the
 * stream's oldest ({@code LIMIT_MSGS}, {@code LIMIT_BYTES}), each reported before the append that caused it.
 * A message larger than {@code maxBytes} on its own is refused under either discard policy
 * ({@code MAX_BYTES}): evicting everything would not make it fit.
 *
 * <p>Hooks: every change records its events in {@link ListenerFanout} while holding the write lock, and
 * delivers them after releasing it, so a hook may call back into the store.
 *
 * <p>Figures in {@link #stats()}: {@code bytesWritten} counts the message bytes copied into the store
 * (subject + headers + payload of each append), the honest "writes" of a heap store; nothing is on disk,
 * nothing is synced and no tombstone is written. {@code compactions} counts the {@link #compact()} calls
 * that released memory (a shrunken ring or subject index, or forgotten empty subjects); they rewrite
 * nothing, so {@code bytesCompacted} stays 0.
 */
final class MemoryStore implements StreamStore
{
    /** Epoch nanos at {@code System.nanoTime() == 0}: timestamps need no allocation and never go back. */
    private static final long EPOCH_OFFSET_NANOS = epochNanosNow() - System.nanoTime();

    /** A bound on maxAge that keeps timestamp arithmetic clear of overflow (about 73 years). */
    private static final long MAX_AGE_CAP_NANOS = Long.MAX_VALUE >> 2;

    /** Empty subject indexes kept for reuse before they are forgotten (subjects come and go in work queues). */
    private static final int EMPTY_SUBJECTS_KEPT = 1024;

    private static final CompactionResult NOTHING = CompactionResult.NOTHING;

    private final StreamConfig config;
    private final long maxMsgs;
    private final long maxBytes;
    private final long maxMsgsPerSubject;
    private final long maxMsgSize;
    private final boolean discardNew;
    private final boolean discardNewPerSubject;
    private final long maxAgeNanos;

    private final Lock readLock;
    private final Lock writeLock;
    private final ListenerFanout fanout = new ListenerFanout();
    private final Expiry expiry;

    private final SeqRing ring = new SeqRing();
    private final HashMap<String, SubjectIndex> subjects = new HashMap<>();
    private SubjectIndex[] subjectList = new SubjectIndex[16];
    private int subjectListSize;

    private long msgs;
    private long bytes;
    private long liveSubjects;
    private long bytesWritten;
    private long compactions;
    private long lastTimestamp;
    private volatile boolean closed;

    MemoryStore(final StreamConfig config)
    {
        this.config = config;
        maxMsgs = config.maxMsgs();
        maxBytes = config.maxBytes();
        maxMsgsPerSubject = config.maxMsgsPerSubject();
        maxMsgSize = config.maxMsgSize();
        discardNew = config.discard() == Discard.NEW;
        discardNewPerSubject = config.discardNewPerSubject();
        maxAgeNanos = toNanos(config.maxAge());
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        readLock = lock.readLock();
        writeLock = lock.writeLock();
        expiry = maxAgeNanos > 0 ? new Expiry(this) : null;
    }

    @Override
    public StreamConfig config()
    {
        checkOpen();
        return config;
    }

    @Override
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        checkOpen();
        final int subjectBytes = Subjects.validateSubject(subject);
        Arguments.requireNonNull(payload, "payload");
        final long size = (long)subjectBytes + (headers == null ? 0 : headers.length) + payload.length;
        if (maxMsgSize > 0 && size > maxMsgSize)
        {
            throw new LimitExceededException(LimitExceededException.Limit.MAX_MSG_SIZE, "message of " + size +
                " bytes (subject + headers + payload) exceeds maxMsgSize " + maxMsgSize + " of stream '" +
                config.name() + "'; send a smaller message or raise maxMsgSize");
        }
        if (maxBytes > 0 && size > maxBytes)
        {
            throw new LimitExceededException(LimitExceededException.Limit.MAX_BYTES, "message of " + size +
                " bytes (subject + headers + payload) exceeds maxBytes " + maxBytes + " of stream '" +
                config.name() + "' on its own; send a smaller message or raise maxBytes");
        }
        // Copy before locking: the store owns its bytes, and the lock is held no longer than needed.
        final byte[] ownHeaders = headers == null || headers.length == 0 ? MemoryMessage.EMPTY : headers.clone();
        final byte[] ownPayload = payload.length == 0 ? MemoryMessage.EMPTY : payload.clone();

        writeLock.lock();
        try
        {
            checkOpen();
            final long now = epochNanos();
            if (maxAgeNanos > 0)
            {
                expireLocked(now);
            }
            SubjectIndex index = subjects.get(subject);
            final long evict = admit(index, size);
            for (long i = 0; i < evict; i++)
            {
                removeLocked(ring.get(index.first()), RemovalReason.LIMIT_PER_SUBJECT);
            }
            if (!discardNew)
            {
                while (maxMsgs > 0 && msgs >= maxMsgs)
                {
                    removeLocked(ring.firstMessage(), RemovalReason.LIMIT_MSGS);
                }
                while (maxBytes > 0 && bytes + size > maxBytes)
                {
                    removeLocked(ring.firstMessage(), RemovalReason.LIMIT_BYTES);
                }
            }

            if (index == null)
            {
                index = newSubject(subject, subjectBytes);
            }
            if (index.count() == 0)
            {
                liveSubjects++;
            }
            final long seq = ring.last() + 1;
            final long timestamp = Math.max(now, lastTimestamp);
            lastTimestamp = timestamp;
            ring.append(new MemoryMessage(seq, index.subject, ownHeaders, ownPayload, timestamp, size, index));
            index.add(seq);
            msgs++;
            bytes += size;
            bytesWritten += size;
            fanout.appended(seq, index.subject);
            if (expiry != null && !expiry.armed())
            {
                expiry.arm(ring.firstMessage().timestamp + maxAgeNanos - now);
            }
            sweepEmptySubjectsIfMany();
            return seq;
        }
        finally
        {
            writeLock.unlock();
            fanout.deliver();
        }
    }

    /**
     * Checks the refusing limits for an append of {@code size} bytes on the subject of {@code index}
     * (null for a new subject), changing nothing.
     *
     * @return how many of the subject's oldest messages the append must evict first
     * @throws LimitExceededException when a limit refuses the append
     */
    private long admit(final SubjectIndex index, final long size)
    {
        long evict = 0;
        long evictBytes = 0;
        if (maxMsgsPerSubject > 0 && index != null && index.count() >= maxMsgsPerSubject)
        {
            if (discardNewPerSubject)
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_MSGS_PER_SUBJECT,
                    "subject '" + index.subject + "' already holds maxMsgsPerSubject " + maxMsgsPerSubject +
                    " messages in stream '" + config.name() + "' (discardNewPerSubject); remove one first");
            }
            evict = index.count() - maxMsgsPerSubject + 1;
            for (long i = 0; i < evict; i++)
            {
                evictBytes += ring.get(i == 0 ? index.first() : index.liveAt(i, ring)).size;
            }
        }
        if (discardNew)
        {
            if (maxMsgs > 0 && msgs - evict + 1 > maxMsgs)
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_MSGS,
                    "stream '" + config.name() + "' holds maxMsgs " + maxMsgs + " messages (Discard.NEW); " +
                    "remove messages first or raise maxMsgs");
            }
            if (maxBytes > 0 && bytes - evictBytes + size > maxBytes)
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_BYTES,
                    "stream '" + config.name() + "' holds " + bytes + " of maxBytes " + maxBytes + " bytes, no room " +
                    "for " + size + " more (Discard.NEW); remove messages first or raise maxBytes");
            }
        }
        return evict;
    }

    @Override
    public StoredMessage load(final long seq)
    {
        checkOpen();
        Arguments.requireSequence(seq, "seq");
        while (true)
        {
            readLock.lock();
            try
            {
                checkOpen();
                if (!expiryDueLocked())
                {
                    return ring.get(seq);
                }
            }
            finally
            {
                readLock.unlock();
            }
            expireNow();
        }
    }

    @Override
    public StoredMessage loadNext(final String filter, final long fromSeq)
    {
        checkOpen();
        Subjects.validateFilter(filter);
        Arguments.requireSequence(fromSeq, "fromSeq");
        final boolean literal = Subjects.isLiteral(filter);
        while (true)
        {
            readLock.lock();
            try
            {
                checkOpen();
                if (!expiryDueLocked())
                {
                    return literal ? nextLiteralLocked(filter, fromSeq) : nextMatchingLocked(filter, fromSeq);
                }
            }
            finally
            {
                readLock.unlock();
            }
            expireNow();
        }
    }

    private MemoryMessage nextLiteralLocked(final String subject, final long fromSeq)
    {
        final SubjectIndex index = subjects.get(subject);
        if (index == null)
        {
            return null;
        }
        final long seq = index.nextAtOrAfter(fromSeq, ring);
        return seq == 0 ? null : ring.get(seq);
    }

    /**
     * A wildcard filter: scans the ring from {@code fromSeq} for as many slots as there are subjects (the
     * cheap way when a match is near), then takes the lowest next sequence among the matching subjects'
     * indexes (the cheap way when matches are sparse). Either way the cost is about the smaller of the two.
     */
    private MemoryMessage nextMatchingLocked(final String filter, final long fromSeq)
    {
        final long start = Math.max(fromSeq, ring.first());
        final long last = ring.last();
        if (start > last)
        {
            return null;
        }
        final long budget = 64L + subjectListSize;
        final long scanEnd = last - start < budget ? last : start + budget - 1;
        for (MemoryMessage m = ring.nextLive(start, scanEnd); m != null; m = ring.nextLive(m.seq + 1, scanEnd))
        {
            if (Subjects.matches(filter, m.subject))
            {
                return m;
            }
        }
        if (scanEnd == last)
        {
            return null;
        }
        final long from = scanEnd + 1;
        long best = 0;
        final SubjectIndex[] list = subjectList;
        for (int i = 0, n = subjectListSize; i < n; i++)
        {
            final SubjectIndex index = list[i];
            if (index.count() > 0 && index.last() >= from && (best == 0 || index.first() < best) &&
                Subjects.matches(filter, index.subject))
            {
                final long seq = index.nextAtOrAfter(from, ring);
                if (seq != 0 && (best == 0 || seq < best))
                {
                    best = seq;
                }
            }
        }
        return best == 0 ? null : ring.get(best);
    }

    @Override
    public StoredMessage loadLast(final String subject)
    {
        checkOpen();
        Subjects.validateSubject(subject);
        while (true)
        {
            readLock.lock();
            try
            {
                checkOpen();
                if (!expiryDueLocked())
                {
                    final SubjectIndex index = subjects.get(subject);
                    return index == null || index.count() == 0 ? null : ring.get(index.last());
                }
            }
            finally
            {
                readLock.unlock();
            }
            expireNow();
        }
    }

    @Override
    public boolean remove(final long seq)
    {
        checkOpen();
        Arguments.requireSequence(seq, "seq");
        writeLock.lock();
        try
        {
            checkOpen();
            if (maxAgeNanos > 0)
            {
                expireLocked(epochNanos());
            }
            final MemoryMessage m = ring.get(seq);
            if (m == null)
            {
                return false;
            }
            removeLocked(m, RemovalReason.REMOVED);
            sweepEmptySubjectsIfMany();
            return true;
        }
        finally
        {
            writeLock.unlock();
            fanout.deliver();
        }
    }

    @Override
    public long purge()
    {
        checkOpen();
        writeLock.lock();
        try
        {
            checkOpen();
            final long purged = msgs;
            if (fanout.active())
            {
                final long last = ring.last();
                for (MemoryMessage m = ring.nextLive(1, last); m != null; m = ring.nextLive(m.seq + 1, last))
                {
                    fanout.removed(m.seq, m.subject, RemovalReason.PURGED);
                }
            }
            clearLocked();
            return purged;
        }
        finally
        {
            writeLock.unlock();
            fanout.deliver();
        }
    }

    /**
     * Releases memory held for removed messages: shrinks the ring and the subject indexes to fit, and
     * forgets subjects with no message. Rewrites nothing and so returns {@link CompactionResult#NOTHING};
     * counts in {@link StoreStats#compactions()} only when it released something.
     */
    @Override
    public CompactionResult compact()
    {
        checkOpen();
        writeLock.lock();
        try
        {
            checkOpen();
            boolean released = ring.trim();
            final SubjectIndex[] list = subjectList;
            for (int i = 0, n = subjectListSize; i < n; i++)
            {
                released |= list[i].compact(ring);
            }
            released |= sweepEmptySubjects();
            if (released)
            {
                compactions++;
            }
            fanout.compacted(NOTHING);
            return NOTHING;
        }
        finally
        {
            writeLock.unlock();
            fanout.deliver();
        }
    }

    @Override
    public StreamState state()
    {
        checkOpen();
        while (true)
        {
            readLock.lock();
            try
            {
                checkOpen();
                if (!expiryDueLocked())
                {
                    final long first = ring.first();
                    final long last = ring.last();
                    final long numDeleted = msgs == 0 ? 0 : last - first + 1 - msgs;
                    return new StreamState(msgs, bytes, first, last, numDeleted, liveSubjects);
                }
            }
            finally
            {
                readLock.unlock();
            }
            expireNow();
        }
    }

    @Override
    public SubjectState subjectState(final String subject)
    {
        checkOpen();
        Subjects.validateSubject(subject);
        while (true)
        {
            readLock.lock();
            try
            {
                checkOpen();
                if (!expiryDueLocked())
                {
                    final SubjectIndex index = subjects.get(subject);
                    return index == null || index.count() == 0 ? SubjectState.empty(subject) :
                        new SubjectState(subject, index.count(), index.first(), index.last());
                }
            }
            finally
            {
                readLock.unlock();
            }
            expireNow();
        }
    }

    @Override
    public StoreStats stats()
    {
        checkOpen();
        readLock.lock();
        try
        {
            checkOpen();
            return new StoreStats(bytesWritten, 0, compactions, 0, 0, 0);
        }
        finally
        {
            readLock.unlock();
        }
    }

    /** Nothing to force: a memory store is not durable. Still refuses a closed store. */
    @Override
    public void sync()
    {
        checkOpen();
    }

    @Override
    public void addListener(final StoreListener listener)
    {
        checkOpen();
        fanout.add(Arguments.requireNonNull(listener, "listener"));
    }

    @Override
    public void close()
    {
        writeLock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            if (expiry != null)
            {
                expiry.cancel();
            }
            clearLocked();
        }
        finally
        {
            writeLock.unlock();
        }
    }

    /** Called by {@link Expiry} on the shared scheduler thread. */
    void expireOnTimer()
    {
        writeLock.lock();
        try
        {
            expiry.fired();
            if (closed)
            {
                return;
            }
            final long now = epochNanos();
            expireLocked(now);
            final MemoryMessage oldest = ring.firstMessage();
            if (oldest != null)
            {
                expiry.arm(oldest.timestamp + maxAgeNanos - now);
            }
        }
        finally
        {
            writeLock.unlock();
            fanout.deliver();
        }
    }

    /** True when the oldest message has expired; the caller holds a lock. */
    private boolean expiryDueLocked()
    {
        if (maxAgeNanos == 0)
        {
            return false;
        }
        final MemoryMessage oldest = ring.firstMessage();
        return oldest != null && expired(oldest, epochNanos());
    }

    /** A read found expired messages: remove them (on this thread, which then runs their hooks). */
    private void expireNow()
    {
        writeLock.lock();
        try
        {
            if (!closed)
            {
                expireLocked(epochNanos());
            }
        }
        finally
        {
            writeLock.unlock();
            fanout.deliver();
        }
    }

    private void expireLocked(final long now)
    {
        MemoryMessage oldest;
        while ((oldest = ring.firstMessage()) != null && expired(oldest, now))
        {
            removeLocked(oldest, RemovalReason.LIMIT_AGE);
        }
    }

    private boolean expired(final MemoryMessage m, final long now)
    {
        return now - m.timestamp > maxAgeNanos;
    }

    private void removeLocked(final MemoryMessage m, final RemovalReason reason)
    {
        final long seq = m.seq;
        ring.clear(seq);
        final SubjectIndex index = m.index;
        index.remove(seq, ring);
        if (index.count() == 0)
        {
            liveSubjects--;
        }
        msgs--;
        bytes -= m.size;
        fanout.removed(seq, m.subject, reason);
    }

    private SubjectIndex newSubject(final String subject, final int subjectBytes)
    {
        final SubjectIndex index = new SubjectIndex(subject, subjectBytes);
        subjects.put(subject, index);
        if (subjectListSize == subjectList.length)
        {
            subjectList = Arrays.copyOf(subjectList, subjectListSize << 1);
        }
        subjectList[subjectListSize++] = index;
        return index;
    }

    private void sweepEmptySubjectsIfMany()
    {
        final long empty = subjectListSize - liveSubjects;
        if (empty > EMPTY_SUBJECTS_KEPT && empty > liveSubjects)
        {
            sweepEmptySubjects();
        }
    }

    /** Forgets subjects that hold no message; true when there were any. */
    private boolean sweepEmptySubjects()
    {
        final SubjectIndex[] list = subjectList;
        int kept = 0;
        for (int i = 0, n = subjectListSize; i < n; i++)
        {
            final SubjectIndex index = list[i];
            if (index.count() > 0)
            {
                list[kept++] = index;
            }
            else
            {
                subjects.remove(index.subject);
            }
        }
        final boolean swept = kept < subjectListSize;
        Arrays.fill(list, kept, subjectListSize, null);
        subjectListSize = kept;
        if (list.length > 16 && kept < list.length >>> 2)
        {
            subjectList = Arrays.copyOf(list, Math.max(16, Integer.highestOneBit(Math.max(1, kept)) << 1));
        }
        return swept;
    }

    private void clearLocked()
    {
        ring.clearAll();
        subjects.clear();
        subjectList = new SubjectIndex[16];
        subjectListSize = 0;
        msgs = 0;
        bytes = 0;
        liveSubjects = 0;
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("memory store '" + config.name() + "' is closed; open a new store to go on " +
                "(a memory store keeps nothing across close)");
        }
    }

    static long epochNanos()
    {
        return EPOCH_OFFSET_NANOS + System.nanoTime();
    }

    private static long epochNanosNow()
    {
        final Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static long toNanos(final Duration maxAge)
    {
        if (maxAge.isZero())
        {
            return 0;
        }
        return maxAge.compareTo(Duration.ofNanos(MAX_AGE_CAP_NANOS)) >= 0 ? MAX_AGE_CAP_NANOS : maxAge.toNanos();
    }

    /** The sequence ring, for white-box tests only. */
    SeqRing ringForTests()
    {
        return ring;
    }

    @Override
    public String toString()
    {
        return "MemoryStore{" + config.name() + (closed ? ", closed}" : "}");
    }
}
