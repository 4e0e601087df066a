package io.streamstore.filestore;

import java.util.Arrays;

/**
 * One subject with live messages: its UTF-8 bytes (encoded once, not per append) and its sequences in rising
 * order. Removing the oldest or newest (the common cases) moves an end of the list. Removing one from the
 * middle only counts it: the entry stays in the list, stale, until the list is compacted, and readers skip
 * stale entries by asking the {@link Index} whether the sequence is still live (a removed sequence never comes
 * back, and its slot is marked removed before this list hears of it). That keeps a random removal to a
 * counter update instead of a search through a long list; the list is compacted once stale entries
 * outnumber live ones, so a read skips at most as many stale entries as there are live ones.
 */
final class SubjectEntry
{
    final String subject;
    final byte[] utf8;
    final int id;
    private long[] seqs;
    private int head;
    private int tail;
    private int live;
    /** Entries in [head, tail) that were removed. */
    private int stale;
    private final Index index;

    SubjectEntry(final String subject, final byte[] utf8, final int id, final int capacity, final Index index)
    {
        this.subject = subject;
        this.utf8 = utf8;
        this.id = id;
        this.index = index;
        seqs = new long[Math.max(4, capacity)];
    }

    private boolean alive(final long seq)
    {
        return index.isLive(seq);
    }

    /**
     * Grows the sequence list to hold {@code n} entries: the index-file load knows each subject's live count
     * but builds the lists only when first needed, so it allocates them only then.
     */
    void reserve(final int n)
    {
        if (seqs.length < n)
        {
            seqs = Arrays.copyOf(seqs, n);
        }
    }

    int live()
    {
        return live;
    }

    long first()
    {
        return live == 0 ? 0 : seqs[head];
    }

    long last()
    {
        return live == 0 ? 0 : seqs[tail - 1];
    }

    void add(final long seq)
    {
        if (tail == seqs.length)
        {
            if (head > 0 && live <= seqs.length / 2)
            {
                compact();
            }
            else
            {
                compact();
                seqs = Arrays.copyOf(seqs, seqs.length * 2);
            }
        }
        seqs[tail++] = seq;
        live++;
    }

    /** {@code seq}, a live sequence of this subject, was removed (its slot is already marked removed). */
    void remove(final long seq)
    {
        if (live == 0)
        {
            return;
        }
        live--;
        if (live == 0)
        {
            head = 0;
            tail = 0;
            stale = 0;
            return;
        }
        if (seqs[head] == seq)
        {
            head++;
            while (stale > 0 && head < tail && !alive(seqs[head]))
            {
                head++;
                stale--;
            }
        }
        else if (seqs[tail - 1] == seq)
        {
            tail--;
            while (stale > 0 && tail > head && !alive(seqs[tail - 1]))
            {
                tail--;
                stale--;
            }
        }
        else
        {
            stale++;
            if (stale > 32 && stale > live)
            {
                compact();
            }
        }
    }

    /** The first live sequence at or above {@code fromSeq}, or 0. */
    long next(final long fromSeq)
    {
        if (live == 0 || fromSeq > seqs[tail - 1])
        {
            return 0;
        }
        if (fromSeq <= seqs[head])
        {
            return seqs[head];
        }
        int i = find(fromSeq);
        if (i < 0)
        {
            i = -i - 1;
        }
        while (stale > 0 && i < tail && !alive(seqs[i]))
        {
            i++;
        }
        return i < tail ? seqs[i] : 0;
    }

    /**
     * Index of {@code seq} in [head, tail), or -(insertion point) - 1; removed entries compare by magnitude.
     * Subjects usually interleave regularly, so one interpolation probe lands on or near the entry; a gallop
     * from there brackets it and a binary search finishes (a plain binary search over a long list costs a
     * cache miss per step, and this runs on every removal from the middle of a subject).
     */
    private int find(final long seq)
    {
        int lo = head;
        int hi = tail - 1;
        if (lo > hi)
        {
            return -(lo + 1);
        }
        final long first = Math.abs(seqs[lo]);
        final long last = Math.abs(seqs[hi]);
        if (seq < first)
        {
            return -(lo + 1);
        }
        if (seq > last)
        {
            return -(hi + 2);
        }
        if (last > first)
        {
            final int guess = lo + (int)((double)(seq - first) * (hi - lo) / (last - first));
            final long v = Math.abs(seqs[guess]);
            if (v == seq)
            {
                return guess;
            }
            if (v < seq)
            {
                lo = guess + 1;
                int step = 1;
                int bound = guess + 1;
                while (bound <= hi && Math.abs(seqs[bound]) < seq)
                {
                    lo = bound + 1;
                    step <<= 1;
                    bound = guess + step;
                }
                if (bound <= hi)
                {
                    hi = bound;
                }
            }
            else
            {
                hi = guess - 1;
                int step = 1;
                int bound = guess - 1;
                while (bound >= lo && Math.abs(seqs[bound]) > seq)
                {
                    hi = bound - 1;
                    step <<= 1;
                    bound = guess - step;
                }
                if (bound >= lo)
                {
                    lo = bound;
                }
            }
        }
        while (lo <= hi)
        {
            final int mid = (lo + hi) >>> 1;
            final long v = Math.abs(seqs[mid]);
            if (v < seq)
            {
                lo = mid + 1;
            }
            else if (v > seq)
            {
                hi = mid - 1;
            }
            else
            {
                return mid;
            }
        }
        return -(lo + 1);
    }

    private void compact()
    {
        int to = 0;
        if (stale == 0)
        {
            System.arraycopy(seqs, head, seqs, 0, tail - head);
            to = tail - head;
        }
        else
        {
            for (int i = head; i < tail; i++)
            {
                if (alive(seqs[i]))
                {
                    seqs[to++] = seqs[i];
                }
            }
        }
        head = 0;
        tail = to;
        stale = 0;
    }
}
