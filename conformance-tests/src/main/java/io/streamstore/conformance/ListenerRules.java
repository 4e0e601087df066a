package io.streamstore.conformance;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.streamstore.conformance.KitAssertions.state;
import static io.streamstore.conformance.KitPayloads.payload;
import static io.streamstore.conformance.KitThreads.runConcurrently;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code lst_*} rules: listener order and reasons. {@link StreamStoreConformance} runs them as its nested
 * class {@code Listeners}; the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 */
abstract class ListenerRules extends KitArea
{
    @Test
    void lst_01_onAppendedFiresForEachAppendInOrder()
    {
        final StreamStore s = open();
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        for (int i = 1; i <= 20; i++)
        {
            s.append("l." + (i % 3), null, payload(2, i));
        }
        final List<HookRecorder.Event> appended = hooks.events(HookRecorder.Kind.APPENDED);
        assertEquals(20, appended.size());
        for (int i = 0; i < 20; i++)
        {
            assertEquals(i + 1, appended.get(i).seq());
            assertEquals("l." + ((i + 1) % 3), appended.get(i).subject());
        }
    }

    @Test
    void lst_02_removeReportsReasonRemoved()
    {
        final StreamStore s = open();
        s.append("a.b", null, payload(2, 1));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        s.remove(1);
        assertEquals("[REMOVED(1, a.b, REMOVED)]", hooks.changes().toString());
    }

    @Test
    void lst_03_purgeReportsEveryMessageWithReasonPurged()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 6; i++)
        {
            s.append("p." + i, null, payload(2, i));
        }
        s.remove(4);
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        s.purge();
        final Set<String> got = new TreeSet<>();
        for (final HookRecorder.Event e : hooks.changes())
        {
            got.add(e.toString());
        }
        assertEquals(5, hooks.changes().size(), "one hook per purged message");
        assertEquals(new TreeSet<>(List.of("REMOVED(1, p.1, PURGED)", "REMOVED(2, p.2, PURGED)",
            "REMOVED(3, p.3, PURGED)", "REMOVED(5, p.5, PURGED)", "REMOVED(6, p.6, PURGED)")), got);
    }

    @Test
    void lst_04_maxMsgsEvictionReportsLimitMsgs()
    {
        final StreamStore s = open(cfg().maxMsgs(3));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        for (int i = 1; i <= 5; i++)
        {
            s.append("e." + i, null, payload(2, i));
        }
        assertEquals(List.of("REMOVED(1, e.1, LIMIT_MSGS)", "REMOVED(2, e.2, LIMIT_MSGS)"),
            hooks.events(HookRecorder.Kind.REMOVED).stream().map(Object::toString).toList());
    }

    @Test
    void lst_05_maxBytesEvictionReportsLimitBytes()
    {
        final StreamStore s = open(cfg().maxBytes(30));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        for (int i = 1; i <= 4; i++)
        {
            s.append("b", null, payload(9, i)); // 10 bytes each
        }
        assertEquals(List.of("REMOVED(1, b, LIMIT_BYTES)"),
            hooks.events(HookRecorder.Kind.REMOVED).stream().map(Object::toString).toList());
        assertEquals(30, s.state().bytes());
    }

    @Test
    void lst_06_perSubjectEvictionReportsLimitPerSubject()
    {
        final StreamStore s = open(cfg().maxMsgsPerSubject(1));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        s.append("kv.a", null, payload(2, 1));
        s.append("kv.b", null, payload(2, 2));
        s.append("kv.a", null, payload(2, 3));
        assertEquals(List.of("REMOVED(1, kv.a, LIMIT_PER_SUBJECT)"),
            hooks.events(HookRecorder.Kind.REMOVED).stream().map(Object::toString).toList());
    }

    @Test
    void lst_07_hooksRunOnTheThreadThatMadeTheChange()
    {
        final StreamStore s = open(cfg().maxMsgs(2));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        for (int i = 1; i <= 4; i++)
        {
            s.append("t", null, payload(2, i));
        }
        s.remove(4);
        s.purge();
        assertFalse(hooks.events().isEmpty());
        for (final HookRecorder.Event e : hooks.changes())
        {
            assertSame(Thread.currentThread(), e.thread(), "hook " + e + " ran on " + e.thread().getName());
        }
    }

    @Test
    void lst_08_everyListenerSeesEveryChangeInTheSameOrder()
    {
        final StreamStore s = open(cfg().maxMsgs(5));
        final HookRecorder[] hooks = {new HookRecorder(), new HookRecorder(), new HookRecorder()};
        for (final HookRecorder h : hooks)
        {
            s.addListener(h);
        }
        for (int i = 1; i <= 12; i++)
        {
            s.append("o." + (i % 2), null, payload(2, i));
            if (i % 4 == 0)
            {
                s.remove(i - 1);
            }
        }
        s.purge();
        assertTrue(hooks[0].changes().size() >= 12 + 3);
        assertEquals(hooks[0].changes().toString(), hooks[1].changes().toString());
        assertEquals(hooks[0].changes().toString(), hooks[2].changes().toString());
    }

    @Test
    void lst_09_listenerAddedLaterSeesOnlyLaterChanges()
    {
        final StreamStore s = open();
        s.append("a", null, payload(2, 1));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        s.append("a", null, payload(2, 2));
        assertEquals("[APPENDED(2, a)]", hooks.changes().toString());
    }

    @Test
    void lst_10_throwingListenerUndoesNothingAndOthersStillRun()
    {
        final StreamStore s = open();
        s.addListener(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                throw new IllegalStateException("kit: a listener that throws (expected in the log)");
            }

            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                throw new IllegalStateException("kit: a listener that throws (expected in the log)");
            }
        });
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        assertEquals(1, s.append("x", null, payload(2, 1)), "the append stands and returns normally");
        assertTrue(s.remove(1), "the remove stands and returns normally");
        assertEquals(2, s.append("x", null, payload(2, 2)));
        assertEquals(1, s.state().msgs());
        assertEquals("[APPENDED(1, x), REMOVED(1, x, REMOVED), APPENDED(2, x)]", hooks.changes().toString());
    }

    @Test
    void lst_11_refusedAppendsAndEmptyRemovesFireNoHook()
    {
        final StreamStore s = open(cfg().discard(Discard.NEW).maxMsgs(1).maxMsgSize(10));
        s.append("a", null, payload(2, 1));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        assertThrows(LimitExceededException.class, () -> s.append("a", null, payload(2, 2)));
        assertThrows(LimitExceededException.class, () -> s.append("a", null, payload(20, 2)));
        assertThrows(IllegalArgumentException.class, () -> s.append("a b", null, payload(2, 2)));
        assertFalse(s.remove(5));
        assertEquals(List.of(), hooks.changes());
    }

    @Test
    void lst_12_hookMayCallBackIntoTheStoreAndItsHooksRunAfterItReturns()
    {
        final StreamStore s = open();
        final List<String> trace = Collections.synchronizedList(new ArrayList<>());
        s.addListener(new StoreListener()
        {
            @Override
            public void onAppended(final long seq, final String subject)
            {
                trace.add("enter " + seq);
                if (subject.equals("trigger"))
                {
                    trace.add("nested append returned " + s.append("echo", null, payload(2, seq)));
                }
                trace.add("exit " + seq);
            }
        });
        assertEquals(1, s.append("trigger", null, payload(2, 0)));
        assertEquals(List.of("enter 1", "nested append returned 2", "exit 1", "enter 2", "exit 2"), trace);
        assertEquals(2, s.state().msgs());
    }

    @Test
    void lst_13_removalHookMayRemoveMoreWithoutDeadlock()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 50; i++)
        {
            s.append("c", null, payload(2, i));
        }
        final HookRecorder hooks = new HookRecorder();
        s.addListener(new StoreListener()
        {
            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                if (seq < 50)
                {
                    s.remove(seq + 1);
                }
            }
        });
        s.addListener(hooks);
        runConcurrently("chained-removal", 1, Duration.ofSeconds(60), t -> s.remove(1));
        assertEquals(state(0, 0, 51, 50, 0), s.state());
        final List<HookRecorder.Event> removed = hooks.events(HookRecorder.Kind.REMOVED);
        assertEquals(50, removed.size());
        for (int i = 0; i < 50; i++)
        {
            assertEquals(i + 1, removed.get(i).seq(), "chained removals are reported in the order they happened");
        }
    }

    @Test
    void lst_14_onDurableReportsRisingSequencesOnADurableStore() throws InterruptedException
    {
        assumeDurable("lst_14");
        final StreamStore s = open();
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        for (int i = 1; i <= 20; i++)
        {
            s.append("d", null, payload(4, i));
            if (i % 5 == 0)
            {
                s.sync();
            }
        }
        s.remove(20);
        s.sync();
        assertTrue(hooks.awaitDurable(20, 10_000),
            "after sync() onDurable must report every change up to lastSeq 20; reported: " + hooks.durable());
        final List<Long> seen = hooks.durable();
        for (int i = 1; i < seen.size(); i++)
        {
            // Non-decreasing rather than strictly higher: a sync that covers only a removal has no higher seq.
            assertTrue(seen.get(i) >= seen.get(i - 1), "onDurable must never report a lower upToSeq: " + seen);
        }
    }

    @Test
    void lst_15_storeThatIsNotDurableNeverCallsOnDurable()
    {
        assumeTrue(!provider().durable(),
            provider().name() + " is durable: rule lst_15 applies to backends that are not durable only");
        final StreamStore s = open(cfg().sync(SyncPolicy.always()));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        s.append("d", null, payload(4, 1));
        s.remove(1);
        s.sync();
        s.close();
        assertEquals(List.of(), hooks.durable(), "a memory store never calls onDurable");
    }
}
