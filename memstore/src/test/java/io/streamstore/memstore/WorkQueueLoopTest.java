package io.streamstore.memstore;

import io.streamstore.spi.Retention;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bench's work-queue loop at full size (fill 100,000 x 100 B on 10 subjects, then remove the oldest
 * and append one, 200,000 times), checked for what it leaves behind rather than timed: the ring neither
 * grows nor moves, and the figures add up.
 */
class WorkQueueLoopTest
{
    @Test
    void steadyRemoveOldestAppendOneKeepsTheRingAndIndexesStill()
    {
        final String[] subjects = new String[10];
        for (int i = 0; i < subjects.length; i++)
        {
            subjects[i] = "queue." + i;
        }
        final byte[] payload = new byte[100 - "queue.0".length()];
        try (StreamStore store = new MemoryStoreProvider().open(null,
            StreamConfig.builder("wq").retention(Retention.WORK_QUEUE).build()))
        {
            for (int i = 0; i < 100_000; i++)
            {
                store.append(subjects[i % 10], payload);
            }
            final SeqRing ring = ((MemoryStore)store).ringForTests();
            final int capacity = ring.capacity();
            long oldest = 1;
            for (int i = 0; i < 200_000; i++)
            {
                store.remove(oldest++);
                store.append(subjects[i % 10], payload);
            }
            assertEquals(capacity, ring.capacity());
            assertEquals(0, ring.sparseCount());
            assertEquals(new StreamState(100_000, 10_000_000, 200_001, 300_000, 0, 10), store.state());
            assertEquals(300_000L * 100, store.stats().bytesWritten());
            assertEquals(10_000, store.subjectState("queue.3").msgs());
            assertEquals(200_004, store.loadNext("queue.3", 1).seq());
        }
    }

    @Test
    void theLoopAllocatesNothingBeyondTheMessageItself()
    {
        final java.lang.management.ThreadMXBean plain = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(plain instanceof com.sun.management.ThreadMXBean mx) || !mx.isThreadAllocatedMemorySupported())
        {
            Assumptions.assumeTrue(false, "this JVM cannot count the bytes a thread allocates");
            return;
        }
        mx.setThreadAllocatedMemoryEnabled(true);
        final long thread = Thread.currentThread().getId();
        final String[] subjects = new String[10];
        for (int i = 0; i < subjects.length; i++)
        {
            subjects[i] = "queue." + i;
        }
        final byte[] payload = new byte[93];
        final int n = 100_000;

        // What one message costs on this JVM (object layout varies with flags): build n of them by hand.
        final MemoryMessage[] sink = new MemoryMessage[n];
        final long m0 = mx.getThreadAllocatedBytes(thread);
        for (int i = 0; i < n; i++)
        {
            sink[i] = new MemoryMessage(i, subjects[i % 10], MemoryMessage.EMPTY, payload.clone(), i, 100, null);
        }
        final long perMessage = (mx.getThreadAllocatedBytes(thread) - m0) / n;

        try (StreamStore store = new MemoryStoreProvider().open(null, StreamConfig.builder("wq").build()))
        {
            for (int i = 0; i < n; i++)
            {
                store.append(subjects[i % 10], payload);
            }
            long oldest = 1;
            for (int round = 0; round < 3; round++)
            {
                final long b0 = mx.getThreadAllocatedBytes(thread);
                for (int i = 0; i < n; i++)
                {
                    store.remove(oldest++);
                    store.append(subjects[i % 10], payload);
                }
                final long perIteration = (mx.getThreadAllocatedBytes(thread) - b0) / n;
                assertTrue(perIteration <= perMessage + 8,
                    "round " + round + ": remove + append allocated " + perIteration + " B per iteration; the message " +
                    "itself takes " + perMessage + " B");
            }
        }
        assertEquals(n - 1, sink[n - 1].seq);
    }
}
