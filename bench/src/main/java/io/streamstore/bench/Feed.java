package io.streamstore.bench;

import io.streamstore.spi.StreamStore;
import io.streamstore.spi.Subjects;

import java.util.Random;

/**
 * The messages a workload appends: subjects {@code q.0 … q.(n-1)} round-robin and one fixed random
 * payload (stores copy what they are given, so one array serves every append).
 */
final class Feed
{
    private final String[] subjects;
    private final int[] subjectBytes;
    private final byte[] payload;

    Feed(final String prefix, final int subjectCount, final int payloadBytes)
    {
        subjects = new String[subjectCount];
        subjectBytes = new int[subjectCount];
        for (int i = 0; i < subjectCount; i++)
        {
            subjects[i] = prefix + "." + i;
            subjectBytes[i] = Subjects.validateSubject(subjects[i]);
        }
        payload = new byte[payloadBytes];
        new Random(42).nextBytes(payload);
    }

    String subject(final long i)
    {
        return subjects[(int)(i % subjects.length)];
    }

    int subjectCount()
    {
        return subjects.length;
    }

    byte[] payload()
    {
        return payload;
    }

    /** The size of message {@code i} as the SPI counts it: subject bytes + payload bytes. */
    long size(final long i)
    {
        return subjectBytes[(int)(i % subjects.length)] + (long)payload.length;
    }

    long sizeOf(final String subject)
    {
        return Subjects.utf8Length(subject) + (long)payload.length;
    }

    /**
     * Appends {@code count} messages, showing progress.
     *
     * @return the bytes appended (message sizes)
     */
    long fill(final StreamStore store, final long count, final Progress progress)
    {
        long bytes = 0;
        for (long i = 0; i < count; i++)
        {
            store.append(subject(i), null, payload);
            bytes += size(i);
            if ((i & Progress.MASK) == 0)
            {
                progress.stepTo(i);
            }
        }
        progress.stepTo(count);
        return bytes;
    }
}
