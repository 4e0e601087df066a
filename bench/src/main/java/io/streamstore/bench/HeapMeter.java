package io.streamstore.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Heap in use after a full collection: taken before a store is filled and after, the difference is what
 * the store holds on the heap for its messages (direct and mapped memory are not counted).
 */
final class HeapMeter
{
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private HeapMeter()
    {
    }

    static long usedAfterGc()
    {
        // Two rounds: the first may only promote what the second then frees.
        for (int i = 0; i < 2; i++)
        {
            System.gc();
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** Heap bytes per million messages for a growth of {@code grownBytes} holding {@code messages}; -1 if unknown. */
    static long perMillion(final long grownBytes, final long messages)
    {
        return messages > 0 ? Math.max(0, grownBytes) * 1_000_000L / messages : -1;
    }
}
