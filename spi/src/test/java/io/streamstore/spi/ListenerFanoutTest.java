package io.streamstore.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListenerFanoutTest
{
    private final ListenerFanout fanout = new ListenerFanout();
    private final ReentrantLock changeLock = new ReentrantLock();
    private long lastSeq;

    /** A change as a store makes it: the event is recorded under the change lock, delivered after it. */
    private long append(final String subject)
    {
        final long seq;
        changeLock.lock();
        try
        {
            seq = ++lastSeq;
            fanout.appended(seq, subject);
        }
        finally
        {
            changeLock.unlock();
        }
        fanout.deliver();
        return seq;
    }

    @Test
    void withoutListenersNothingIsRecordedOrDelivered()
    {
        assertFalse(fanout.active());
        append("a");
        final List<Long> seen = new ArrayList<>();
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                seen.add(seq);
            }
        });
        fanout.deliver();
        assertTrue(seen.isEmpty(), "an event recorded before any listener was added must not be delivered later");
        append("a");
        assertEquals(List.of(2L), seen);
    }

    @Test
    void eachKindOfEventReachesItsHook()
    {
        final List<String> seen = new ArrayList<>();
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                seen.add("appended " + seq + " " + subject);
            }

            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                seen.add("removed " + seq + " " + subject + " " + reason);
            }

            @Override
            public void onCompacted(final CompactionResult result)
            {
                seen.add("compacted " + result.blocksRewritten());
            }

            @Override
            public void onDurable(final long upToSeq)
            {
                seen.add("durable " + upToSeq);
            }
        });
        fanout.appended(1, "a");
        fanout.removed(1, "a", RemovalReason.LIMIT_AGE);
        fanout.compacted(new CompactionResult(3, 10, 20));
        fanout.durable(1);
        fanout.deliver();
        assertEquals(List.of("appended 1 a", "removed 1 a LIMIT_AGE", "compacted 3", "durable 1"), seen);
    }

    @Test
    @Timeout(30)
    void hooksRunInChangeOrderOnTheThreadThatMadeTheChange() throws Exception
    {
        final List<Long> order = Collections.synchronizedList(new ArrayList<>());
        final List<String> wrongThread = Collections.synchronizedList(new ArrayList<>());
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                order.add(seq);
                if (!Thread.currentThread().getName().equals(subject))
                {
                    wrongThread.add(seq + " made by " + subject + " delivered on " + Thread.currentThread().getName());
                }
            }
        });
        final int threads = 8;
        final int perThread = 2_000;
        final CountDownLatch start = new CountDownLatch(1);
        final List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final Thread worker = new Thread(() ->
            {
                awaitQuietly(start);
                for (int i = 0; i < perThread; i++)
                {
                    append(Thread.currentThread().getName());
                }
            }, "writer-" + t);
            workers.add(worker);
            worker.start();
        }
        start.countDown();
        for (final Thread worker : workers)
        {
            worker.join();
        }
        assertEquals(threads * perThread, order.size());
        for (int i = 0; i < order.size(); i++)
        {
            assertEquals(i + 1, order.get(i), "hook " + i + " out of change order");
        }
        assertTrue(wrongThread.isEmpty(), () -> String.valueOf(wrongThread.subList(0, Math.min(5, wrongThread.size()))));
    }

    @Test
    @Timeout(10)
    void aChangeMadeInsideAHookIsDeliveredAfterTheHookReturnsOnTheSameThread()
    {
        final List<String> seen = new ArrayList<>();
        final AtomicReference<Thread> nestedThread = new AtomicReference<>();
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                seen.add("first hook saw " + seq);
                if (seq == 1)
                {
                    final long nested = append("nested");
                    seen.add("append from hook returned " + nested);
                }
                else
                {
                    nestedThread.set(Thread.currentThread());
                }
            }
        });
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                seen.add("second hook saw " + seq);
            }
        });
        append("outer");
        assertEquals(List.of(
            "first hook saw 1", "append from hook returned 2", "second hook saw 1",
            "first hook saw 2", "second hook saw 2"), seen);
        assertSame(Thread.currentThread(), nestedThread.get());
    }

    @Test
    void aHookThatThrowsDoesNotStopTheOthers()
    {
        final List<Long> seen = new ArrayList<>();
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                throw new IllegalStateException("listener bug (expected by this test)");
            }
        });
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                seen.add(seq);
            }
        });
        append("a");
        append("a");
        assertEquals(List.of(1L, 2L), seen);
    }

    @Test
    @Timeout(10)
    void discardedEventsOfAFailedChangeAreNeverDeliveredAndDoNotBlockOthers() throws Exception
    {
        final List<Long> seen = Collections.synchronizedList(new ArrayList<>());
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                seen.add(seq);
            }
        });
        final Thread failing = new Thread(() ->
        {
            changeLock.lock();
            try
            {
                fanout.appended(++lastSeq, "failed");
            }
            finally
            {
                changeLock.unlock();
            }
            fanout.discardPending();
        });
        failing.start();
        failing.join();
        append("ok");
        assertEquals(List.of(2L), seen);
    }

    @Test
    void finishDeliversAChangeThatTookEffectAndDropsOneThatDidNot()
    {
        final List<Long> seen = new ArrayList<>();
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                seen.add(seq);
            }
        });
        fanout.appended(1, "failed");
        fanout.finish(false);
        fanout.appended(2, "ok");
        fanout.finish(true);
        fanout.deliver();
        assertEquals(List.of(2L), seen);
    }

    @Test
    void anErrorFromAHookPropagatesAndLeavesTheFanoutUsable()
    {
        final List<Long> seen = new ArrayList<>();
        fanout.add(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                if (seq == 1)
                {
                    throw new AssertionError("test assertion inside a hook");
                }
                seen.add(seq);
            }
        });
        assertThrows(AssertionError.class, () -> append("a"));
        append("a");
        assertEquals(List.of(2L), seen);
    }

    @Test
    void nullListenerIsRejected()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fanout.add(null));
        assertEquals("listener must not be null", e.getMessage());
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        }
        catch (final InterruptedException e)
        {
            throw new IllegalStateException(e);
        }
    }
}
