package io.streamstore.conformance.broken;

import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.Subjects;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * NATS 2.10.17 bug #1 (nats-server#5702, fixed by #5719): tombstone bytes were not counted, so a block's
 * dead-byte test stayed true and the store rewrote a whole 4 MiB block on almost every remove.
 *
 * <p>This wrapper lays the inner store's sequences out in notional 4 MiB blocks (by appended bytes) and,
 * on every successful remove from a block other than the newest (which NATS never compacted inline),
 * really copies the live messages of the removed message's block into a scratch buffer, counting them in {@code bytesWritten}, {@code bytesCompacted} and {@code compactions}, as
 * the broken file store did. It counts appended records in {@code bytesWritten} and no tombstone bytes.
 */
final class OverCompactionStore extends ForwardingStore
{
    static final int BLOCK_SIZE = 4 * 1024 * 1024;

    /** First sequence of each notional block, mapped to its last (Long.MAX_VALUE while it is the newest). */
    private final TreeMap<Long, Long> blocks = new TreeMap<>();
    private long newestBlockStart;
    private long newestBlockBytes;
    private final ByteBuffer scratch = ByteBuffer.allocate(BLOCK_SIZE);

    private long written;
    private long compacted;
    private long compactions;

    OverCompactionStore(final StreamStore inner)
    {
        super(inner);
    }

    @Override
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        final long seq = inner.append(subject, headers, payload);
        final long size = Subjects.utf8Length(subject) + (headers == null ? 0L : headers.length) + payload.length;
        synchronized (this)
        {
            if (blocks.isEmpty() || (newestBlockBytes + size > BLOCK_SIZE && seq > newestBlockStart))
            {
                if (!blocks.isEmpty())
                {
                    blocks.put(newestBlockStart, seq - 1);
                }
                newestBlockStart = seq;
                newestBlockBytes = 0;
                blocks.put(seq, Long.MAX_VALUE);
            }
            newestBlockBytes += size;
            written += size;
        }
        return seq;
    }

    @Override
    public boolean remove(final long seq)
    {
        final boolean removed = inner.remove(seq);
        if (removed)
        {
            rewriteBlockOf(seq);
        }
        return removed;
    }

    /** The bug: "the block has dead bytes" is always true, so every remove rewrites its whole block. */
    private synchronized void rewriteBlockOf(final long seq)
    {
        final Map.Entry<Long, Long> block = blocks.floorEntry(seq);
        if (block == null || block.getValue() == Long.MAX_VALUE)
        {
            return; // as in NATS, the block being written is never compacted inline
        }
        scratch.clear();
        long copied = 0;
        for (StoredMessage m = inner.loadNext(Subjects.ALL, block.getKey()); m != null && m.seq() <= block.getValue();
            m = inner.loadNext(Subjects.ALL, m.seq() + 1))
        {
            final byte[] subject = m.subject().getBytes(StandardCharsets.UTF_8);
            final int size = subject.length + m.headers().length + m.payload().length;
            if (scratch.remaining() < size)
            {
                scratch.clear();
            }
            if (size <= scratch.capacity())
            {
                scratch.put(subject).put(m.headers()).put(m.payload());
            }
            copied += size;
        }
        if (copied > 0)
        {
            written += copied;
            compacted += copied;
            compactions++;
        }
    }

    @Override
    public synchronized StoreStats stats()
    {
        final StoreStats s = inner.stats();
        return new StoreStats(s.bytesWritten() + written, s.bytesOnDisk(), s.compactions() + compactions,
            s.bytesCompacted() + compacted, s.tombstones(), s.syncs(), s.recoveryBytesCut(), s.recoveryRecordsLost());
    }
}
