package io.streamstore.conformance;

import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static io.streamstore.conformance.KitAssertions.assertMessage;
import static io.streamstore.conformance.KitAssertions.seqOf;
import static io.streamstore.conformance.KitAssertions.snapshot;
import static io.streamstore.conformance.KitAssertions.state;
import static io.streamstore.conformance.KitPayloads.bytes;
import static io.streamstore.conformance.KitPayloads.payload;
import static io.streamstore.conformance.KitThreads.runConcurrently;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code rm_*} rules: removal and the ack-commit hook. {@link StreamStoreConformance} runs them as its
 * nested class {@code Removal}; the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 */
abstract class RemovalRules extends KitArea
{
    /** The seed scenario's size: NATS TestNoRaceJetStreamStandaloneDontReplyToAckBeforeProcessingIt. */
    static final int SEED_SUBJECTS = 10_000;
    static final int SEED_THREADS = 16;
    static final int SEED_ROUNDS = 3;

    @Test
    void rm_01_removeReturnsTrueOnceThenFalse()
    {
        final StreamStore s = open();
        s.append("a", null, payload(3, 1));
        assertTrue(s.remove(1));
        assertFalse(s.remove(1), "a second remove of the same sequence finds nothing");
    }

    @Test
    void rm_02_removeVisibleBeforeOnRemoved()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 6; i++)
        {
            s.append("v." + (i % 2), null, payload(10, i));
        }
        final List<String> seen = Collections.synchronizedList(new ArrayList<>());
        s.addListener(new StoreListener()
        {
            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                seen.add(seq + ":" + (s.load(seq) == null) + ":" + s.state().msgs() + ":" +
                    s.subjectState(subject).msgs() + ":" + (seqOf(s.loadLast(subject)) != seq) + ":" +
                    (seqOf(s.loadNext(subject, seq)) != seq));
            }
        });
        s.remove(2);
        s.remove(6);
        s.remove(1);
        assertEquals(List.of("2:true:5:2:true:true", "6:true:4:1:true:true", "1:true:3:2:true:true"), seen,
            "inside onRemoved the removal is already visible to load, state, subjectState, loadLast, loadNext");
    }

    @Test
    void rm_03_removeIsVisibleWhenItReturns()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 5; i++)
        {
            s.append("v", null, payload(10, i));
        }
        s.remove(3);
        assertNull(s.load(3));
        assertEquals(state(4, 4 * 11, 1, 5, 1), s.state());
        assertEquals(new SubjectState("v", 4, 1, 5), s.subjectState("v"));
        assertEquals(4, seqOf(s.loadNext("v", 3)));
        s.remove(5);
        assertEquals(4, seqOf(s.loadLast("v")));
    }

    @Test
    void rm_04_removeOfAMissingSequenceIsFalseAndChangesNothing()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 3; i++)
        {
            s.append("m", null, payload(10, i));
        }
        s.remove(2);
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        final String before = snapshot(s);
        assertFalse(s.remove(2), "already removed");
        assertFalse(s.remove(4), "never stored");
        assertFalse(s.remove(Long.MAX_VALUE), "never stored");
        assertEquals(before, snapshot(s));
        assertEquals(List.of(), hooks.changes(), "a remove that removed nothing fires no hook");
        assertEquals(4, s.append("m", null, payload(10, 4)));
    }

    @Test
    void rm_05_appendAfterRemoveNeverHitsThePerSubjectLimit()
    {
        final StreamStore s = open(workQueueOnePerSubject());
        for (int i = 0; i < 50; i++)
        {
            s.append("q." + i, null, bytes("hello"));
        }
        for (int round = 0; round < 4; round++)
        {
            for (int i = 0; i < 50; i++)
            {
                final StoredMessage m = s.loadNext("q." + i, 1);
                assertNotNull(m);
                assertTrue(s.remove(m.seq()));
                assertDoesNotThrow(() -> s.append(m.subject(), null, bytes("hello")),
                    "append after remove on " + m.subject() + " must not fail the per-subject limit");
            }
        }
        assertEquals(50, s.state().msgs());
        assertEquals(250, s.state().lastSeq());
    }

    @Test
    void rm_06_appendInsideOnRemovedNeverHitsThePerSubjectLimit()
    {
        final StreamStore s = open(workQueueOnePerSubject());
        for (int i = 0; i < 50; i++)
        {
            s.append("q." + i, null, bytes("hello"));
        }
        final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        s.addListener(republishOnRemoved(s, failures, new AtomicLong(), null));
        for (int round = 0; round < 4; round++)
        {
            for (int i = 0; i < 50; i++)
            {
                final StoredMessage m = s.loadNext("q." + i, 1);
                assertNotNull(m, "q." + i + " must hold the message appended from the hook");
                assertTrue(s.remove(m.seq()));
            }
        }
        assertEquals(List.of(), failures, "appends from inside onRemoved failed");
        assertEquals(50, s.state().msgs());
        assertEquals(250, s.state().lastSeq());
    }

    @Test
    void rm_07_ackHookUnderSyncAlwaysAllowsTheRepublish()
    {
        final StreamStore s = open(workQueueOnePerSubject().sync(SyncPolicy.always()));
        for (int i = 0; i < 20; i++)
        {
            s.append("q." + i, null, bytes("hello"));
        }
        final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        s.addListener(republishOnRemoved(s, failures, new AtomicLong(), null));
        for (int i = 0; i < 20; i++)
        {
            assertTrue(s.remove(s.loadNext("q." + i, 1).seq()));
        }
        assertEquals(List.of(), failures, "appends from inside onRemoved under SyncPolicy.always() failed");
        assertEquals(20, s.state().msgs());
        assertEquals(40, s.state().lastSeq());
    }

    @Test
    void rm_08_seedScenarioWorkersAppendAfterRemove()
    {
        seedScenario(false);
    }

    @Test
    void rm_09_seedScenarioAppendInsideOnRemoved()
    {
        seedScenario(true);
    }

    @Test
    void rm_10_purgeRemovesEverythingAndKeepsLastSeq()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 20; i++)
        {
            s.append("p." + (i % 4), null, payload(10, i));
        }
        s.remove(7);
        assertEquals(19, s.purge(), "purge returns how many live messages it removed");
        assertEquals(state(0, 0, 21, 20, 0), s.state());
        for (long seq = 1; seq <= 20; seq++)
        {
            assertNull(s.load(seq));
        }
        assertEquals(SubjectState.empty("p.1"), s.subjectState("p.1"));
        assertNull(s.loadLast("p.1"));
        assertNull(s.loadNext(">", 1));
    }

    @Test
    void rm_11_purgeOfAnEmptyStoreRemovesNothing()
    {
        final StreamStore s = open();
        assertEquals(0, s.purge());
        assertEquals(state(0, 0, 1, 0, 0), s.state());
        assertEquals(0, s.purge());
        assertEquals(1, s.append("a", null, payload(1, 1)));
    }

    @Test
    void rm_12_purgeIsVisibleBeforeItsHooks()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 5; i++)
        {
            s.append("p", null, payload(10, i));
        }
        final List<String> seen = Collections.synchronizedList(new ArrayList<>());
        s.addListener(new StoreListener()
        {
            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                seen.add(seq + ":" + reason + ":" + (s.load(seq) == null) + ":" + s.state().msgs());
            }
        });
        s.purge();
        final List<String> sorted = new ArrayList<>(seen);
        Collections.sort(sorted);
        assertEquals(List.of("1:PURGED:true:0", "2:PURGED:true:0", "3:PURGED:true:0", "4:PURGED:true:0",
            "5:PURGED:true:0"), sorted);
    }

    @Test
    void rm_13_outOfOrderRemovalsLeaveTheOthersIntact()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 100; i++)
        {
            s.append("o." + (i % 5), null, payload(20, i));
        }
        for (long seq = 100; seq >= 2; seq -= 2)
        {
            assertTrue(s.remove(seq));
        }
        for (long seq = 1; seq <= 100; seq++)
        {
            if (seq % 2 == 0)
            {
                assertNull(s.load(seq));
            }
            else
            {
                assertMessage("odd", seq, "o." + (seq % 5), null, payload(20, seq), s.load(seq));
            }
        }
        assertEquals(state(50, 50 * 23, 1, 100, 5), s.state(), "lastSeq stays 100 though 100 was removed");
    }

    /** The broker's ack-commit pattern: republish on the removed message's subject from inside the hook. */
    static StoreListener republishOnRemoved(final StreamStore s, final List<Throwable> failures,
        final AtomicLong limitErrors, final Map<Thread, List<Long>> appendedByThread)
    {
        return new StoreListener()
        {
            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                if (reason != RemovalReason.REMOVED)
                {
                    return;
                }
                try
                {
                    final long appended = s.append(subject, null, bytes("hello"));
                    if (appendedByThread != null)
                    {
                        appendedByThread.computeIfAbsent(Thread.currentThread(), t -> new ArrayList<>()).add(appended);
                    }
                }
                catch (final LimitExceededException e)
                {
                    limitErrors.incrementAndGet();
                    failures.add(e);
                }
                catch (final Throwable e)
                {
                    failures.add(e);
                }
            }
        };
    }

    /**
     * NATS 2.10.17 bug #2 (nats-server#5702, fixed by #5761): a work-queue stream, one message per subject
     * with discardNewPerSubject, 16 workers that each fetch, ack (remove) and republish on the same subject.
     * Not one append may fail the per-subject limit because of the message just removed.
     *
     * <p>Runs under {@link SyncPolicy#never()}: the rule is about visibility, which no policy changes, and
     * 60,000 forced changes would take a durable backend minutes; rule rm_07 covers the hook under
     * {@link SyncPolicy#always()} on a small scale.
     */
    void seedScenario(final boolean appendInsideHook)
    {
        final StreamStore s = open(workQueueOnePerSubject());
        for (int i = 0; i < SEED_SUBJECTS; i++)
        {
            assertEquals(i + 1, s.append("queue." + i, null, bytes("hello")));
        }
        final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong limitErrors = new AtomicLong();
        final Map<Thread, List<Long>> appendedByThread = new ConcurrentHashMap<>();
        if (appendInsideHook)
        {
            s.addListener(republishOnRemoved(s, failures, limitErrors, appendedByThread));
        }
        for (int round = 1; round <= SEED_ROUNDS; round++)
        {
            final int r = round;
            runConcurrently("seed-round-" + round, SEED_THREADS, Duration.ofMinutes(2), t ->
            {
                final List<Long> mine = appendedByThread.computeIfAbsent(Thread.currentThread(), k -> new ArrayList<>());
                for (int i = t; i < SEED_SUBJECTS; i += SEED_THREADS)
                {
                    final String subject = "queue." + i;
                    final StoredMessage m = s.loadNext(subject, 1);
                    if (m == null)
                    {
                        failures.add(new AssertionError("round " + r + ": no message on " + subject));
                        continue;
                    }
                    if (!s.remove(m.seq()))
                    {
                        failures.add(new AssertionError("round " + r + ": remove(" + m.seq() + ") found nothing"));
                        continue;
                    }
                    if (!appendInsideHook)
                    {
                        try
                        {
                            mine.add(s.append(subject, null, bytes("hello")));
                        }
                        catch (final LimitExceededException e)
                        {
                            limitErrors.incrementAndGet();
                            failures.add(e);
                        }
                    }
                }
            });
            assertEquals(0, limitErrors.get(), "round " + round + ": LimitExceededException on republish after the " +
                "removal (first: " + (failures.isEmpty() ? "-" : failures.get(0)) + ")");
            assertEquals(List.of(), failures, "round " + round);
            assertEquals(SEED_SUBJECTS, s.state().msgs(), "round " + round + ": messages after the round");
        }
        final TreeSet<Long> all = new TreeSet<>();
        for (final Map.Entry<Thread, List<Long>> e : appendedByThread.entrySet())
        {
            final List<Long> seqs = e.getValue();
            for (int i = 1; i < seqs.size(); i++)
            {
                assertTrue(seqs.get(i) > seqs.get(i - 1),
                    "sequences one thread got must strictly increase: " + seqs.get(i - 1) + " then " + seqs.get(i));
            }
            all.addAll(seqs);
        }
        final int total = SEED_SUBJECTS * (SEED_ROUNDS + 1);
        assertEquals(SEED_SUBJECTS * SEED_ROUNDS, all.size(), "every republish got its own sequence");
        assertEquals(SEED_SUBJECTS + 1, all.first());
        assertEquals(total, all.last(), "no sequence skipped or reused");
        assertEquals(state(SEED_SUBJECTS, SEED_SUBJECTS * (long)("queue.".length() + 5) + digits(SEED_SUBJECTS),
            s.state().firstSeq(), total, SEED_SUBJECTS), s.state());
    }

    /** Total count of decimal digits of 0..n-1, the subject bytes beyond "queue." of the seed scenario. */
    static long digits(final int n)
    {
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += Integer.toString(i).length();
        }
        return sum;
    }
}
