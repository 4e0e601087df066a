package io.streamstore.conformance;

import org.opentest4j.AssertionFailedError;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a rule's body on several threads at once and fails on a thread's error, a deadlock or a lost wake-up.
 * Public so that the reliability suite ({@code io.streamstore.conformance.reliability}) and the backends' own
 * concurrency tests share it; a test helper, not an API.
 */
public final class KitThreads
{
    private KitThreads()
    {
    }

    /** A body run by each of several threads. */
    @FunctionalInterface
    public interface Worker
    {
        void run(int index) throws Exception;
    }

    /**
     * Runs {@code body} on {@code threads} threads started together; fails on the first exception any of
     * them throws, or when they are not all done within {@code timeout} (a deadlock, or a lost wake-up).
     */
    public static void runConcurrently(final String what, final int threads, final Duration timeout, final Worker body)
    {
        final CountDownLatch start = new CountDownLatch(1);
        final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        final List<Thread> started = new ArrayList<>();
        for (int i = 0; i < threads; i++)
        {
            final int index = i;
            final Thread t = new Thread(() ->
            {
                try
                {
                    start.await();
                    body.run(index);
                }
                catch (final Throwable e)
                {
                    errors.add(e);
                }
            }, "kit-" + what + "-" + i);
            t.setDaemon(true);
            t.start();
            started.add(t);
        }
        start.countDown();
        final long deadline = System.nanoTime() + timeout.toNanos();
        for (final Thread t : started)
        {
            try
            {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
                fail(what + ": interrupted");
            }
            if (t.isAlive())
            {
                fail(what + ": thread " + t.getName() + " still running after " + timeout +
                    " (deadlock or lost wake-up?); its stack: " + Arrays.toString(t.getStackTrace()));
            }
        }
        if (!errors.isEmpty())
        {
            final AssertionFailedError e = new AssertionFailedError(
                what + ": " + errors.size() + " thread(s) failed; first: " + errors.peek(), errors.peek());
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }
}
