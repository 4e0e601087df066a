package io.streamstore.filestore;

import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StoreException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Makes changes durable: group commit for {@code always}, and the shared background thread that runs
 * {@code every(d)} flushes and age expiry.
 *
 * <p>Group commit: a thread that needs its change durable and finds no force running becomes the leader: it
 * writes everything buffered under the store lock, and forces outside the lock every file written since the
 * last force (sealed blocks, the write block, and the directory when files were created or deleted).
 * Writers that arrive meanwhile append freely, park, and are covered by the next force, so N concurrent
 * writers share one fsync instead of paying N.
 *
 * <p>What keeps the batches large, which is the whole point (16 writers: 15.5 appends per force):
 * <ul>
 * <li>Waking without the lock: a parked writer waits for its {@link Waiter} to be released, not on a
 * condition of the store lock, and the releasing thread unparks it only after unlocking
 * ({@link #wakeReleased}), so the writers a force covers return in parallel instead of taking the lock one
 * after another (a convoy that, on a small machine, took longer than the force).</li>
 * <li>Leading: the first writer back after a force leads the next one, since it runs already; only if none
 * comes is leadership handed to the first writer that arrived during the force ({@link #handOn}).</li>
 * <li>Gathering: the writers a force released come back with their next change one by one. A leader that
 * forced as soon as the first of them was back would split them into ever smaller batches, so it first
 * waits until as many writers wait as the previous force covered plus those that arrived during it, but
 * never longer than the previous force took (capped at {@link #MAX_GATHER_NANOS}): a writer that stopped
 * writing costs one bounded wait, and a lone writer never waits, since it alone is the batch. With the
 * spin-wait on, the leader yields outside the lock meanwhile instead of awaiting a condition.</li>
 * <li>Taking over: the writer whose change completes the batch forces it at once, on its running thread,
 * instead of waking the gathering leader to do it; that leader is covered by the force, and is signalled at
 * once so that it waits for the force like any writer (signalled only after the force, it came back a wake-up
 * late, which left 2 writers no faster than 1).</li>
 * <li>Yielding before parking: a waiter yields the CPU in a loop for up to two forces' time before it parks
 * ({@link #spinUntilReleased}), so that most writers are still runnable when their force ends and need no
 * wake-up at all (16 writers on 2 cores: 15x one writer's rate, against 7x when every waiter parks).</li>
 * </ul>
 *
 * <p>A force error is fail-stop and sticky: it is never retried (after a failed fsync the kernel may have
 * dropped the dirty pages, so a retry that succeeds proves nothing), the store refuses every later
 * change, and only a reopen, which re-reads what is really on disk, clears it.
 */
final class Flusher
{
    private static final ScheduledThreadPoolExecutor SCHEDULER = scheduler();
    /** The longest a leader waits for the previous batch's writers to come back before it forces. */
    static final long MAX_GATHER_NANOS = 1_000_000;
    /** The shortest gathering bound, for forces so quick that waking the writers takes longer. */
    static final long MIN_GATHER_NANOS = 20_000;

    /** A writer parked until its change is durable, or until it is made the next leader. */
    static final class Waiter
    {
        final Thread thread = Thread.currentThread();
        final long token;
        volatile boolean released;
        boolean leader;

        Waiter(final long token)
        {
            this.token = token;
        }
    }

    private final FileStore store;
    private final ReentrantLock lock;
    /** The option's cap on {@link #spinNanos}, in nanoseconds; 0: waiters park at once. */
    private final long maxSpinNanos;
    /**
     * How long a waiter yields before it parks: twice the last force, when that force took no longer than
     * {@link #maxSpinNanos}; 0 after a slower force, since then the spin would rarely see the release.
     */
    private volatile long spinNanos;
    /** Signalled when a force or a gathering ends: close, purge and compaction wait on it for idle channels. */
    private final Condition idle;
    private final Condition batchGathered;
    private final ArrayDeque<Waiter> parked = new ArrayDeque<>();
    /**
     * Writers released under the lock, to be unparked once it is free ({@link #wakeReleased}): woken under it,
     * they would run only to find the lock taken and park again, twice the wake-ups on a small machine.
     */
    private final ConcurrentLinkedQueue<Thread> toWake = new ConcurrentLinkedQueue<>();
    private boolean forcing;
    /**
     * The leader waiting for its batch to gather, or null; the writer that completes the batch takes it over.
     * Written under the lock; volatile (as {@link #waiting} is) for the leader that yields outside it.
     */
    private volatile Thread gatherer;
    /** A parked writer was made the next leader and has not taken the lock yet. */
    private boolean handedOn;
    /** Threads inside {@link #syncTo} whose change is not yet durable, the leader included. */
    private volatile int waiting;
    /** The batch the next leader gathers for: what the previous force covered plus who arrived during it. */
    private int lastBatch;
    private long lastForceNanos = MIN_GATHER_NANOS;
    private volatile long durable;
    private long durableSeq;

    Flusher(final FileStore store, final ReentrantLock lock, final long maxSpinNanos)
    {
        this.store = store;
        this.lock = lock;
        this.maxSpinNanos = maxSpinNanos;
        this.spinNanos = maxSpinNanos;
        this.idle = lock.newCondition();
        this.batchGathered = lock.newCondition();
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

    /** Under the lock: waits until no force runs and no leader gathers, so that channels may be closed. */
    void awaitIdle()
    {
        while (forcing || gatherer != null)
        {
            idle.awaitUninterruptibly();
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
        if (durable >= token)
        {
            return;
        }
        final Waiter waiter;
        lock.lock();
        try
        {
            waiter = join(token);
        }
        finally
        {
            lock.unlock();
        }
        settle(waiter);
    }

    /**
     * Without the lock, after a change that {@link #join joined} under it: wakes the writers a force released
     * meanwhile, then returns once the change is durable ({@code ticket} null: it is already).
     */
    void settle(final Waiter ticket)
    {
        wakeReleased();
        if (ticket != null)
        {
            await(ticket);
        }
    }

    /**
     * Under the lock, right after a change that must be durable before its call returns: forces now when no
     * other thread is forcing (this thread leads), else counts the change as waiting and returns the ticket to
     * {@link #settle} once the lock is released. Joining under the change's own lock spares a second lock
     * acquisition per change, which on a busy small machine is a second chance to be descheduled.
     *
     * @return null when the change is durable on return, else the ticket to settle without the lock
     */
    Waiter join(final long token)
    {
        if (durable >= token)
        {
            return null;
        }
        store.checkWritable();
        waiting++;
        if (!forcing && gatherer == null)
        {
            // also when a parked writer was just handed the lead: this thread runs already, that one must
            // first be scheduled
            return lead(token);
        }
        if (!forcing && waiting >= lastBatch)
        {
            // this change completes the batch a leader gathers for: force it now, on this running thread,
            // rather than wake the gathering leader to do it (the force covers the leader's change too); that
            // leader is signalled now, so that it waits for this force like any writer (yielding, released with
            // the others) instead of learning of it only after the force, one wake-up late
            gatherer = null;
            batchGathered.signalAll();
            return lead(token);
        }
        final Waiter self = new Waiter(token);
        parked.addLast(self);
        return self;
    }

    /** Without the lock: returns once the ticket's change is durable, leading a force if handed leadership. */
    private void await(final Waiter ticket)
    {
        Waiter self = ticket;
        final long token = self.token;
        while (true)
        {
            // Only the lock holder releases a parked writer (covered, made leader, or woken by close or
            // failure), so its state is settled before the writer looks at it.
            boolean interrupted = false;
            spinUntilReleased(self);
            while (!self.released)
            {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
            if (!self.leader && durable >= token)
            {
                return; // the releasing thread counted this waiter out
            }
            lock.lock();
            try
            {
                if (!self.leader)
                {
                    // released without being covered: the store failed or closed
                    checkForcible();
                    throw new StoreException("the file store in " + store.directory() + " released a change " +
                        "before forcing it; this is a bug, please report it");
                }
                handedOn = false;
                if (durable >= token)
                {
                    waiting--;
                    handOn(); // the writers parked behind this one still need a leader
                    return;
                }
                if (forcing || gatherer != null)
                {
                    // a writer that came back first took the lead meanwhile; its force covers this change
                    self.leader = false;
                    self.released = false;
                    parked.addFirst(self);
                    continue;
                }
                final Waiter behind = lead(token);
                if (behind == null)
                {
                    return;
                }
                self = behind;
            }
            finally
            {
                lock.unlock();
                wakeReleased();
            }
        }
    }

    /**
     * Yields the CPU in a loop while the force that covers the waiter is likely to end soon. A parked writer
     * costs its releaser a wake-up call, and itself a trip through the scheduler, before it can return; on a
     * small machine those wake-ups of a whole batch take about as long as the force itself, and the disk
     * idles meanwhile. A yielding writer is still runnable and returns as soon as it is next scheduled. The
     * bound keeps the cost to at most two forces' worth of CPU per waiter (MySQL's redo log waits the same way,
     * spinning only while flushes are fast).
     */
    private void spinUntilReleased(final Waiter self)
    {
        final long bound = spinNanos;
        if (bound <= 0 || self.released)
        {
            return;
        }
        final long deadline = System.nanoTime() + bound;
        while (!self.released && System.nanoTime() - deadline < 0)
        {
            Thread.yield();
        }
    }

    /**
     * Without the lock: unparks the writers the last force released. Whoever released the lock after a force
     * calls it; any thread may, and a writer that finds its flag set before its unpark arrives simply goes on.
     */
    private void wakeReleased()
    {
        Thread t;
        while ((t = toWake.poll()) != null)
        {
            LockSupport.unpark(t);
        }
    }

    /**
     * Under the lock, counted in {@code waiting}: forces until {@code token} is durable, then hands leadership
     * on; leaves {@code waiting} without this thread, also when it throws. When the writer that completed its
     * batch took the force over while this one gathered, this one parks behind that force instead.
     *
     * @return null when the change is durable, else the ticket to {@link #await} (still counted in waiting)
     */
    private Waiter lead(final long token)
    {
        final BlockWriter writer = store.writer();
        boolean parkedBehind = false;
        try
        {
            while (durable < token)
            {
                checkForcible();
                if (waiting < lastBatch)
                {
                    gather();
                    if (durable >= token)
                    {
                        break;
                    }
                    checkForcible();
                    if (forcing || gatherer != null)
                    {
                        final Waiter self = new Waiter(token);
                        parked.addLast(self);
                        parkedBehind = true;
                        return self;
                    }
                }
                forcing = true;
                final int batch = waiting;
                final long started = System.nanoTime();
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
                    idle.signalAll();
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
                idle.signalAll();
                batchGathered.signalAll(); // a leader whose gathering was taken over waits there, covered now
                lastBatch = batch;
                lastForceNanos = System.nanoTime() - started;
                spinNanos = lastForceNanos <= maxSpinNanos ? Math.min(maxSpinNanos, 2 * lastForceNanos) : 0;
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
                if (durable >= token)
                {
                    // wake the next leader first: it has the longest way to go
                    handOn();
                }
                releaseCovered();
                // the next batch to gather: this one, plus the writers that arrived during the force (parked, not
                // covered), so that batches split by a timeout grow back together
                lastBatch = batch + parked.size() + (handedOn ? 1 : 0);
            }
        }
        finally
        {
            if (!parkedBehind)
            {
                waiting--;
                handOn();
            }
        }
        return null;
    }

    private void checkForcible()
    {
        store.checkWritable();
        if (store.isClosed())
        {
            throw new StoreClosedException("the file store in " + store.directory() + " was closed before the change " +
                "was forced; reopen it to see whether the change is on disk");
        }
    }

    /**
     * Under the lock: waits until the previous batch's writers are back or the bound passes. Writers arriving
     * meanwhile park as if a force ran, so that only this leader forces. Releases the lock while it waits,
     * yielding (spin-wait on) or on {@link #batchGathered}.
     */
    private void gather()
    {
        final Thread me = Thread.currentThread();
        gatherer = me;
        try
        {
            long remaining = Math.max(MIN_GATHER_NANOS, Math.min(lastForceNanos, MAX_GATHER_NANOS));
            if (spinNanos > 0)
            {
                // yield outside the lock rather than await the condition: the writer that completes the batch
                // then needs no signal through the lock to be seen, and this leader is runnable when it is
                // (16 writers on 2 cores: 15x one writer's rate, against 12x when the leader awaits)
                final int batch = lastBatch;
                final long deadline = System.nanoTime() + remaining;
                lock.unlock();
                try
                {
                    while (gatherer == me && waiting < batch && !store.failed() && System.nanoTime() - deadline < 0)
                    {
                        Thread.yield();
                    }
                }
                finally
                {
                    lock.lock();
                }
                remaining = deadline - System.nanoTime();
            }
            while (gatherer == me && waiting < lastBatch && remaining > 0 && !store.failed())
            {
                remaining = batchGathered.awaitNanos(remaining);
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            if (gatherer == me)
            {
                gatherer = null;
            }
            idle.signalAll();
        }
    }

    /** Under the lock: wakes every parked writer whose change is now durable; they return without the lock. */
    private void releaseCovered()
    {
        final long upTo = durable;
        for (final Iterator<Waiter> it = parked.iterator(); it.hasNext(); )
        {
            final Waiter w = it.next();
            if (w.token <= upTo)
            {
                it.remove();
                waiting--;
                w.released = true;
                toWake.add(w.thread);
            }
        }
    }

    /**
     * Under the lock, as a leader leaves: the first writer still parked leads the next force, unless another
     * leader runs already; after a failure every parked writer is woken to see it.
     */
    private void handOn()
    {
        if (store.failed() || store.isClosed())
        {
            // an exception may be on its way out past the caller's settle(): wake them all here
            releaseAll();
            wakeReleased();
            return;
        }
        if (forcing || gatherer != null || handedOn)
        {
            return;
        }
        final long upTo = durable;
        for (final Iterator<Waiter> it = parked.iterator(); it.hasNext(); )
        {
            final Waiter next = it.next();
            if (next.token > upTo)
            {
                it.remove();
                handedOn = true;
                next.leader = true;
                next.released = true;
                toWake.add(next.thread);
                return;
            }
        }
    }

    /** Under the lock: wakes every parked writer (close or failure) to re-check the store. */
    private void releaseAll()
    {
        Waiter w;
        while ((w = parked.pollFirst()) != null)
        {
            waiting--;
            w.released = true;
            LockSupport.unpark(w.thread);
        }
    }

    /** Under the lock, with no force running: the final force of close(). */
    void forceAllLocked() throws IOException
    {
        final BlockWriter writer = store.writer();
        writer.flush();
        writer.trimPrefill();
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
        releaseCovered();
        wakeReleased(); // close: rare enough to wake them under the lock
    }

    /** Wakes waiters after close or failure so that they re-check. */
    void wakeAll()
    {
        idle.signalAll();
        batchGathered.signalAll();
        releaseAll();
        wakeReleased();
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
