package io.streamstore.memstore;

import io.streamstore.spi.StoreFullException;

/**
 * Messages by sequence: a power-of-two ring of slots indexed by {@code seq & mask}, covering every
 * sequence from {@link #first()} to {@link #last()}. Sequences are dense and only grow, so a ring beats
 * any hash map here: a lookup is one mask and one array load, and the work-queue pattern (remove the
 * oldest, append one) touches two slots and never moves anything.
 *
 * <pre>
 *   slot:   0     1     2     3     4     5     6     7        capacity 8, mask 7
 *         | 8  | 9  | -- | 11 | 4  | -- | 6  | 7  |         first 4, last 11, '--' removed
 * </pre>
 *
 * <p>The ring doubles when an append would need more than its capacity between first and last, and
 * halves (or more) when the span from first to last falls to an eighth of it, so a drained stream gives
 * its memory back. Removing the first message advances {@code first} past every removed slot after it,
 * so {@code first} is always the lowest live sequence, or {@code last + 1} when the ring is empty.
 *
 * <p>Not thread-safe: the store guards it with its lock.
 */
final class SeqRing
{
    static final int MIN_CAPACITY = 16;
    static final int MAX_CAPACITY = 1 << 30;

    private MemoryMessage[] slots = new MemoryMessage[MIN_CAPACITY];
    private int mask = MIN_CAPACITY - 1;
    private long first = 1;
    private long last;

    /** The lowest live sequence, or {@code last() + 1} when empty. */
    long first()
    {
        return first;
    }

    /** The highest sequence ever appended, 0 before the first. */
    long last()
    {
        return last;
    }

    boolean isEmpty()
    {
        return first > last;
    }

    int capacity()
    {
        return slots.length;
    }

    /** The live message under {@code seq}, or null. */
    MemoryMessage get(final long seq)
    {
        if (seq < first || seq > last)
        {
            return null;
        }
        return slots[(int)seq & mask];
    }

    /** The live message with the lowest sequence, or null when empty. */
    MemoryMessage firstMessage()
    {
        return first > last ? null : slots[(int)first & mask];
    }

    /** Stores {@code message}, whose sequence must be {@code last() + 1}. */
    void append(final MemoryMessage message)
    {
        final long seq = message.seq;
        if (seq != last + 1)
        {
            throw new IllegalStateException("ring expected sequence " + (last + 1) + " but got " + seq);
        }
        if (seq - first >= slots.length)
        {
            if (slots.length >= MAX_CAPACITY)
            {
                throw new StoreFullException("a memory store holds at most " + MAX_CAPACITY +
                    " sequences between its oldest live message (" + first + ") and its newest; remove or purge old " +
                    "messages, or set maxMsgs", null);
            }
            resize(slots.length << 1);
        }
        slots[(int)seq & mask] = message;
        last = seq;
    }

    /** Empties the slot of a live {@code seq}; moves {@code first} on when it was the first. */
    void clear(final long seq)
    {
        slots[(int)seq & mask] = null;
        if (seq == first)
        {
            long f = seq + 1;
            final long l = last;
            while (f <= l && slots[(int)f & mask] == null)
            {
                f++;
            }
            first = f;
            final int capacity = slots.length;
            if (capacity > MIN_CAPACITY && l - f + 1 <= capacity >>> 3)
            {
                resize(fitting(l - f + 1));
            }
        }
    }

    /** Drops every message; {@code last} stays, so the next append goes on from it. */
    void clearAll()
    {
        slots = new MemoryMessage[MIN_CAPACITY];
        mask = MIN_CAPACITY - 1;
        first = last + 1;
    }

    /**
     * Shrinks the ring to a quarter full if it is emptier than that.
     *
     * @return true when it released memory
     */
    boolean trim()
    {
        final int wanted = fitting(last - first + 1);
        if (wanted < slots.length)
        {
            resize(wanted);
            return true;
        }
        return false;
    }

    private static int fitting(final long span)
    {
        long capacity = MIN_CAPACITY;
        while (capacity < span << 2)
        {
            capacity <<= 1;
        }
        return (int)Math.min(capacity, MAX_CAPACITY);
    }

    private void resize(final int newCapacity)
    {
        if (last - first + 1 > newCapacity)
        {
            throw new IllegalStateException("a memory store holds at most " + newCapacity +
                " sequences between its first live message and its last; remove or purge old messages");
        }
        final MemoryMessage[] old = slots;
        final int oldMask = mask;
        final MemoryMessage[] fresh = new MemoryMessage[newCapacity];
        final int newMask = newCapacity - 1;
        for (long s = first; s <= last; s++)
        {
            fresh[(int)s & newMask] = old[(int)s & oldMask];
        }
        slots = fresh;
        mask = newMask;
    }
}
