package io.streamstore.conformance;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.streamstore.conformance.KitAssertions.assertMessage;
import static io.streamstore.conformance.KitAssertions.walk;
import static io.streamstore.conformance.KitPayloads.payload;
import static io.streamstore.conformance.KitThreads.runConcurrently;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The {@code conc_*} rules: concurrency. {@link StreamStoreConformance} runs them as its nested class
 * {@code Concurrency}; the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 */
abstract class ConcurrencyRules extends KitArea
{
    /** Payload of a concurrency test: writer, index and a body derived from both, so torn reads show. */
    static byte[] taggedPayload(final int writer, final int index)
    {
        final byte[] body = payload(16 + (index % 64), writer * 1_000_003L + index);
        final byte[] b = new byte[8 + body.length];
        putInt(b, 0, writer);
        putInt(b, 4, index);
        System.arraycopy(body, 0, b, 8, body.length);
        return b;
    }

    static void putInt(final byte[] b, final int at, final int v)
    {
        b[at] = (byte)(v >>> 24);
        b[at + 1] = (byte)(v >>> 16);
        b[at + 2] = (byte)(v >>> 8);
        b[at + 3] = (byte)v;
    }

    static int getInt(final byte[] b, final int at)
    {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    /** Checks a message written with {@link #taggedPayload} on subject "c.{writer}" is whole. */
    static void assertWhole(final StoredMessage m)
    {
        final byte[] p = m.payload();
        assertTrue(p.length >= 8, "torn message " + m.seq() + ": payload of " + p.length + " bytes");
        final int writer = getInt(p, 0);
        final int index = getInt(p, 4);
        assertEquals("c." + writer, m.subject(), "message " + m.seq() + " has another writer's subject");
        assertArrayEquals(taggedPayload(writer, index), p, "torn or mixed-up payload in message " + m.seq());
    }

    @Test
    void conc_01_concurrentAppendsGetUniqueGapFreeSequences()
    {
        final StreamStore s = open();
        final int threads = 8;
        final int each = 1000;
        final long[][] got = new long[threads][each];
        runConcurrently("appenders", threads, Duration.ofMinutes(2), t ->
        {
            for (int i = 0; i < each; i++)
            {
                got[t][i] = s.append("c." + t, null, taggedPayload(t, i));
            }
        });
        final TreeSet<Long> all = new TreeSet<>();
        for (int t = 0; t < threads; t++)
        {
            for (int i = 0; i < each; i++)
            {
                assertTrue(all.add(got[t][i]), "sequence " + got[t][i] + " handed out twice");
                if (i > 0)
                {
                    assertTrue(got[t][i] > got[t][i - 1], "one thread's sequences must increase");
                }
                assertMessage("thread " + t + " append " + i, got[t][i], "c." + t, null, taggedPayload(t, i),
                    s.load(got[t][i]));
            }
        }
        assertEquals(1, all.first());
        assertEquals((long)threads * each, all.last());
        assertEquals(threads * each, s.state().msgs());
    }

    @Test
    void conc_02_appendRemoveAndReadAtOnceStayConsistent()
    {
        final StreamStore s = open();
        final int appenders = 4;
        final int each = 1500;
        final ConcurrentLinkedQueue<Long> toRemove = new ConcurrentLinkedQueue<>();
        final Set<Long> removed = ConcurrentHashMap.newKeySet();
        final Map<Long, byte[]> appended = new ConcurrentHashMap<>();
        final AtomicInteger appendersDone = new AtomicInteger();
        runConcurrently("mixed", appenders + 4, Duration.ofMinutes(2), t ->
        {
            if (t < appenders)
            {
                try
                {
                    for (int i = 0; i < each; i++)
                    {
                        final byte[] p = taggedPayload(t, i);
                        final long seq = s.append("c." + t, null, p);
                        appended.put(seq, p);
                        if (i % 2 == 0)
                        {
                            toRemove.add(seq);
                        }
                    }
                }
                finally
                {
                    appendersDone.incrementAndGet(); // so that a failing appender cannot leave the others spinning
                }
            }
            else if (t < appenders + 2)
            {
                while (appendersDone.get() < appenders || !toRemove.isEmpty())
                {
                    final Long seq = toRemove.poll();
                    if (seq == null)
                    {
                        Thread.yield();
                        continue;
                    }
                    assertTrue(s.remove(seq), "remove of acknowledged append " + seq + " found nothing");
                    removed.add(seq);
                    assertNull(s.load(seq), "a removal is visible when remove returns");
                }
            }
            else
            {
                final Random r = new Random(t);
                while (appendersDone.get() < appenders)
                {
                    final long last = s.state().lastSeq();
                    if (last == 0)
                    {
                        continue;
                    }
                    final StoredMessage m = s.load(1 + (long)r.nextInt((int)last));
                    if (m != null)
                    {
                        assertWhole(m);
                    }
                    final StoredMessage next = s.loadNext("c.*", 1 + (long)r.nextInt((int)last));
                    if (next != null)
                    {
                        assertWhole(next);
                    }
                    final StreamState st = s.state();
                    assertTrue(st.msgs() <= st.lastSeq() && st.firstSeq() >= 1, "inconsistent state " + st);
                }
            }
        });
        final long total = (long)appenders * each;
        assertEquals(total, appended.size(), "every append got its own sequence");
        assertEquals(total, s.state().lastSeq());
        assertEquals(total - removed.size(), s.state().msgs());
        for (long seq = 1; seq <= total; seq++)
        {
            final StoredMessage m = s.load(seq);
            if (removed.contains(seq))
            {
                assertNull(m);
            }
            else
            {
                assertNotNull(m, "lost message " + seq);
                assertArrayEquals(appended.get(seq), m.payload());
            }
        }
    }

    @Test
    void conc_03_hooksRunInChangeOrderAcrossThreads()
    {
        final StreamStore s = open();
        final HookRecorder first = new HookRecorder();
        final HookRecorder second = new HookRecorder();
        s.addListener(first);
        s.addListener(second);
        final int threads = 8;
        final int each = 400;
        final Map<Long, Thread> appendedBy = new ConcurrentHashMap<>();
        final Map<Long, Thread> removedBy = new ConcurrentHashMap<>();
        runConcurrently("hook-order", threads, Duration.ofMinutes(2), t ->
        {
            final Random r = new Random(t);
            final List<Long> mine = new ArrayList<>();
            for (int i = 0; i < each; i++)
            {
                final long seq = s.append("c." + t, null, taggedPayload(t, i));
                appendedBy.put(seq, Thread.currentThread());
                mine.add(seq);
                if (i % 3 == 2)
                {
                    final long victim = mine.remove(r.nextInt(mine.size()));
                    assertTrue(s.remove(victim));
                    removedBy.put(victim, Thread.currentThread());
                }
            }
        });
        for (final HookRecorder hooks : List.of(first, second))
        {
            final List<HookRecorder.Event> events = hooks.changes();
            assertEquals(appendedBy.size() + removedBy.size(), events.size(), "one hook call per change");
            final Map<Long, Integer> appendedAt = new HashMap<>();
            long lastAppended = 0;
            for (int i = 0; i < events.size(); i++)
            {
                final HookRecorder.Event e = events.get(i);
                if (e.kind() == HookRecorder.Kind.APPENDED)
                {
                    assertTrue(e.seq() > lastAppended,
                        "onAppended(" + e.seq() + ") ran after onAppended(" + lastAppended + "): not in change order");
                    lastAppended = e.seq();
                    appendedAt.put(e.seq(), i);
                    assertSame(appendedBy.get(e.seq()), e.thread(), "onAppended ran on another thread");
                }
                else
                {
                    final Integer at = appendedAt.get(e.seq());
                    assertNotNull(at, "onRemoved(" + e.seq() + ") ran before its onAppended");
                    assertSame(removedBy.get(e.seq()), e.thread(), "onRemoved ran on another thread");
                }
            }
        }
        final List<String> a = first.changes().stream().map(HookRecorder.Event::key).toList();
        final List<String> b = second.changes().stream().map(HookRecorder.Event::key).toList();
        assertEquals(a, b, "both listeners see the same changes in the same order");
    }

    @Test
    void conc_04_perSubjectLimitHoldsUnderConcurrentAppends()
    {
        final StreamStore s = open(cfg().maxMsgsPerSubject(1));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        final int threads = 8;
        final int each = 500;
        final int subjects = 20;
        final Map<String, Long> newest = new ConcurrentHashMap<>();
        runConcurrently("per-subject", threads, Duration.ofMinutes(2), t ->
        {
            for (int i = 0; i < each; i++)
            {
                final String subject = "ps." + ((t * 7 + i) % subjects);
                final long seq = s.append(subject, null, payload(8, i));
                newest.merge(subject, seq, Math::max);
            }
        });
        assertEquals(subjects, s.state().msgs());
        for (final Map.Entry<String, Long> e : newest.entrySet())
        {
            assertEquals(new SubjectState(e.getKey(), 1, e.getValue(), e.getValue()), s.subjectState(e.getKey()),
                "the newest message of each subject stays");
        }
        assertEquals((long)threads * each - subjects, hooks.events(HookRecorder.Kind.REMOVED).size());
    }

    @Test
    void conc_05_discardNewMaxMsgsAdmitsExactlyTheLimitUnderContention()
    {
        final StreamStore s = open(cfg().discard(Discard.NEW).maxMsgs(200));
        final AtomicInteger refused = new AtomicInteger();
        final Set<Long> seqs = ConcurrentHashMap.newKeySet();
        runConcurrently("discard-new", 8, Duration.ofMinutes(1), t ->
        {
            for (int i = 0; i < 50; i++)
            {
                try
                {
                    assertTrue(seqs.add(s.append("dn." + t, null, payload(4, i))));
                }
                catch (final LimitExceededException e)
                {
                    refused.incrementAndGet();
                }
            }
        });
        assertEquals(200, seqs.size());
        assertEquals(200, refused.get());
        assertEquals(200L, (long)new TreeSet<>(seqs).last(), "refused appends used up no sequence");
        final StreamState st = s.state();
        assertEquals(200, st.msgs());
        assertEquals(200 * 8, st.bytes());
        assertEquals(1, st.firstSeq());
        assertEquals(200, st.lastSeq());
    }

    @Test
    void conc_06_purgeRacingAppendsNeverReusesSequences()
    {
        final StreamStore s = open();
        final Set<Long> seqs = ConcurrentHashMap.newKeySet();
        final AtomicBoolean appending = new AtomicBoolean(true);
        final AtomicInteger done = new AtomicInteger();
        runConcurrently("purge-race", 5, Duration.ofMinutes(1), t ->
        {
            if (t < 4)
            {
                try
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        final long seq = s.append("c." + t, null, taggedPayload(t, i));
                        assertTrue(seqs.add(seq), "sequence " + seq + " reused");
                    }
                }
                finally
                {
                    if (done.incrementAndGet() == 4)
                    {
                        appending.set(false);
                    }
                }
            }
            else
            {
                while (appending.get())
                {
                    s.purge();
                    Thread.yield();
                }
            }
        });
        assertEquals(4000, s.state().lastSeq());
        final StreamState st = s.state();
        assertEquals(walk(s, ">").size(), st.msgs());
        for (StoredMessage m = s.loadNext(">", 1); m != null; m = s.loadNext(">", m.seq() + 1))
        {
            assertWhole(m);
        }
    }

    @Test
    void conc_07_callsRacingCloseCompleteOrThrowStoreClosed()
    {
        final StreamStore s = open();
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger workersDone = new AtomicInteger();
        runConcurrently("close-race", 5, Duration.ofMinutes(1), t ->
        {
            if (t == 4)
            {
                while (calls.get() < 2000 && workersDone.get() < 4)
                {
                    Thread.yield();
                }
                s.close();
                return;
            }
            try
            {
                // Bounded, so that a store that keeps working after close fails here rather than spinning.
                for (int i = 0; i < 100_000; i++)
                {
                    final long seq = s.append("c." + t, null, taggedPayload(t, i));
                    final StoredMessage m = s.load(seq);
                    if (m != null)
                    {
                        assertWhole(m);
                    }
                    s.state();
                    if (i % 2 == 0)
                    {
                        s.remove(seq);
                    }
                    calls.incrementAndGet();
                }
                fail("100,000 rounds of calls and no StoreClosedException: calls after close() must throw it");
            }
            catch (final StoreClosedException expected)
            {
                // The only way out: the store was closed under us.
            }
            finally
            {
                workersDone.incrementAndGet();
            }
        });
        assertThrows(StoreClosedException.class, s::state);
    }

    @Test
    void conc_08_compactionRacingAppendsAndRemovesChangesNoRead()
    {
        final StreamStore s = open(cfg().option("file.block-size", "65536"));
        final Map<Long, byte[]> live = new ConcurrentHashMap<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicInteger done = new AtomicInteger();
        runConcurrently("compact-race", 3, Duration.ofMinutes(2), t ->
        {
            if (t < 2)
            {
                try
                {
                    for (int i = 0; i < 3000; i++)
                    {
                        final byte[] p = taggedPayload(t, i);
                        final long seq = s.append("c." + t, null, p);
                        live.put(seq, p);
                        if (i % 4 != 0)
                        {
                            assertTrue(s.remove(seq));
                            live.remove(seq);
                        }
                    }
                }
                finally
                {
                    if (done.incrementAndGet() == 2)
                    {
                        running.set(false);
                    }
                }
            }
            else
            {
                while (running.get())
                {
                    s.compact();
                    Thread.yield();
                }
            }
        });
        s.compact();
        assertEquals(live.size(), s.state().msgs());
        for (final Map.Entry<Long, byte[]> e : live.entrySet())
        {
            final StoredMessage m = s.load(e.getKey());
            assertNotNull(m, "message " + e.getKey() + " lost by a concurrent compaction");
            assertArrayEquals(e.getValue(), m.payload());
        }
    }
}
