package io.streamstore.conformance;

import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;

import java.util.ArrayList;
import java.util.List;

/** A listener that keeps every hook call, with the thread it ran on, in the order the hooks ran. */
final class HookRecorder implements StoreListener
{
    enum Kind
    {
        APPENDED, REMOVED, COMPACTED
    }

    record Event(Kind kind, long seq, String subject, RemovalReason reason, Thread thread)
    {
        @Override
        public String toString()
        {
            return kind + "(" + seq + (subject == null ? "" : ", " + subject) + (reason == null ? "" : ", " + reason) + ")";
        }

        /** Equal ignoring the thread, to compare what two listeners saw. */
        String key()
        {
            return toString();
        }
    }

    private final List<Event> events = new ArrayList<>();
    private final List<Long> durable = new ArrayList<>();

    @Override
    public synchronized void onAppended(final long seq, final String subject)
    {
        events.add(new Event(Kind.APPENDED, seq, subject, null, Thread.currentThread()));
    }

    @Override
    public synchronized void onRemoved(final long seq, final String subject, final RemovalReason reason)
    {
        events.add(new Event(Kind.REMOVED, seq, subject, reason, Thread.currentThread()));
    }

    @Override
    public synchronized void onCompacted(final CompactionResult result)
    {
        events.add(new Event(Kind.COMPACTED, 0, null, null, Thread.currentThread()));
    }

    @Override
    public synchronized void onDurable(final long upToSeq)
    {
        durable.add(upToSeq);
        notifyAll();
    }

    /** The upToSeq of every onDurable call, in order (kept apart: durable stores call it in the background). */
    synchronized List<Long> durable()
    {
        return new ArrayList<>(durable);
    }

    /** Waits until onDurable reported {@code seq} or more; false on timeout. */
    synchronized boolean awaitDurable(final long seq, final long timeoutMillis) throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (durable.isEmpty() || durable.get(durable.size() - 1) < seq)
        {
            final long left = deadline - System.currentTimeMillis();
            if (left <= 0)
            {
                return false;
            }
            wait(left);
        }
        return true;
    }

    synchronized List<Event> events()
    {
        return new ArrayList<>(events);
    }

    synchronized List<Event> events(final Kind kind)
    {
        final List<Event> result = new ArrayList<>();
        for (final Event e : events)
        {
            if (e.kind() == kind)
            {
                result.add(e);
            }
        }
        return result;
    }

    synchronized List<Event> changes()
    {
        final List<Event> result = new ArrayList<>();
        for (final Event e : events)
        {
            if (e.kind() != Kind.COMPACTED)
            {
                result.add(e);
            }
        }
        return result;
    }

    synchronized void clear()
    {
        events.clear();
    }
}
