package io.streamstore.memstore;

import io.streamstore.spi.StoreFullException;

import java.util.Arrays;

/**
 * Messages by sequence: a power-of-two ring of slots indexed by {@code seq & mask}, plus a sorted
 * side table for the few old messages that would otherwise pin a huge ring. Sequences are dense and
 * only grow, so a ring beats any hash map here: a lookup is one mask and one array load, and the
 * work-queue pattern (remove the oldest, append one) touches two slots and never moves anything.
 *
 * <pre>
 *   ring, capacity 8, mask 7, covering ringFirst 4 .. last 11 ('--' = removed)
 *   slot:   0     1     2     3     4     5     6     7
 *         | 8  | 9  | -- | 11 | 4  | -- | 6  | 7  |
 *
 *   sparse side table, ascending, for live sequences below ringFirst ('--' = removed)
 *   seqs:   | 1  | 2  | 3  |          msgs: | m1 | -- | m3 |
 * </pre>
 *
 * <p>The ring doubles when an append would need more than its capacity between {@code ringFirst} and
 * {@code last}; but when fewer than a quarter of its slots are live (say one unacknowledged message
 * followed by millions that came and went), it instead moves the live messages of its older half into
 * the sparse table, so memory follows the live count, not the sequence span. It shrinks when the span
 * falls to an eighth of it, so a drained stream gives its memory back. Removing the first message of the
 * ring advances {@code ringFirst} past every removed slot after it, so {@link #first()} is always the
 * lowest live sequence, or {@code last + 1} when empty. The sparse table drops removed entries from its
 * head at once and compacts once they outnumber live ones.
 *
 * <p>Not thread-safe: the store guards it with its lock. Reads never change it.
 */
final class SeqRing
{
    static final int MIN_CAPACITY = 16;
    static final int MAX_CAPACITY = 1 << 30;
    /** Below this capacity growing is cheaper than spilling to the sparse table. */
    static final int MIN_CAPACITY_TO_SPILL = 1024;
    private static final int MIN_DEAD_TO_COMPACT = 16;

    private MemoryMessage[] slots = new MemoryMessage[MIN_CAPACITY];
    private int mask = MIN_CAPACITY - 1;
    private long ringFirst = 1;
    private long last;
    private long ringLive;

    private long[] sparseSeqs = new long[0];
    private MemoryMessage[] sparseMsgs = new MemoryMessage[0];
    private int sparseHead;
    private int sparseEnd;
    private int sparseLive;
    private long spills;

    /** The lowest live sequence, or {@code last() + 1} when empty. */
    long first()
    {
        return sparseLive > 0 ? sparseSeqs[sparseHead] : ringFirst;
    }

    /** The highest sequence ever appended, 0 before the first. */
    long last()
    {
        return last;
    }

    boolean isEmpty()
    {
        return sparseLive == 0 && ringFirst > last;
    }

    int capacity()
    {
        return slots.length;
    }

    /** How often the ring moved old messages to the sparse table (for tests). */
    long spills()
    {
        return spills;
    }

    /** Live messages held in the sparse side table (for tests). */
    int sparseCount()
    {
        return sparseLive;
    }

    /** The live message under {@code seq}, or null. */
    MemoryMessage get(final long seq)
    {
        if (seq >= ringFirst)
        {
            return seq <= last ? slots[(int)seq & mask] : null;
        }
        if (sparseLive == 0)
        {
            return null;
        }
        final int i = sparseIndexOf(seq);
        return i >= 0 ? sparseMsgs[i] : null;
    }

    /** The live message with the lowest sequence, or null when empty. */
    MemoryMessage firstMessage()
    {
        if (sparseLive > 0)
        {
            return sparseMsgs[sparseHead];
        }
        return ringFirst > last ? null : slots[(int)ringFirst & mask];
    }

    /** The live message with the lowest sequence in {@code fromSeq .. toSeq}, or null. */
    MemoryMessage nextLive(final long fromSeq, final long toSeq)
    {
        long seq = fromSeq;
        if (seq < ringFirst && sparseLive > 0)
        {
            final int end = sparseEnd;
            for (int i = sparseLowerBound(seq); i < end; i++)
            {
                final MemoryMessage m = sparseMsgs[i];
                if (m != null)
                {
                    return m.seq <= toSeq ? m : null;
                }
            }
        }
        seq = Math.max(seq, ringFirst);
        final long end = Math.min(toSeq, last);
        for (; seq <= end; seq++)
        {
            final MemoryMessage m = slots[(int)seq & mask];
            if (m != null)
            {
                return m;
            }
        }
        return null;
    }

    /** Stores {@code message}, whose sequence must be {@code last() + 1}. */
    void append(final MemoryMessage message)
    {
        final long seq = message.seq;
        if (seq != last + 1)
        {
            throw new IllegalStateException("ring expected sequence " + (last + 1) + " but got " + seq);
        }
        if (seq - ringFirst >= slots.length)
        {
            makeRoomFor(seq);
        }
        slots[(int)seq & mask] = message;
        last = seq;
        ringLive++;
    }

    /** Empties the slot of a live {@code seq}; moves the first sequence on when it was the first. */
    void clear(final long seq)
    {
        if (seq < ringFirst)
        {
            clearSparse(seq);
            return;
        }
        slots[(int)seq & mask] = null;
        ringLive--;
        if (seq == ringFirst)
        {
            long f = seq + 1;
            final long l = last;
            while (f <= l && slots[(int)f & mask] == null)
            {
                f++;
            }
            ringFirst = f;
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
        ringFirst = last + 1;
        ringLive = 0;
        resetSparse();
    }

    /**
     * Shrinks the ring to a quarter full and the sparse table to fit, if they are emptier than that.
     *
     * @return true when it released memory
     */
    boolean trim()
    {
        boolean trimmed = false;
        final int wanted = fitting(last - ringFirst + 1);
        if (wanted < slots.length)
        {
            resize(wanted);
            trimmed = true;
        }
        if (sparseLive > 0 && (sparseEnd - sparseHead > sparseLive || sparseCapacityFor(sparseLive) < sparseSeqs.length))
        {
            compactSparse();
            trimmed = true;
        }
        return trimmed;
    }

    private void makeRoomFor(final long seq)
    {
        final int capacity = slots.length;
        if (capacity >= MIN_CAPACITY_TO_SPILL && ringLive < capacity >>> 2)
        {
            spill(seq - (capacity >>> 1));
        }
        if (seq - ringFirst >= slots.length)
        {
            if (slots.length >= MAX_CAPACITY)
            {
                throw new StoreFullException("a memory store holds at most " + MAX_CAPACITY +
                    " sequences between its oldest live message (" + first() + ") and its newest; remove or purge " +
                    "old messages, or set maxMsgs", null);
            }
            resize(slots.length << 1);
        }
    }

    /** Moves the ring's live messages below {@code cut} to the sparse table; the ring then starts at cut. */
    private void spill(final long cut)
    {
        spills++;
        for (long s = ringFirst; s < cut; s++)
        {
            final int slot = (int)s & mask;
            final MemoryMessage m = slots[slot];
            if (m != null)
            {
                addSparse(m);
                slots[slot] = null;
                ringLive--;
            }
        }
        long f = cut;
        while (f <= last && slots[(int)f & mask] == null)
        {
            f++;
        }
        ringFirst = f;
    }

    private void addSparse(final MemoryMessage m)
    {
        if (sparseEnd == sparseSeqs.length)
        {
            compactSparse();
            if (sparseEnd == sparseSeqs.length)
            {
                final int grown = Math.max(MIN_CAPACITY, sparseSeqs.length << 1);
                sparseSeqs = Arrays.copyOf(sparseSeqs, grown);
                sparseMsgs = Arrays.copyOf(sparseMsgs, grown);
            }
        }
        sparseSeqs[sparseEnd] = m.seq;
        sparseMsgs[sparseEnd] = m;
        sparseEnd++;
        sparseLive++;
    }

    private void clearSparse(final long seq)
    {
        final int i = sparseIndexOf(seq);
        if (i < 0 || sparseMsgs[i] == null)
        {
            return;
        }
        sparseMsgs[i] = null;
        if (--sparseLive == 0)
        {
            resetSparse();
            return;
        }
        if (i == sparseHead)
        {
            int h = i + 1;
            while (sparseMsgs[h] == null)
            {
                h++;
            }
            sparseHead = h;
        }
        final int dead = sparseEnd - sparseHead - sparseLive;
        if (dead >= MIN_DEAD_TO_COMPACT && dead > sparseLive)
        {
            compactSparse();
        }
    }

    /** Squeezes removed entries out of the sparse table and fits its arrays to about twice the live count. */
    private void compactSparse()
    {
        final int capacity = sparseCapacityFor(sparseLive);
        final long[] seqs = new long[capacity];
        final MemoryMessage[] msgs = new MemoryMessage[capacity];
        int n = 0;
        for (int i = sparseHead; i < sparseEnd; i++)
        {
            final MemoryMessage m = sparseMsgs[i];
            if (m != null)
            {
                seqs[n] = m.seq;
                msgs[n] = m;
                n++;
            }
        }
        sparseSeqs = seqs;
        sparseMsgs = msgs;
        sparseHead = 0;
        sparseEnd = n;
    }

    private static int sparseCapacityFor(final int live)
    {
        return Math.max(MIN_CAPACITY, Integer.highestOneBit(Math.max(1, live)) << 1);
    }

    private void resetSparse()
    {
        sparseSeqs = new long[0];
        sparseMsgs = new MemoryMessage[0];
        sparseHead = 0;
        sparseEnd = 0;
        sparseLive = 0;
    }

    /** The index of {@code seq} in the sparse table, or -1. */
    private int sparseIndexOf(final long seq)
    {
        final int i = sparseLowerBound(seq);
        return i < sparseEnd && sparseSeqs[i] == seq ? i : -1;
    }

    /** The first index in the sparse table whose sequence is {@code >= seq}. */
    private int sparseLowerBound(final long seq)
    {
        int lo = sparseHead;
        int hi = sparseEnd;
        while (lo < hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (sparseSeqs[mid] < seq)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
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
        final MemoryMessage[] old = slots;
        final int oldMask = mask;
        final MemoryMessage[] fresh = new MemoryMessage[newCapacity];
        final int newMask = newCapacity - 1;
        for (long s = ringFirst; s <= last; s++)
        {
            fresh[(int)s & newMask] = old[(int)s & oldMask];
        }
        slots = fresh;
        mask = newMask;
    }
}
