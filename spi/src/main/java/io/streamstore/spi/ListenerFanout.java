package io.streamstore.spi;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Delivers a store's hooks in the order of its changes, each on the thread that made the change,
 * however many threads change the store at once: the listener rule of the SPI, written once.
 *
 * <p>How a backend uses it:
 * <ol>
 *   <li>while it holds the lock that orders its changes, it records each change's events
 *       ({@link #appended}, {@link #removed}, {@link #compacted}, {@link #durable});</li>
 *   <li>after releasing that lock, and after the change is durable where the sync policy says so, it
 *       calls {@link #deliver()} (in a {@code finally}, or {@link #discardPending()} if the change failed;
 *       {@link #finish(boolean)} does either).</li>
 * </ol>
 * {@code deliver()} runs the calling thread's events once every earlier event, of any thread, has run.
 * A hook that changes the store from inside a hook does not wait: its events run after the current
 * hook returns, on the same thread. An exception from a hook is logged and the next hook runs.
 *
 * <p>With no listener added, recording and delivering cost one volatile read each.
 */
public final class ListenerFanout
{
    private static final System.Logger LOG = System.getLogger(ListenerFanout.class.getName());

    private static final int APPENDED = 1;
    private static final int REMOVED = 2;
    private static final int COMPACTED = 3;
    private static final int DURABLE = 4;

    private final CopyOnWriteArrayList<StoreListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean active;

    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Event> queue = new ArrayDeque<>();
    private Thread deliverer;

    private record Event(int kind, long seq, String subject, RemovalReason reason, CompactionResult result, Thread owner)
    {
    }

    /**
     * Adds a listener; it sees changes recorded from now on.
     *
     * @throws IllegalArgumentException if {@code listener} is null
     */
    public void add(final StoreListener listener)
    {
        listeners.add(Arguments.requireNonNull(listener, "listener"));
        active = true;
    }

    /** True when at least one listener was added, so a store may skip building events when false. */
    public boolean active()
    {
        return active;
    }

    /** Records that {@code seq} was appended on {@code subject}. Call under the store's change lock. */
    public void appended(final long seq, final String subject)
    {
        record(APPENDED, seq, subject, null, null);
    }

    /** Records that {@code seq} left the store. Call under the store's change lock. */
    public void removed(final long seq, final String subject, final RemovalReason reason)
    {
        record(REMOVED, seq, subject, reason, null);
    }

    /** Records a finished compaction. Call under the store's change lock. */
    public void compacted(final CompactionResult result)
    {
        record(COMPACTED, 0, null, null, result);
    }

    /** Records that every change up to {@code upToSeq} is durable. */
    public void durable(final long upToSeq)
    {
        record(DURABLE, upToSeq, null, null, null);
    }

    private void record(final int kind, final long seq, final String subject, final RemovalReason reason,
        final CompactionResult result)
    {
        if (!active)
        {
            return;
        }
        final Event event = new Event(kind, seq, subject, reason, result, Thread.currentThread());
        lock.lock();
        try
        {
            queue.addLast(event);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Runs the calling thread's recorded events, in order, once all earlier events have run. Returns at
     * once when called from inside a hook (the outer call runs the new events).
     */
    public void deliver()
    {
        if (!active)
        {
            return;
        }
        final Thread me = Thread.currentThread();
        lock.lock();
        try
        {
            if (deliverer == me)
            {
                return;
            }
            while (true)
            {
                final Event head = queue.peekFirst();
                if (head == null)
                {
                    return;
                }
                if (head.owner != me || deliverer != null)
                {
                    if (!ownsAny(me))
                    {
                        return;
                    }
                    // Woken by whoever makes our event the head; a stray or early wake-up just loops.
                    lock.unlock();
                    LockSupport.park(this);
                    lock.lock();
                    continue;
                }
                deliverer = me;
                boolean completed = false;
                lock.unlock();
                try
                {
                    dispatch(head);
                    completed = true;
                }
                finally
                {
                    lock.lock();
                    queue.pollFirst();
                    deliverer = null;
                    if (!completed)
                    {
                        dropOwnedBy(me);
                    }
                    wakeHeadOwner(me);
                }
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Ends a change in a store's {@code finally}: {@link #deliver()} when it took effect (and is durable where
     * the sync policy says so), else {@link #discardPending()}.
     */
    public void finish(final boolean changeTookEffect)
    {
        if (changeTookEffect)
        {
            deliver();
        }
        else
        {
            discardPending();
        }
    }

    /** Drops the calling thread's undelivered events: the change they report did not take effect. */
    public void discardPending()
    {
        if (!active)
        {
            return;
        }
        lock.lock();
        try
        {
            if (deliverer != Thread.currentThread())
            {
                dropOwnedBy(Thread.currentThread());
                wakeHeadOwner(Thread.currentThread());
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Wakes only the thread whose event is next, rather than every waiter: with many writers a broadcast
     * costs a futex storm per event. An owner not yet waiting keeps the permit and does not park.
     */
    private void wakeHeadOwner(final Thread me)
    {
        final Event next = queue.peekFirst();
        if (next != null && next.owner != me)
        {
            LockSupport.unpark(next.owner);
        }
    }

    private boolean ownsAny(final Thread me)
    {
        for (final Event e : queue)
        {
            if (e.owner == me)
            {
                return true;
            }
        }
        return false;
    }

    private void dropOwnedBy(final Thread me)
    {
        for (final Iterator<Event> it = queue.iterator(); it.hasNext(); )
        {
            if (it.next().owner == me)
            {
                it.remove();
            }
        }
    }

    private void dispatch(final Event e)
    {
        for (final StoreListener listener : listeners)
        {
            try
            {
                switch (e.kind)
                {
                    case APPENDED -> listener.onAppended(e.seq, e.subject);
                    case REMOVED -> listener.onRemoved(e.seq, e.subject, e.reason);
                    case COMPACTED -> listener.onCompacted(e.result);
                    case DURABLE -> listener.onDurable(e.seq);
                    default -> throw new IllegalStateException("unknown event kind " + e.kind);
                }
            }
            catch (final RuntimeException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "store listener " + listener + " threw; the change stands", ex);
            }
        }
    }
}
