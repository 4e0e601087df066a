package io.streamstore.conformance.broken;

import io.streamstore.spi.Arguments;
import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamStore;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * NATS 2.10.17 bug #2 (nats-server#5702, fixed by #5761): the ack reply went out before the message was
 * removed. Here {@code onRemoved(…, REMOVED)} runs before the removal is made, so a republish from the hook
 * still sees the old message under a one-per-subject limit.
 */
final class EarlyAckStore extends ForwardingStore
{
    private final CopyOnWriteArrayList<StoreListener> listeners = new CopyOnWriteArrayList<>();

    EarlyAckStore(final StreamStore inner)
    {
        super(inner);
        inner.addListener(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                each(l -> l.onAppended(seq, subject));
            }

            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                if (reason != RemovalReason.REMOVED)
                {
                    each(l -> l.onRemoved(seq, subject, reason));
                }
            }

            @Override
            public void onCompacted(final CompactionResult result)
            {
                each(l -> l.onCompacted(result));
            }

            @Override
            public void onDurable(final long upToSeq)
            {
                each(l -> l.onDurable(upToSeq));
            }
        });
    }

    @Override
    public boolean remove(final long seq)
    {
        final StoredMessage message = inner.load(seq);
        if (message != null)
        {
            // The bug: the ack-commit hook runs before the removal it reports.
            each(l -> l.onRemoved(seq, message.subject(), RemovalReason.REMOVED));
        }
        return inner.remove(seq);
    }

    private void each(final java.util.function.Consumer<StoreListener> hook)
    {
        for (final StoreListener l : listeners)
        {
            try
            {
                hook.accept(l);
            }
            catch (final RuntimeException ignore)
            {
                // a hook's exception never undoes the change, nor keeps the other listeners from running
            }
        }
    }

    @Override
    public void addListener(final StoreListener listener)
    {
        checkOpen();
        listeners.add(Arguments.requireNonNull(listener, "listener"));
    }
}
