package io.streamstore.bench;

import org.HdrHistogram.Histogram;

/**
 * Latency percentiles of one run, in microseconds.
 *
 * @param p50Micros  median
 * @param p99Micros  99th percentile
 * @param p999Micros 99.9th percentile
 * @param maxMicros  the slowest operation
 */
record Latency(double p50Micros, double p99Micros, double p999Micros, double maxMicros)
{
    /** Records nanosecond values; three significant digits, resizing as needed. */
    static Histogram newHistogram()
    {
        return new Histogram(3);
    }

    static Latency of(final Histogram nanos)
    {
        if (nanos.getTotalCount() == 0)
        {
            return null;
        }
        return new Latency(
            nanos.getValueAtPercentile(50.0) / 1_000.0,
            nanos.getValueAtPercentile(99.0) / 1_000.0,
            nanos.getValueAtPercentile(99.9) / 1_000.0,
            nanos.getMaxValue() / 1_000.0);
    }
}
