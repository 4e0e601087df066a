package io.streamstore.conformance.broken;

import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;

/** Hands every call to a correct store; each broken backend overrides the calls it breaks. */
abstract class ForwardingStore implements StreamStore
{
    final StreamStore inner;
    private volatile boolean closed;

    ForwardingStore(final StreamStore inner)
    {
        this.inner = inner;
    }

    void checkOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("store is closed");
        }
    }

    @Override
    public StreamConfig config()
    {
        return inner.config();
    }

    @Override
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        return inner.append(subject, headers, payload);
    }

    @Override
    public StoredMessage load(final long seq)
    {
        return inner.load(seq);
    }

    @Override
    public StoredMessage loadNext(final String filter, final long fromSeq)
    {
        return inner.loadNext(filter, fromSeq);
    }

    @Override
    public StoredMessage loadLast(final String subject)
    {
        return inner.loadLast(subject);
    }

    @Override
    public boolean remove(final long seq)
    {
        return inner.remove(seq);
    }

    @Override
    public long purge()
    {
        return inner.purge();
    }

    @Override
    public CompactionResult compact()
    {
        return inner.compact();
    }

    @Override
    public StreamState state()
    {
        return inner.state();
    }

    @Override
    public SubjectState subjectState(final String subject)
    {
        return inner.subjectState(subject);
    }

    @Override
    public StoreStats stats()
    {
        return inner.stats();
    }

    @Override
    public RecoveryReport recoveryReport()
    {
        return inner.recoveryReport();
    }

    @Override
    public void sync()
    {
        inner.sync();
    }

    @Override
    public void addListener(final StoreListener listener)
    {
        inner.addListener(listener);
    }

    @Override
    public void close()
    {
        closed = true;
        inner.close();
    }
}
