package io.streamstore.lmdbstore;

import io.streamstore.spi.SyncPolicy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The background work of every LMDB store, on one shared daemon thread: under {@code every(d)} a commit
 * and {@code env.sync} each interval; under {@code never} and {@code every(d)} a commit of the open batch
 * every {@value #COMMIT_TICK_MS} ms (no force: it bounds what a process kill loses and how much a batch
 * holds); and, with {@code maxAge}, the expiry of old messages.
 */
final class Flusher
{
    static final long COMMIT_TICK_MS = 200;

    private static final System.Logger LOG = System.getLogger(Flusher.class.getName());
    private static final ScheduledThreadPoolExecutor SCHEDULER = scheduler();

    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();

    Flusher(final LmdbStore store, final SyncPolicy policy, final Duration maxAge)
    {
        if (policy.kind() == SyncPolicy.Kind.EVERY)
        {
            final long nanos = Math.max(1_000_000L, policy.interval().toNanos());
            schedule(store::flushTick, nanos);
            if (nanos > TimeUnit.MILLISECONDS.toNanos(COMMIT_TICK_MS))
            {
                schedule(store::commitTick, TimeUnit.MILLISECONDS.toNanos(COMMIT_TICK_MS));
            }
        }
        else if (policy.kind() == SyncPolicy.Kind.NEVER)
        {
            schedule(store::commitTick, TimeUnit.MILLISECONDS.toNanos(COMMIT_TICK_MS));
        }
        if (!maxAge.isZero())
        {
            final long period = Math.max(10_000_000L, Math.min(250_000_000L, maxAge.toNanos() / 4));
            schedule(store::expireTick, period);
        }
    }

    void stop()
    {
        for (final ScheduledFuture<?> task : tasks)
        {
            task.cancel(false);
        }
    }

    private void schedule(final Runnable task, final long periodNanos)
    {
        tasks.add(SCHEDULER.scheduleWithFixedDelay(() ->
        {
            try
            {
                task.run();
            }
            catch (final Throwable t)
            {
                // a thrown exception would cancel the periodic task silently; log and keep going
                LOG.log(System.Logger.Level.WARNING, "lmdbstore background task failed", t);
            }
        }, periodNanos, periodNanos, TimeUnit.NANOSECONDS));
    }

    private static ScheduledThreadPoolExecutor scheduler()
    {
        final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r ->
        {
            final Thread t = new Thread(r, "lmdbstore-flusher");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }
}
