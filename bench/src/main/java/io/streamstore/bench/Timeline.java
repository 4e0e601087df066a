package io.streamstore.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When each hundredth of a loop's operations finished, so that throughput over time can be drawn and a
 * collapse seen: a store whose loop slows down shows falling samples. Thread-safe: workers report each
 * finished operation's ordinal.
 */
final class Timeline
{
    static final int BUCKETS = 100;

    private final long total;
    private final long bucketSize;
    private final AtomicLongArray bucketEndNanos = new AtomicLongArray(BUCKETS);
    private volatile long startNanos;

    Timeline(final long totalOps)
    {
        if (totalOps < BUCKETS)
        {
            throw new IllegalArgumentException("a timeline needs at least " + BUCKETS + " operations, was " + totalOps);
        }
        total = totalOps;
        bucketSize = totalOps / BUCKETS;
    }

    void start()
    {
        startNanos = System.nanoTime();
    }

    /** Call after the operation with 1-based ordinal {@code done} finished. Cheap unless it ends a bucket. */
    void finished(final long done)
    {
        if (done % bucketSize == 0)
        {
            final long bucket = done / bucketSize - 1;
            if (bucket < BUCKETS)
            {
                bucketEndNanos.set((int)bucket, System.nanoTime());
            }
        }
    }

    long total()
    {
        return total;
    }

    /** One point per finished bucket: share of the operations done, seconds since start, operations per second. */
    List<Sample> samples()
    {
        final List<Sample> samples = new ArrayList<>(BUCKETS);
        long previous = startNanos;
        for (int i = 0; i < BUCKETS; i++)
        {
            final long end = bucketEndNanos.get(i);
            if (end == 0)
            {
                break;
            }
            final long nanos = Math.max(1, end - previous);
            samples.add(new Sample(100.0 * (i + 1) / BUCKETS, (end - startNanos) / 1e9, bucketSize * 1e9 / nanos));
            previous = end;
        }
        return samples;
    }

    /**
     * The pace of the first tenth: the 80th percentile of its buckets' throughput, or NaN when they did
     * not all finish. Not a mean, nor a median: pauses (collections, another process taking the core)
     * only ever slow buckets down, and in a loop of a fraction of a second they can cover half a tenth;
     * the upper buckets show the pace the store still keeps, and a real slowdown moves every bucket.
     */
    double firstTenthRate()
    {
        final int tenth = BUCKETS / 10;
        return bucketEndNanos.get(tenth - 1) == 0 ? Double.NaN : upperRate(0, tenth - 1);
    }

    /**
     * The pace of the last tenth of the buckets that finished (the loop's end, or where a time limit stopped
     * it), measured as {@link #firstTenthRate()} is, or NaN when fewer than two tenths finished.
     */
    double lastTenthRate()
    {
        final int tenth = BUCKETS / 10;
        int last = -1;
        for (int i = BUCKETS - 1; i >= 0; i--)
        {
            if (bucketEndNanos.get(i) != 0)
            {
                last = i;
                break;
            }
        }
        return last < 2 * tenth - 1 ? Double.NaN : upperRate(last - tenth + 1, last);
    }

    /** The 80th percentile (nearest rank) of the buckets' throughput. */
    private double upperRate(final int fromBucket, final int toBucket)
    {
        final double[] rates = new double[toBucket - fromBucket + 1];
        for (int i = fromBucket; i <= toBucket; i++)
        {
            final long begin = i == 0 ? startNanos : bucketEndNanos.get(i - 1);
            rates[i - fromBucket] = bucketSize * 1e9 / Math.max(1, bucketEndNanos.get(i) - begin);
        }
        Arrays.sort(rates);
        return rates[(int)Math.ceil(0.8 * rates.length) - 1];
    }

    /**
     * One point of the throughput chart.
     *
     * @param percent   share of the loop's operations done at the end of the bucket
     * @param seconds   time since the loop started, at the end of the bucket
     * @param opsPerSec throughput within the bucket
     */
    record Sample(double percent, double seconds, double opsPerSec)
    {
    }
}
