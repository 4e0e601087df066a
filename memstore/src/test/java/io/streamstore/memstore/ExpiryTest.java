package io.streamstore.memstore;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** maxAge: expiry without a caller, on one shared thread, and reads that never see an expired message. */
class ExpiryTest
{
    private static final long WAIT_MILLIS = 10_000;

    private static StreamStore open(final Duration maxAge)
    {
        return new MemoryStoreProvider().open(null, StreamConfig.builder("expiry").maxAge(maxAge).build());
    }

    private static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000L;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("not within " + WAIT_MILLIS + " ms: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Counts messages without calling into the store, which would expire them itself. */
    private static long msgsSeenByHooks(final Recorder recorder)
    {
        return recorder.snapshot().stream().filter(e -> e.endsWith("LIMIT_AGE")).count();
    }

    @Test
    void expiredMessagesAreRemovedWithoutAnyCallAndReportedAsLimitAge() throws InterruptedException
    {
        try (StreamStore store = open(Duration.ofMillis(100)))
        {
            final Recorder recorder = new Recorder();
            store.addListener(recorder);
            store.append("a", new byte[1]);
            store.append("b", new byte[1]);
            awaitTrue(() -> msgsSeenByHooks(recorder) == 2, "both messages expire");
            assertEquals(List.of("+1 a", "+2 b", "-1 a LIMIT_AGE", "-2 b LIMIT_AGE"), recorder.snapshot());
            assertEquals(0, store.state().msgs());
            assertEquals(3, store.state().firstSeq());
        }
    }

    @Test
    void theExpiryTaskRearmsForLaterMessages() throws InterruptedException
    {
        try (StreamStore store = open(Duration.ofMillis(200)))
        {
            final Recorder recorder = new Recorder();
            store.addListener(recorder);
            store.append("a", new byte[1]);
            Thread.sleep(100);
            store.append("a", new byte[1]);
            awaitTrue(() -> msgsSeenByHooks(recorder) == 2, "the later message expires too");
        }
    }

    @Test
    void readsNeverReturnAnExpiredMessage() throws InterruptedException
    {
        try (StreamStore store = open(Duration.ofMillis(50)))
        {
            store.append("a", new byte[1]);
            final long appended = System.nanoTime();
            // Whether the timer or the read removes it, a read after maxAge must not see it.
            while (System.nanoTime() - appended < 60_000_000L)
            {
                Thread.sleep(5);
            }
            assertNull(store.load(1));
            assertNull(store.loadNext(">", 1));
            assertNull(store.loadLast("a"));
            assertEquals(0, store.subjectState("a").msgs());
            assertEquals(0, store.state().msgs());
        }
    }

    @Test
    void youngMessagesStay() throws InterruptedException
    {
        try (StreamStore store = open(Duration.ofHours(1)))
        {
            store.append("a", new byte[1]);
            Thread.sleep(20);
            assertNotNull(store.load(1));
            assertEquals(1, store.state().msgs());
        }
    }

    @Test
    void manyStoresShareOneExpiryThread() throws InterruptedException
    {
        final StreamStore[] stores = new StreamStore[20];
        for (int i = 0; i < stores.length; i++)
        {
            stores[i] = open(Duration.ofMillis(50));
            stores[i].append("a", new byte[1]);
        }
        final long threads = Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals("streamstore-memory-expiry"))
            .count();
        assertEquals(1, threads);
        for (final StreamStore store : stores)
        {
            awaitTrue(() -> store.state().msgs() == 0, "every store expires its message");
            store.close();
        }
    }

    @Test
    void aStoreDroppedWithoutCloseCanBeCollected() throws InterruptedException
    {
        StreamStore store = open(Duration.ofHours(1));
        store.append("a", new byte[1]); // arms a timer an hour away
        final WeakReference<StreamStore> ref = new WeakReference<>(store);
        store = null;
        awaitTrue(() ->
        {
            System.gc();
            return ref.get() == null;
        }, "the pending expiry task does not hold the store");
        assertNull(ref.get());
    }

    @Test
    void closeStopsExpiry() throws InterruptedException
    {
        final Recorder recorder = new Recorder();
        final StreamStore store = open(Duration.ofMillis(30));
        store.addListener(recorder);
        store.append("a", new byte[1]);
        store.close();
        Thread.sleep(100);
        assertEquals(List.of("+1 a"), recorder.snapshot());
        assertTrue(store.toString().contains("closed"));
    }

    @Test
    void expiredMessagesMakeRoomForAnAppendUnderDiscardNew() throws InterruptedException
    {
        final StreamConfig config = StreamConfig.builder("expiry").maxAge(Duration.ofMillis(50))
            .maxMsgs(1).discard(io.streamstore.spi.Discard.NEW).build();
        try (StreamStore store = new MemoryStoreProvider().open(null, config))
        {
            store.append("a", new byte[1]);
            final long appended = System.nanoTime();
            while (System.nanoTime() - appended < 60_000_000L)
            {
                Thread.sleep(5);
            }
            assertEquals(2, store.append("a", new byte[1]));
            assertEquals(1, store.state().msgs());
        }
    }
}
