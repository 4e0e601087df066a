package io.streamstore.filestore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Makes changes durable: group commit for {@code always}, and the shared background thread that runs
 * {@code every(d)} flushes and age expiry.
 *
 * <p>Group commit: a thread that needs its change durable waits while another thread forces; when no
 * force is running it becomes the leader, writes everything buffered under the store lock, and forces
 * outside the lock every file written since the last force (sealed blocks, the write block, and the
 * directory when files were created or deleted). Writers that arrive meanwhile append freely and are
 * covered by the next force, so N concurrent writers share one fsync instead of paying N.
 *
 * <p>A force error is fail-stop and sticky: it is never retried (after a failed fsync the kernel may have
 * dropped the dirty pages, so a retry that succeeds proves nothing), the store refuses every later
 * change, and only a reopen, which re-reads what is really on disk, clears it.
 */
final class Flusher
{
    private static final ScheduledThreadPoolExecutor SCHEDULER = scheduler();
    /** How long a leader waits, once, for writers queued on the lock before it forces. */
    private static final long GATHER_NANOS = 50_000;

    private final FileStore store;
    private final ReentrantLock lock;
    private final Condition forceDone;
    private boolean forcing;
    private long durable;
    private long durableSeq;

    Flusher(final FileStore store, final ReentrantLock lock)
    {
        this.store = store;
        this.lock = lock;
        this.forceDone = lock.newCondition();
    }

    private static ScheduledThreadPoolExecutor scheduler()
    {
        final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r ->
        {
            final Thread t = new Thread(r, "streamstore-file-flusher");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    static ScheduledFuture<?> schedule(final Runnable task, final long periodNanos)
    {
        return SCHEDULER.scheduleWithFixedDelay(task, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }

    /** Starts {@code durableSeq} after open: everything recovered is on disk. */
    void recovered(final long token, final long lastSeq)
    {
        durable = token;
        durableSeq = lastSeq;
    }

    long durableSeq()
    {
        return durableSeq;
    }

    /** Under the lock: waits until no force runs, so that channels may be closed. */
    void awaitIdle()
    {
        while (forcing)
        {
            forceDone.awaitUninterruptibly();
        }
    }

    /**
     * Returns once every change up to {@code token} is on stable storage. Call without holding the lock.
     *
     * @throws io.streamstore.spi.StoreException when the store failed (now or earlier) or was closed
     *                                           before the change was forced
     */
    void syncTo(final long token)
    {
        final BlockWriter writer = store.writer();
        lock.lock();
        try
        {
            boolean gathered = false;
            while (true)
            {
                if (durable >= token)
                {
                    return;
                }
                store.checkWritable();
                if (forcing)
                {
                    forceDone.awaitUninterruptibly();
                    continue;
                }
                if (!gathered && lock.hasQueuedThreads())
                {
                    // writers are queued on the lock with changes to add: let them in first, so this
                    // force covers them too instead of each paying for the next one
                    gathered = true;
                    try
                    {
                        forceDone.awaitNanos(GATHER_NANOS);
                    }
                    catch (final InterruptedException e)
                    {
                        Thread.currentThread().interrupt();
                    }
                    continue;
                }
                forcing = true;
                final long target;
                final long targetSeq;
                final FileChannel channel;
                final ArrayList<FileChannel> sealed;
                final boolean directory;
                try
                {
                    writer.flush();
                }
                catch (final IOException e)
                {
                    forcing = false;
                    forceDone.signalAll();
                    throw store.fail("write", e);
                }
                target = writer.appended;
                targetSeq = store.lastSeqLocked();
                channel = writer.channel;
                sealed = writer.unforced.isEmpty() ? null : new ArrayList<>(writer.unforced);
                writer.unforced.clear();
                directory = writer.directoryDirty;
                writer.directoryDirty = false;

                IOException error = null;
                lock.unlock();
                try
                {
                    if (sealed != null)
                    {
                        for (final FileChannel c : sealed)
                        {
                            store.io().force(c);
                        }
                    }
                    if (channel != null)
                    {
                        store.io().force(channel);
                    }
                    if (directory)
                    {
                        store.io().forceDirectory(store.directory());
                    }
                }
                catch (final IOException e)
                {
                    error = e;
                }
                catch (final RuntimeException | Error e)
                {
                    error = new IOException("force failed: " + e, e);
                }
                finally
                {
                    lock.lock();
                }
                forcing = false;
                forceDone.signalAll();
                if (sealed != null)
                {
                    for (final FileChannel c : sealed)
                    {
                        closeQuietly(c);
                    }
                }
                if (error != null)
                {
                    throw store.fail("force", error);
                }
                store.counters().syncs++;
                if (target > durable)
                {
                    durable = target;
                }
                if (targetSeq > durableSeq)
                {
                    durableSeq = targetSeq;
                    store.fanout().durable(targetSeq);
                }
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Under the lock, with no force running: the final force of close(). */
    void forceAllLocked() throws IOException
    {
        final BlockWriter writer = store.writer();
        writer.flush();
        for (final FileChannel c : writer.unforced)
        {
            store.io().force(c);
        }
        writer.closeUnforced();
        if (writer.channel != null)
        {
            store.io().force(writer.channel);
        }
        if (writer.directoryDirty)
        {
            store.io().forceDirectory(store.directory());
            writer.directoryDirty = false;
        }
        store.counters().syncs++;
        durable = writer.appended;
        if (store.lastSeqLocked() > durableSeq)
        {
            durableSeq = store.lastSeqLocked();
            store.fanout().durable(durableSeq);
        }
    }

    /** Wakes waiters after close or failure so that they re-check. */
    void wakeAll()
    {
        forceDone.signalAll();
    }

    private static void closeQuietly(final FileChannel c)
    {
        try
        {
            c.close();
        }
        catch (final IOException ignored)
        {
            // only a descriptor
        }
    }
}
