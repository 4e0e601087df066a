package io.streamstore.memstore;

/**
 * The live sequences of one subject, oldest first, so that {@code loadNext(subject)}, {@code loadLast},
 * {@code subjectState} and the per-subject limit never look at another subject's messages.
 *
 * <p>A ring deque of primitive longs, ascending because sequences only grow. Removing the oldest or the
 * newest entry pops it (and any removed entries it uncovers), so the head and the tail are always live
 * and {@link #first()} / {@link #last()} are exact. Removing an entry in the middle only lowers the
 * live count: the entry stays as a dead entry, recognised later by its ring slot being empty, until dead
 * entries outnumber live ones and {@link #compact} squeezes them out. That keeps each removal O(1)
 * amortised and the deque at most about twice the live count.
 *
 * <p>Not thread-safe: the store guards it with its lock. Reads never change it.
 */
final class SubjectIndex
{
    static final int MIN_CAPACITY = 4;
    private static final int MIN_DEAD_TO_COMPACT = 16;

    final String subject;
    final int subjectBytes;

    private long[] seqs = new long[MIN_CAPACITY];
    private int mask = MIN_CAPACITY - 1;
    private int head;
    private int size;
    private long count;

    SubjectIndex(final String subject, final int subjectBytes)
    {
        this.subject = subject;
        this.subjectBytes = subjectBytes;
    }

    /** Live messages on the subject. */
    long count()
    {
        return count;
    }

    /** Entries held, dead ones included (for tests and trimming). */
    int entries()
    {
        return size;
    }

    int capacity()
    {
        return seqs.length;
    }

    /** The oldest live sequence; only meaningful when {@link #count()} &gt; 0. */
    long first()
    {
        return seqs[head];
    }

    /** The newest live sequence; only meaningful when {@link #count()} &gt; 0. */
    long last()
    {
        return seqs[(head + size - 1) & mask];
    }

    /** Adds {@code seq}, which is higher than every sequence added before. */
    void add(final long seq)
    {
        if (size == seqs.length)
        {
            resize(seqs.length << 1);
        }
        seqs[(head + size) & mask] = seq;
        size++;
        count++;
    }

    /**
     * Forgets {@code seq}, a live entry whose ring slot the caller has already emptied.
     *
     * @param ring tells live entries from dead ones
     */
    void remove(final long seq, final SeqRing ring)
    {
        if (--count == 0)
        {
            head = 0;
            size = 0;
            if (seqs.length > MIN_CAPACITY << 3)
            {
                seqs = new long[MIN_CAPACITY];
                mask = MIN_CAPACITY - 1;
            }
            return;
        }
        if (seq == seqs[head])
        {
            do
            {
                head = (head + 1) & mask;
                size--;
            }
            while (ring.get(seqs[head]) == null);
            if (seqs.length > MIN_CAPACITY << 4 && size <= seqs.length >>> 3)
            {
                resize(capacityFor(size));
            }
        }
        else if (seq == seqs[(head + size - 1) & mask])
        {
            do
            {
                size--;
            }
            while (ring.get(seqs[(head + size - 1) & mask]) == null);
        }
        else
        {
            final long dead = size - count;
            if (dead >= MIN_DEAD_TO_COMPACT && dead > count)
            {
                compact(ring);
            }
        }
    }

    /**
     * The lowest live sequence that is {@code >= fromSeq}, or 0 when there is none. Binary search, then a
     * walk over dead entries (bounded by the live count, see {@link #compact}).
     */
    long nextAtOrAfter(final long fromSeq, final SeqRing ring)
    {
        if (count == 0)
        {
            return 0;
        }
        final long[] seqs = this.seqs;
        final int mask = this.mask;
        final int head = this.head;
        if (fromSeq <= seqs[head])
        {
            return seqs[head];
        }
        if (fromSeq > seqs[(head + size - 1) & mask])
        {
            return 0;
        }
        int lo = 1;
        int hi = size - 1;
        while (lo < hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (seqs[(head + mid) & mask] < fromSeq)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        for (int i = lo; i < size; i++)
        {
            final long seq = seqs[(head + i) & mask];
            if (ring.get(seq) != null)
            {
                return seq;
            }
        }
        return 0;
    }

    /**
     * The {@code n}th live sequence, oldest first (0-based), or 0 when there are fewer.
     */
    long liveAt(final long n, final SeqRing ring)
    {
        long seen = 0;
        for (int i = 0; i < size; i++)
        {
            final long seq = seqs[(head + i) & mask];
            if (ring.get(seq) != null)
            {
                if (seen == n)
                {
                    return seq;
                }
                seen++;
            }
        }
        return 0;
    }

    /**
     * Drops dead entries and shrinks the deque to fit the live ones.
     *
     * @return true when it released any entry or memory
     */
    boolean compact(final SeqRing ring)
    {
        if (size == count && seqs.length <= capacityFor(size))
        {
            return false;
        }
        final long[] fresh = new long[capacityFor(count)];
        int n = 0;
        for (int i = 0; i < size; i++)
        {
            final long seq = seqs[(head + i) & mask];
            if (ring.get(seq) != null)
            {
                fresh[n++] = seq;
            }
        }
        seqs = fresh;
        mask = fresh.length - 1;
        head = 0;
        size = n;
        return true;
    }

    private static int capacityFor(final long entries)
    {
        int capacity = MIN_CAPACITY;
        while (capacity < entries << 1)
        {
            capacity <<= 1;
        }
        return capacity;
    }

    private void resize(final int newCapacity)
    {
        final long[] fresh = new long[newCapacity];
        for (int i = 0; i < size; i++)
        {
            fresh[i] = seqs[(head + i) & mask];
        }
        seqs = fresh;
        mask = newCapacity - 1;
        head = 0;
    }
}
