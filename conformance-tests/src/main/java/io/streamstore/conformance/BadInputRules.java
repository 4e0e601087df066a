package io.streamstore.conformance;

import io.streamstore.spi.StreamStore;
import io.streamstore.spi.Subjects;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.streamstore.conformance.KitAssertions.assertRejected;
import static io.streamstore.conformance.KitAssertions.snapshot;
import static io.streamstore.conformance.KitPayloads.bytes;
import static io.streamstore.conformance.KitPayloads.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code bad_*} rules: bad input. {@link StreamStoreConformance} runs them as its nested class
 * {@code BadInput}; the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 */
abstract class BadInputRules extends KitArea
{
    private StreamStore withMessages()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 5; i++)
        {
            s.append("b." + i, bytes("h"), payload(10, i));
        }
        s.remove(2);
        return s;
    }

    private void assertNextAppendContinues(final StreamStore s, final HookRecorder hooks)
    {
        assertEquals(List.of(), hooks.changes(), "a rejected call fires no hook");
        assertEquals(6, s.append("b.ok", null, payload(1, 6)), "a rejected call used up no sequence");
    }

    @Test
    void bad_01_appendWithNullSubject()
    {
        final StreamStore s = withMessages();
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        assertRejected(s, "subject", () -> s.append(null, null, payload(1, 1)));
        assertRejected(s, "subject", () -> s.append(null, payload(1, 1)));
        assertNextAppendContinues(s, hooks);
    }

    @Test
    void bad_02_appendWithNullPayload()
    {
        final StreamStore s = withMessages();
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        assertRejected(s, "payload", () -> s.append("b.x", null, null));
        assertRejected(s, "payload", () -> s.append("b.x", bytes("h"), null));
        assertNextAppendContinues(s, hooks);
    }

    @Test
    void bad_03_loadOfSequenceBelowOne()
    {
        final StreamStore s = withMessages();
        for (final long seq : new long[]{0, -1, Long.MIN_VALUE})
        {
            assertRejected(s, "seq", () -> s.load(seq));
        }
    }

    @Test
    void bad_04_loadNextWithNullFilter()
    {
        final StreamStore s = withMessages();
        assertRejected(s, "filter", () -> s.loadNext(null, 1));
    }

    @Test
    void bad_05_loadNextWithMalformedFilter()
    {
        final StreamStore s = withMessages();
        for (final String bad : new String[]{"", "a..b", ".a", "a.", "a.>.b", "a b", "a*", "b.>x", "\u0000"})
        {
            assertRejected(s, "filter", () -> s.loadNext(bad, 1));
        }
    }

    @Test
    void bad_06_loadNextFromSequenceBelowOne()
    {
        final StreamStore s = withMessages();
        for (final long seq : new long[]{0, -1, Long.MIN_VALUE})
        {
            assertRejected(s, "fromSeq", () -> s.loadNext(">", seq));
        }
    }

    @Test
    void bad_07_loadLastWithNullOrInvalidSubject()
    {
        final StreamStore s = withMessages();
        for (final String bad : new String[]{null, "", "b.*", "b.>", ">", "a..b", "a b"})
        {
            assertRejected(s, "subject", () -> s.loadLast(bad));
        }
    }

    @Test
    void bad_08_removeOfSequenceBelowOne()
    {
        final StreamStore s = withMessages();
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        for (final long seq : new long[]{0, -1, Long.MIN_VALUE})
        {
            assertRejected(s, "seq", () -> s.remove(seq));
        }
        assertNextAppendContinues(s, hooks);
    }

    @Test
    void bad_09_subjectStateWithNullOrInvalidSubject()
    {
        final StreamStore s = withMessages();
        for (final String bad : new String[]{null, "", "b.*", "b.>", "a..b", "a\tb"})
        {
            assertRejected(s, "subject", () -> s.subjectState(bad));
        }
    }

    @Test
    void bad_10_addListenerWithNull()
    {
        final StreamStore s = withMessages();
        assertRejected(s, "listener", () -> s.addListener(null));
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        s.append("b.6", null, payload(1, 6));
        assertEquals(1, hooks.changes().size(), "the store still delivers hooks after the rejected null");
    }

    @Test
    void bad_11_openWithNullConfig()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> provider().open(kitDir.resolve("null-config"), null));
        assertTrue(e.getMessage() != null && e.getMessage().contains("config"),
            "the message must name 'config', was: " + e.getMessage());
    }

    @Test
    void bad_12_openWithNullDirectory()
    {
        assumeDurable("bad_12");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> provider().open(null, cfg().build()));
        assertTrue(e.getMessage() != null && e.getMessage().contains("director"),
            "the message must name 'directory', was: " + e.getMessage());
    }

    @Test
    void bad_13_hugeSequencesAreNotErrors()
    {
        final StreamStore s = withMessages();
        final String before = snapshot(s);
        assertNull(s.load(Long.MAX_VALUE));
        assertFalse(s.remove(Long.MAX_VALUE));
        assertNull(s.loadNext(">", Long.MAX_VALUE));
        assertEquals(before, snapshot(s));
    }

    @Test
    void bad_14_appendWithInvalidSubjectUsesNoSequence()
    {
        final StreamStore s = withMessages();
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        for (final String bad : new String[]{"", "a..b", "a.*", "a.>", "a b", "x".repeat(Subjects.MAX_SUBJECT_BYTES + 1)})
        {
            assertRejected(s, "subject", () -> s.append(bad, null, payload(1, 1)));
        }
        assertNextAppendContinues(s, hooks);
    }
}
