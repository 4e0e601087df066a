package io.streamstore.memstore;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.ListenerFanout;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.Retention;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hook order, hook thread, and hooks that call back into the store. */
class ListenerTest
{
    private static StreamStore open(final StreamConfig config)
    {
        return new MemoryStoreProvider().open(null, config);
    }

    private static void runThreads(final int count, final Runnable body) throws InterruptedException
    {
        final CountDownLatch start = new CountDownLatch(1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < count; t++)
        {
            final Thread thread = new Thread(() ->
            {
                try
                {
                    start.await();
                    body.run();
                }
                catch (final Throwable e)
                {
                    failure.compareAndSet(null, e);
                }
            }, "worker-" + t);
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (final Thread thread : threads)
        {
            thread.join();
        }
        if (failure.get() != null)
        {
            throw new AssertionError("a worker failed", failure.get());
        }
    }

    @Test
    void hooksRunInTheOrderOfChangesEvenFromManyThreads() throws InterruptedException
    {
        try (StreamStore store = open(StreamConfig.builder("order").maxMsgs(500).build()))
        {
            final Recorder recorder = new Recorder();
            store.addListener(recorder);
            runThreads(4, () ->
            {
                for (int i = 0; i < 2000; i++)
                {
                    store.append("t." + Thread.currentThread().getName(), new byte[1]);
                }
            });
            long nextAppended = 1;
            long nextRemoved = 1;
            for (final String event : recorder.snapshot())
            {
                final long seq = Long.parseLong(event.substring(1, event.indexOf(' ')));
                if (event.startsWith("+"))
                {
                    assertEquals(nextAppended++, seq, event);
                }
                else
                {
                    assertEquals(nextRemoved++, seq, event);
                    assertTrue(event.endsWith("LIMIT_MSGS"), event);
                    // evicted to make room for seq + 500, and reported just before that append
                    assertEquals(seq + 500, nextAppended, event);
                }
            }
            assertEquals(8001, nextAppended);
            assertEquals(7501, nextRemoved);
        }
    }

    @Test
    void hooksRunOnTheThreadThatMadeTheChange() throws InterruptedException
    {
        try (StreamStore store = open(StreamConfig.builder("threads").build()))
        {
            final Map<Long, String> hookThread = new ConcurrentHashMap<>();
            final Map<Long, String> appendThread = new ConcurrentHashMap<>();
            store.addListener(new StoreListener()
            {
                @Override
                public void onAppended(final long seq, final String subject)
                {
                    hookThread.put(seq, Thread.currentThread().getName());
                }
            });
            runThreads(3, () ->
            {
                for (int i = 0; i < 500; i++)
                {
                    appendThread.put(store.append("a", new byte[1]), Thread.currentThread().getName());
                }
            });
            assertEquals(1500, hookThread.size());
            assertEquals(appendThread, hookThread);
        }
    }

    @Test
    void onRemovedSeesTheRemovalAlreadyVisible()
    {
        try (StreamStore store = open(StreamConfig.builder("visible").build()))
        {
            final List<String> seen = new ArrayList<>();
            store.addListener(new StoreListener()
            {
                @Override
                public void onRemoved(final long seq, final String subject, final RemovalReason reason)
                {
                    seen.add(seq + " load=" + store.load(seq) + " msgs=" + store.state().msgs() +
                        " subject=" + store.subjectState(subject).msgs());
                }
            });
            store.append("a", new byte[1]);
            store.remove(1);
            assertEquals(List.of("1 load=null msgs=0 subject=0"), seen);
        }
    }

    @Test
    void anAppendFromOnRemovedNeverFailsThePerSubjectLimit() throws InterruptedException
    {
        final int subjects = 200;
        final StreamConfig config = StreamConfig.builder("ack")
            .retention(Retention.WORK_QUEUE)
            .discard(Discard.NEW)
            .maxMsgsPerSubject(1)
            .discardNewPerSubject(true)
            .build();
        try (StreamStore store = open(config))
        {
            final AtomicLong refused = new AtomicLong();
            store.addListener(new StoreListener()
            {
                @Override
                public void onRemoved(final long seq, final String subject, final RemovalReason reason)
                {
                    try
                    {
                        store.append(subject, new byte[8]);
                    }
                    catch (final LimitExceededException e)
                    {
                        refused.incrementAndGet();
                    }
                }
            });
            for (int s = 0; s < subjects; s++)
            {
                store.append("queue." + s, new byte[8]);
            }
            final AtomicLong removed = new AtomicLong();
            runThreads(4, () ->
            {
                for (int round = 0; round < 3; round++)
                {
                    for (int s = 0; s < subjects; s++)
                    {
                        final StoredMessage m = store.loadNext("queue." + s, 1);
                        if (m != null && store.remove(m.seq()))
                        {
                            removed.incrementAndGet();
                        }
                    }
                }
            });
            assertEquals(0, refused.get());
            assertTrue(removed.get() >= 3 * subjects, "removed " + removed.get());
            assertEquals(subjects, store.state().msgs());
            assertEquals(subjects, store.state().numSubjects());
        }
    }

    @Test
    void anAppendAfterRemoveFromManyThreadsNeverFailsThePerSubjectLimit() throws InterruptedException
    {
        final int subjects = 200;
        final StreamConfig config = StreamConfig.builder("ack")
            .retention(Retention.WORK_QUEUE)
            .discard(Discard.NEW)
            .maxMsgsPerSubject(1)
            .discardNewPerSubject(true)
            .build();
        try (StreamStore store = open(config))
        {
            for (int s = 0; s < subjects; s++)
            {
                store.append("queue." + s, new byte[8]);
            }
            runThreads(4, () ->
            {
                for (int round = 0; round < 3; round++)
                {
                    for (int s = 0; s < subjects; s++)
                    {
                        final String subject = "queue." + s;
                        final StoredMessage m = store.loadNext(subject, 1);
                        if (m != null && store.remove(m.seq()))
                        {
                            store.append(subject, new byte[8]); // must never throw
                        }
                    }
                }
            });
            assertEquals(subjects, store.state().msgs());
        }
    }

    @Test
    void aHookThatThrowsDoesNotUndoTheChangeOrStopOtherHooks()
    {
        // The fan-out logs the deliberate failure with its stack trace; keep the build output clean.
        final java.util.logging.Logger log = java.util.logging.Logger.getLogger(ListenerFanout.class.getName());
        final java.util.logging.Level level = log.getLevel();
        log.setLevel(java.util.logging.Level.OFF);
        try (StreamStore store = open(StreamConfig.builder("throws").build()))
        {
            final Recorder recorder = new Recorder();
            store.addListener(new StoreListener()
            {
                @Override
                public void onAppended(final long seq, final String subject)
                {
                    throw new IllegalStateException("deliberate failure from a test hook");
                }
            });
            store.addListener(recorder);
            assertEquals(1, store.append("a", new byte[1]));
            assertEquals(1, store.state().msgs());
            assertEquals(List.of("+1 a"), recorder.snapshot());
        }
        finally
        {
            log.setLevel(level);
        }
    }

    @Test
    void purgeAndCompactAreReported()
    {
        try (StreamStore store = open(StreamConfig.builder("purge").build()))
        {
            store.append("a", new byte[1]);
            store.append("b", new byte[1]);
            store.append("a", new byte[1]);
            store.remove(2);
            final Recorder recorder = new Recorder();
            store.addListener(recorder);
            store.purge();
            store.compact();
            assertEquals(List.of("-1 a PURGED", "-3 a PURGED", "compacted"), recorder.snapshot());
            assertNull(store.load(1));
        }
    }

    @Test
    void aListenerSeesOnlyChangesAfterItWasAdded()
    {
        try (StreamStore store = open(StreamConfig.builder("late").build()))
        {
            store.append("a", new byte[1]);
            final Recorder recorder = new Recorder();
            store.addListener(recorder);
            store.append("a", new byte[1]);
            assertEquals(List.of("+2 a"), recorder.snapshot());
        }
    }
}
