package io.streamstore.filestore;

import java.util.Arrays;

/**
 * One subject with live messages: its UTF-8 bytes (encoded once, not per append) and its live sequences in
 * rising order. A removed sequence in the middle is kept as its negative until the list is compacted, so
 * removing the oldest or newest (the common cases) is O(1) and any other is a binary search.
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

    SubjectEntry(final String subject, final byte[] utf8, final int id, final int capacity)
    {
        this.subject = subject;
        this.utf8 = utf8;
        this.id = id;
        seqs = new long[Math.max(4, capacity)];
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

    void remove(final long seq)
    {
        if (live == 0)
        {
            return;
        }
        if (seqs[head] == seq)
        {
            head++;
            live--;
            while (head < tail && seqs[head] < 0)
            {
                head++;
            }
        }
        else if (seqs[tail - 1] == seq)
        {
            tail--;
            live--;
            while (tail > head && seqs[tail - 1] < 0)
            {
                tail--;
            }
        }
        else
        {
            final int i = find(seq);
            if (i < 0 || seqs[i] != seq)
            {
                return;
            }
            seqs[i] = -seq;
            live--;
            if (tail - head > 32 && live < (tail - head) / 4)
            {
                compact();
            }
        }
        if (live == 0)
        {
            head = 0;
            tail = 0;
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
        while (i < tail && seqs[i] < 0)
        {
            i++;
        }
        return i < tail ? seqs[i] : 0;
    }

    /** Index of {@code seq} in [head, tail), or -(insertion point) - 1; removed entries compare by magnitude. */
    private int find(final long seq)
    {
        int lo = head;
        int hi = tail - 1;
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
        for (int i = head; i < tail; i++)
        {
            if (seqs[i] > 0)
            {
                seqs[to++] = seqs[i];
            }
        }
        head = 0;
        tail = to;
    }
}
