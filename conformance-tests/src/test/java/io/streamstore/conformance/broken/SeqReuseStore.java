package io.streamstore.conformance.broken;

import io.streamstore.conformance.TestMessage;
import io.streamstore.spi.Arguments;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;

/**
 * Restarts sequences at 1 after a purge, as a store that derives its next sequence from the messages it
 * holds would: every sequence it shows is the inner store's minus the inner {@code lastSeq} at the last purge.
 */
final class SeqReuseStore extends ForwardingStore
{
    private volatile long offset;

    SeqReuseStore(final StreamStore inner)
    {
        super(inner);
    }

    private StoredMessage outward(final StoredMessage m)
    {
        return m == null ? null : new TestMessage(m.seq() - offset, m.subject(), m.headers(), m.payload(), m.timestamp());
    }

    private long inward(final long seq)
    {
        return seq > Long.MAX_VALUE - offset ? Long.MAX_VALUE : seq + offset;
    }

    @Override
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        return inner.append(subject, headers, payload) - offset;
    }

    @Override
    public StoredMessage load(final long seq)
    {
        Arguments.requireSequence(seq, "seq");
        return outward(inner.load(inward(seq)));
    }

    @Override
    public StoredMessage loadNext(final String filter, final long fromSeq)
    {
        Arguments.requireSequence(fromSeq, "fromSeq");
        return outward(inner.loadNext(filter, inward(fromSeq)));
    }

    @Override
    public StoredMessage loadLast(final String subject)
    {
        return outward(inner.loadLast(subject));
    }

    @Override
    public boolean remove(final long seq)
    {
        Arguments.requireSequence(seq, "seq");
        return inner.remove(inward(seq));
    }

    @Override
    public synchronized long purge()
    {
        final long purged = inner.purge();
        offset = inner.state().lastSeq(); // the bug: forget the sequences handed out so far
        return purged;
    }

    @Override
    public StreamState state()
    {
        final StreamState s = inner.state();
        return new StreamState(s.msgs(), s.bytes(), s.firstSeq() - offset, s.lastSeq() - offset, s.numDeleted(),
            s.numSubjects());
    }

    @Override
    public SubjectState subjectState(final String subject)
    {
        final SubjectState s = inner.subjectState(subject);
        return s.msgs() == 0 ? s : new SubjectState(s.subject(), s.msgs(), s.firstSeq() - offset, s.lastSeq() - offset);
    }

    @Override
    public void addListener(final StoreListener listener)
    {
        Arguments.requireNonNull(listener, "listener");
        inner.addListener(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                listener.onAppended(seq - offset, subject);
            }

            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                listener.onRemoved(seq - offset, subject, reason);
            }

            @Override
            public void onCompacted(final io.streamstore.spi.CompactionResult result)
            {
                listener.onCompacted(result);
            }

            @Override
            public void onDurable(final long upToSeq)
            {
                listener.onDurable(upToSeq - offset);
            }
        });
    }
}
