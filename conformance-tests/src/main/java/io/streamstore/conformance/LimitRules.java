package io.streamstore.conformance;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.streamstore.conformance.KitAssertions.seqOf;
import static io.streamstore.conformance.KitAssertions.snapshot;
import static io.streamstore.conformance.KitAssertions.state;
import static io.streamstore.conformance.KitPayloads.bytes;
import static io.streamstore.conformance.KitPayloads.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code lim_*} rules: limits. {@link StreamStoreConformance} runs them as its nested class {@code Limits};
 * the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 */
abstract class LimitRules extends KitArea
{
    @Test
    void lim_01_maxMsgsDiscardOldKeepsTheNewest()
    {
        // NATS TestFileStoreMsgLimit.
        final StreamStore s = open(cfg().maxMsgs(10));
        for (int i = 1; i <= 11; i++)
        {
            s.append("foo", null, bytes("Hello World"));
        }
        assertEquals(state(10, 10 * 14, 2, 11, 1), s.state());
        assertNull(s.load(1));
    }

    @Test
    void lim_02_maxMsgsDiscardNewRefusesAndUsesNoSequence()
    {
        final StreamStore s = open(cfg().discard(Discard.NEW).maxMsgs(10));
        for (int i = 1; i <= 10; i++)
        {
            s.append("foo", null, payload(5, i));
        }
        final String before = snapshot(s);
        final LimitExceededException e =
            assertThrows(LimitExceededException.class, () -> s.append("foo", null, payload(5, 11)));
        assertEquals(LimitExceededException.Limit.MAX_MSGS, e.limit());
        assertEquals(before, snapshot(s), "a refused append changes nothing");
        s.remove(1);
        assertEquals(11, s.append("foo", null, payload(5, 11)), "the refused append used up no sequence");
    }

    @Test
    void lim_03_maxBytesDiscardOldEvictsTheOldest()
    {
        final StreamStore s = open(cfg().maxBytes(100));
        for (int i = 1; i <= 12; i++)
        {
            s.append("bb", null, payload(18, i)); // 20 bytes each
        }
        assertEquals(state(5, 100, 8, 12, 1), s.state());
        assertNull(s.load(7));
        assertEquals(8, seqOf(s.load(8)));
    }

    @Test
    void lim_04_maxBytesDiscardNewRefusesAndAllowsAnExactFit()
    {
        // NATS TestFileStoreBytesLimitWithDiscardNew.
        final StreamStore s = open(cfg().discard(Discard.NEW).maxBytes(100));
        int stored = 0;
        for (int i = 0; i < 10; i++)
        {
            try
            {
                s.append("tiny", null, payload(46, i)); // 50 bytes each: the first two fit exactly
                stored++;
            }
            catch (final LimitExceededException e)
            {
                assertEquals(LimitExceededException.Limit.MAX_BYTES, e.limit());
            }
        }
        assertEquals(2, stored);
        assertEquals(state(2, 100, 1, 2, 1), s.state());
    }

    @Test
    void lim_05_maxMsgsPerSubjectKeepsTheNewestOfEachSubject()
    {
        // NATS TestFileStoreMaxMsgsPerSubject.
        final StreamStore s = open(cfg().maxMsgsPerSubject(1));
        for (int round = 0; round < 2; round++)
        {
            for (int i = 1; i <= 100; i++)
            {
                s.append("kv." + i, null, payload(10, round * 100 + i));
            }
        }
        final StreamState st = s.state();
        assertEquals(100, st.msgs());
        assertEquals(101, st.firstSeq());
        assertEquals(200, st.lastSeq());
        assertEquals(0, st.numDeleted());
        assertEquals(100, st.numSubjects());
        assertEquals(new SubjectState("kv.7", 1, 107, 107), s.subjectState("kv.7"));
    }

    @Test
    void lim_06_perSubjectLimitLeavesOtherSubjectsAlone()
    {
        final StreamStore s = open(cfg().maxMsgsPerSubject(2));
        s.append("a", null, payload(2, 1));
        s.append("a", null, payload(2, 2));
        s.append("b", null, payload(2, 3));
        s.append("a", null, payload(2, 4));
        assertEquals(new SubjectState("a", 2, 2, 4), s.subjectState("a"));
        assertEquals(new SubjectState("b", 1, 3, 3), s.subjectState("b"));
        assertNull(s.load(1));
    }

    @Test
    void lim_07_discardNewPerSubjectRefusesTheAppend()
    {
        final StreamStore s = open(cfg().discard(Discard.NEW).maxMsgsPerSubject(1).discardNewPerSubject(true));
        s.append("a", null, payload(2, 1));
        final String before = snapshot(s);
        final LimitExceededException e =
            assertThrows(LimitExceededException.class, () -> s.append("a", null, payload(2, 2)));
        assertEquals(LimitExceededException.Limit.MAX_MSGS_PER_SUBJECT, e.limit());
        assertEquals(before, snapshot(s));
        assertEquals(2, s.append("b", null, payload(2, 3)), "other subjects are unaffected; no sequence used");
    }

    @Test
    void lim_08_maxMsgsAndDiscardNewPerSubjectTogether()
    {
        // NATS TestFileStoreMaxMsgsAndMaxMsgsPerSubject.
        final StreamStore s = open(cfg().discard(Discard.NEW).maxMsgs(100).maxMsgsPerSubject(1)
            .discardNewPerSubject(true));
        for (int i = 1; i <= 100; i++)
        {
            s.append("kv." + i, null, payload(4, i));
        }
        assertThrows(LimitExceededException.class, () -> s.append("kv.101", null, payload(4, 101)));
        for (int i = 1; i <= 100; i++)
        {
            final String subject = "kv." + i;
            assertThrows(LimitExceededException.class, () -> s.append(subject, null, payload(4, 0)));
        }
        final StreamState st = s.state();
        assertEquals(100, st.msgs());
        assertEquals(1, st.firstSeq());
        assertEquals(100, st.lastSeq());
    }

    @Test
    void lim_09_discardNewMaxMsgsCountsOnlyLiveMessages()
    {
        final StreamStore s = open(cfg().discard(Discard.NEW).maxMsgs(3));
        for (int i = 1; i <= 3; i++)
        {
            s.append("x", null, payload(2, i));
        }
        s.remove(2);
        assertEquals(4, s.append("x", null, payload(2, 4)), "a removal frees a slot at once");
        assertThrows(LimitExceededException.class, () -> s.append("x", null, payload(2, 5)));
    }

    @Test
    void lim_10_maxMsgSizeRefusesLargerMessagesCountingHeaders()
    {
        final StreamStore s = open(cfg().maxMsgSize(100));
        assertEquals(1, s.append("size", bytes("h".repeat(50)), payload(46, 1)), "exactly maxMsgSize fits");
        final String before = snapshot(s);
        final LimitExceededException e = assertThrows(LimitExceededException.class,
            () -> s.append("size", bytes("h".repeat(50)), payload(47, 2)));
        assertEquals(LimitExceededException.Limit.MAX_MSG_SIZE, e.limit());
        assertThrows(LimitExceededException.class, () -> s.append("size", null, payload(97, 3)));
        assertEquals(before, snapshot(s));
        assertEquals(2, s.append("size", null, payload(96, 4)));
    }

    @Test
    void lim_11_maxMsgSizeCountsUtf8SubjectBytes()
    {
        final StreamStore s = open(cfg().maxMsgSize(10));
        assertEquals(1, s.append("\u00e9.\u00e9", null, payload(5, 1)), "5 subject bytes + 5 = 10 fits");
        assertThrows(LimitExceededException.class, () -> s.append("\u00e9.\u00e9", null, payload(6, 2)));
    }

    @Test
    void lim_12_maxAgeExpiresMessagesWithoutAnyCall() throws InterruptedException
    {
        final StreamStore s = open(cfg().maxAge(Duration.ofMillis(300)));
        final CountDownLatch expired = new CountDownLatch(5);
        final List<RemovalReason> reasons = Collections.synchronizedList(new ArrayList<>());
        s.addListener(new StoreListener()
        {
            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                reasons.add(reason);
                expired.countDown();
            }
        });
        for (int i = 1; i <= 5; i++)
        {
            s.append("age." + i, null, payload(10, i));
        }
        // "within a second or so": 10 s leaves room for a loaded CI machine without calling the store.
        assertTrue(expired.await(10, TimeUnit.SECONDS),
            "messages past maxAge must expire without any call to the store; hooks seen: " + reasons);
        assertEquals(Collections.nCopies(5, RemovalReason.LIMIT_AGE), reasons);
        assertEquals(state(0, 0, 6, 5, 0), s.state());
    }

    @Test
    void lim_13_readsNeverReturnAnExpiredMessage() throws InterruptedException
    {
        final long maxAgeMillis = 500;
        final StreamStore s = open(cfg().maxAge(Duration.ofMillis(maxAgeMillis)));
        s.append("old", null, payload(10, 1));
        final long ts = s.load(1).timestamp();
        while (System.currentTimeMillis() * 1_000_000L <= ts + (maxAgeMillis + 20) * 1_000_000L)
        {
            Thread.sleep(5);
        }
        assertNull(s.load(1), "load returned an expired message");
        assertNull(s.loadNext(">", 1), "loadNext returned an expired message");
        assertNull(s.loadLast("old"), "loadLast returned an expired message");
        assertEquals(0, s.subjectState("old").msgs());
        assertEquals(0, s.state().msgs());
    }

    @Test
    void lim_14_limitsHoldAfterEveryAppend()
    {
        final StreamConfig config = cfg().maxMsgs(40).maxBytes(2000).maxMsgsPerSubject(6).build();
        final StreamStore s = open(config);
        final ReferenceModel model = new ReferenceModel(config);
        final Random r = new Random(14);
        for (int i = 0; i < 600; i++)
        {
            final String subject = "l." + r.nextInt(9);
            final byte[] p = payload(r.nextInt(100), i);
            assertEquals(model.append(subject, null, p), s.append(subject, null, p));
            final StreamState st = s.state();
            assertTrue(st.msgs() <= 40 && st.bytes() <= 2000 && s.subjectState(subject).msgs() <= 6,
                "limits broken after append " + i + ": " + st + " " + s.subjectState(subject));
            assertEquals(model.state(), st, "after append " + i);
        }
    }

    @Test
    void lim_15_oneLargeAppendEvictsAsManyAsNeeded()
    {
        final StreamStore s = open(cfg().maxBytes(1000));
        for (int i = 1; i <= 10; i++)
        {
            s.append("big", null, payload(97, i)); // 100 bytes each
        }
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        s.append("big", null, payload(447, 11)); // 450 bytes: the five oldest must go
        assertEquals(state(6, 950, 6, 11, 1), s.state());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L),
            hooks.events(HookRecorder.Kind.REMOVED).stream().map(HookRecorder.Event::seq).sorted().toList());
        assertTrue(hooks.events(HookRecorder.Kind.REMOVED).stream()
            .allMatch(e -> e.reason() == RemovalReason.LIMIT_BYTES));
    }

    @Test
    void lim_16_maxMsgsWithPerSubjectLimitEvictsOnlyWhatIsNeeded()
    {
        // NATS TestFileStoreFullStateTestSysRemovals.
        final StreamStore s = open(cfg().maxMsgs(10).maxMsgsPerSubject(1));
        s.append("A", null, payload(2, 1));
        s.append("B", null, payload(2, 2));
        s.append("A", null, payload(2, 3));
        s.append("B", null, payload(2, 4));
        assertEquals(2, s.state().msgs());
        assertEquals(3, s.state().firstSeq());
        assertEquals(4, s.state().lastSeq());
        for (int i = 0; i < 8; i++)
        {
            s.append("N." + i, null, payload(2, i));
        }
        assertEquals(10, s.state().msgs());
        assertEquals(3, s.state().firstSeq());
        assertEquals(12, s.state().lastSeq());
        s.append("Z", null, payload(2, 99));
        assertEquals(10, s.state().msgs());
        assertEquals(4, s.state().firstSeq());
        assertEquals(13, s.state().lastSeq());
    }

    @Test
    void lim_17_refusedAppendFiresNoHookAndUsesNoSequence()
    {
        final StreamStore s = open(cfg().discard(Discard.NEW).maxBytes(50));
        s.append("r", null, payload(40, 1));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        for (int i = 0; i < 5; i++)
        {
            assertThrows(LimitExceededException.class, () -> s.append("r", null, payload(40, 2)));
        }
        assertEquals(List.of(), hooks.changes());
        assertEquals(1, s.state().lastSeq());
        assertEquals(2, s.append("r", null, payload(8, 3)));
    }
}
