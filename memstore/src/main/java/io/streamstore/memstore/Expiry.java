package io.streamstore.memstore;

import java.lang.ref.WeakReference;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Removes a store's messages once they are older than {@code maxAge}, without a thread per store.
 *
 * <p>Every memory store in the JVM shares one daemon scheduler thread ({@code streamstore-memory-expiry}),
 * started on first use. A store with {@code maxAge} owns one {@code Expiry}, which is at most once on the
 * scheduler, due when the store's oldest message expires: an append arms it only when it is idle, so
 * appends cost one field check, and each firing removes what is due and re-arms for the next oldest
 * message. The scheduled task holds its store weakly, so a store that is dropped without
 * {@code close()} can still be collected; {@code close()} cancels the task.
 *
 * <p>Hooks of removals it makes ({@code LIMIT_AGE}) run on the scheduler thread, which is the thread
 * that made the change. A hook that blocks there delays expiry for every memory store in the JVM, so
 * hooks should hand slow work off.
 *
 * <p>{@link #arm}, {@link #fired} and {@link #cancel} are called under the store's write lock.
 */
final class Expiry implements Runnable
{
    private static final System.Logger LOG = System.getLogger(Expiry.class.getName());

    /** Fire a little after the due time, so that a firing finds its message already expired. */
    private static final long SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final WeakReference<MemoryStore> store;
    private ScheduledFuture<?> pending;

    Expiry(final MemoryStore store)
    {
        this.store = new WeakReference<>(store);
    }

    /** True while a firing is scheduled. */
    boolean armed()
    {
        return pending != null;
    }

    /** Schedules a firing {@code delayNanos} from now. */
    void arm(final long delayNanos)
    {
        pending = Scheduler.INSTANCE.schedule(this, Math.max(0, delayNanos) + SLACK_NANOS, TimeUnit.NANOSECONDS);
    }

    /** The scheduled firing has started: the next append or firing may arm again. */
    void fired()
    {
        pending = null;
    }

    void cancel()
    {
        final ScheduledFuture<?> p = pending;
        if (p != null)
        {
            p.cancel(false);
            pending = null;
        }
    }

    @Override
    public void run()
    {
        final MemoryStore s = store.get();
        if (s == null)
        {
            return;
        }
        try
        {
            s.expireOnTimer();
        }
        catch (final RuntimeException | Error e)
        {
            // The executor would swallow it silently and the store would never expire again.
            LOG.log(System.Logger.Level.ERROR, "memory store expiry failed; messages may outlive maxAge", e);
        }
    }

    /** The one scheduler thread of all memory stores, created when the first store with maxAge opens. */
    private static final class Scheduler
    {
        static final ScheduledThreadPoolExecutor INSTANCE = create();

        private static ScheduledThreadPoolExecutor create()
        {
            final ThreadFactory factory = r ->
            {
                final Thread t = new Thread(r, "streamstore-memory-expiry");
                t.setDaemon(true);
                return t;
            };
            final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, factory);
            executor.setRemoveOnCancelPolicy(true);
            return executor;
        }
    }
}
