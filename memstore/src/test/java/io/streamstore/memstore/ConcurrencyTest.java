package io.streamstore.memstore;

import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many callers at once: every call atomic, every snapshot consistent, nothing half-written. */
class ConcurrencyTest
{
    private static final int SIZE = 16;
    private static final String SUBJECT_PREFIX = "c.";

    /** Payload holds the subject's number twice, so a torn or mixed-up message is visible. */
    private static byte[] payloadFor(final int subject)
    {
        return ByteBuffer.allocate(SIZE - 3).putInt(subject).putInt(subject).array();
    }

    @Test
    void writersRemoversAndReadersAtOnceSeeOnlyConsistentState() throws InterruptedException
    {
        final long maxMsgs = 500;
        try (StreamStore store = new MemoryStoreProvider().open(null, StreamConfig.builder("conc").maxMsgs(maxMsgs).build()))
        {
            final AtomicBoolean writing = new AtomicBoolean(true);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final AtomicLong appended = new AtomicLong();
            final AtomicLong checks = new AtomicLong();
            final CountDownLatch start = new CountDownLatch(1);
            final List<Thread> writers = new ArrayList<>();
            final List<Thread> others = new ArrayList<>();
            for (int w = 0; w < 3; w++)
            {
                final int id = w;
                writers.add(new Thread(guard(failure, start, () ->
                {
                    for (int i = 0; i < 20_000; i++)
                    {
                        final int subject = (id * 7 + i) % 10;
                        store.append(SUBJECT_PREFIX + subject, payloadFor(subject));
                        appended.incrementAndGet();
                    }
                })));
            }
            others.add(new Thread(guard(failure, start, () ->
            {
                while (writing.get())
                {
                    final StoredMessage m = store.loadNext(">", 1);
                    if (m != null)
                    {
                        store.remove(m.seq());
                    }
                }
            })));
            for (int r = 0; r < 2; r++)
            {
                others.add(new Thread(guard(failure, start, () ->
                {
                    while (writing.get())
                    {
                        final StreamState s = store.state();
                        assertTrue(s.msgs() <= maxMsgs, s.toString());
                        assertEquals(s.msgs() * SIZE, s.bytes(), s.toString());
                        assertEquals(s.msgs() == 0 ? 0 : s.lastSeq() - s.firstSeq() + 1 - s.msgs(), s.numDeleted(), s.toString());
                        assertTrue(s.firstSeq() <= s.lastSeq() + 1, s.toString());
                        final StoredMessage m = store.loadNext("c.*", Math.max(1, s.lastSeq() - 50));
                        if (m != null)
                        {
                            final int subject = Integer.parseInt(m.subject().substring(SUBJECT_PREFIX.length()));
                            assertEquals(ByteBuffer.wrap(payloadFor(subject)), ByteBuffer.wrap(m.payload()), m.toString());
                        }
                        final SubjectState ss = store.subjectState("c.3");
                        assertTrue(ss.msgs() == 0 || ss.firstSeq() <= ss.lastSeq(), ss.toString());
                        checks.incrementAndGet();
                    }
                })));
            }
            writers.forEach(Thread::start);
            others.forEach(Thread::start);
            start.countDown();
            for (final Thread t : writers)
            {
                t.join();
            }
            writing.set(false);
            for (final Thread t : others)
            {
                t.join();
            }
            if (failure.get() != null)
            {
                throw new AssertionError("a thread failed", failure.get());
            }
            final StreamState end = store.state();
            assertEquals(60_000, end.lastSeq());
            assertEquals(60_000, appended.get());
            assertTrue(end.msgs() <= maxMsgs);
            assertTrue(checks.get() > 0);
            long counted = 0;
            for (int s = 0; s < 10; s++)
            {
                counted += store.subjectState(SUBJECT_PREFIX + s).msgs();
            }
            assertEquals(end.msgs(), counted);
        }
    }

    private static Runnable guard(final AtomicReference<Throwable> failure, final CountDownLatch start, final Runnable body)
    {
        return () ->
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
        };
    }
}
