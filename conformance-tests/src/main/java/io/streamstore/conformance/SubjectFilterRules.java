package io.streamstore.conformance;

import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.Subjects;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.streamstore.conformance.KitAssertions.assertMessage;
import static io.streamstore.conformance.KitAssertions.assertRejected;
import static io.streamstore.conformance.KitAssertions.seqOf;
import static io.streamstore.conformance.KitAssertions.walk;
import static io.streamstore.conformance.KitPayloads.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The {@code sub_*} rules: subjects and filters. {@link StreamStoreConformance} runs them as its nested class
 * {@code SubjectsAndFilters}; the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 */
abstract class SubjectFilterRules extends KitArea
{
    @Test
    void sub_01_invalidSubjectIsRejectedAndNothingIsStored()
    {
        final StreamStore s = open();
        s.append("ok", null, payload(2, 1));
        for (final String bad : new String[]{"", ".", "a..b", ".a", "a.", "a b", "a\tb", "a\nb", "a\u0000b",
            "a.*", "a.>", "*", ">", "a*b", "a.b>", " a"})
        {
            assertRejected(s, "subject", () -> s.append(bad, null, payload(2, 2)));
        }
        assertEquals(2, s.append("ok", null, payload(2, 3)), "no sequence was used up by the rejected appends");
    }

    @Test
    void sub_02_literalFilterMatchesOnlyThatSubject()
    {
        final StreamStore s = open();
        s.append("a.b", null, payload(1, 1));
        s.append("a.b.c", null, payload(1, 2));
        s.append("a.bc", null, payload(1, 3));
        s.append("a.b", null, payload(1, 4));
        assertEquals(List.of(1L, 4L), walk(s, "a.b"));
    }

    @Test
    void sub_03_starMatchesExactlyOneToken()
    {
        final StreamStore s = open();
        for (final String subject : new String[]{"a", "a.b", "a.c", "a.b.c", "b.a", "a.b.d"})
        {
            s.append(subject, null, payload(1, 1));
        }
        assertEquals(List.of(2L, 3L), walk(s, "a.*"));
        assertEquals(List.of(4L, 6L), walk(s, "a.*.*"));
        assertEquals(List.of(4L), walk(s, "*.*.c"));
        assertEquals(List.of(1L), walk(s, "*"));
    }

    @Test
    void sub_04_gtMatchesOneOrMoreTrailingTokens()
    {
        final StreamStore s = open();
        for (final String subject : new String[]{"a", "a.b", "a.b.c", "ab.c", "b.a.b"})
        {
            s.append(subject, null, payload(1, 1));
        }
        assertEquals(List.of(2L, 3L), walk(s, "a.>"), "'a.>' does not match 'a' (one or more tokens)");
        assertEquals(List.of(3L), walk(s, "a.b.>"));
        assertEquals(List.of(3L, 5L), walk(s, "*.*.>"));
    }

    @Test
    void sub_05_allFilterMatchesEverySubject()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 20; i++)
        {
            s.append("x." + i + (i % 2 == 0 ? ".y" : ""), null, payload(1, i));
        }
        assertEquals(20, walk(s, Subjects.ALL).size());
    }

    @Test
    void sub_06_loadNextStartsAtFromSeqInclusive()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 10; i++)
        {
            s.append("n." + (i % 2), null, payload(1, i));
        }
        assertEquals(4, seqOf(s.loadNext("n.0", 4)));
        assertEquals(6, seqOf(s.loadNext("n.0", 5)));
        assertEquals(5, seqOf(s.loadNext(">", 5)));
        assertEquals(1, seqOf(s.loadNext("n.1", 1)));
    }

    @Test
    void sub_07_loadNextSkipsRemovedMessages()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 10; i++)
        {
            s.append("r", null, payload(1, i));
        }
        s.remove(3);
        s.remove(4);
        assertEquals(5, seqOf(s.loadNext("r", 3)));
        s.remove(1);
        assertEquals(2, seqOf(s.loadNext(">", 1)));
    }

    @Test
    void sub_08_loadNextIsNullWhenNothingMatches()
    {
        final StreamStore s = open();
        assertNull(s.loadNext(">", 1), "empty store");
        s.append("a.b", null, payload(1, 1));
        assertNull(s.loadNext(">", 2), "past the end");
        assertNull(s.loadNext("a.c", 1), "no such subject");
        assertNull(s.loadNext("a.b.>", 1), "'>' needs at least one more token");
    }

    @Test
    void sub_09_loadLastIsTheNewestLiveMessageOnExactlyThatSubject()
    {
        final StreamStore s = open();
        s.append("a.b", null, payload(1, 1));
        s.append("a.b.c", null, payload(1, 2));
        s.append("a.b", null, payload(1, 3));
        s.append("a.b.c", null, payload(1, 4));
        assertMessage("loadLast", 3, "a.b", null, payload(1, 3), s.loadLast("a.b"));
        s.remove(3);
        assertEquals(1, seqOf(s.loadLast("a.b")));
        s.remove(1);
        assertNull(s.loadLast("a.b"));
        assertNull(s.loadLast("z"));
    }

    @Test
    void sub_10_subjectStateIsNeverNull()
    {
        final StreamStore s = open();
        assertEquals(SubjectState.empty("none.here"), s.subjectState("none.here"));
        s.append("x", null, payload(1, 1));
        s.remove(1);
        assertEquals(new SubjectState("x", 0, 0, 0), s.subjectState("x"));
    }

    @Test
    void sub_11_subjectStateCountsOnlyThatExactSubject()
    {
        final StreamStore s = open();
        s.append("a", null, payload(1, 1));
        s.append("a.b", null, payload(1, 2));
        s.append("a", null, payload(1, 3));
        s.append("a.b.c", null, payload(1, 4));
        assertEquals(new SubjectState("a", 2, 1, 3), s.subjectState("a"));
        assertEquals(new SubjectState("a.b", 1, 2, 2), s.subjectState("a.b"));
    }

    @Test
    void sub_12_numSubjectsCountsDistinctLiveSubjects()
    {
        final StreamStore s = open();
        s.append("a", null, payload(1, 1));
        s.append("b", null, payload(1, 2));
        s.append("a", null, payload(1, 3));
        s.append("c", null, payload(1, 4));
        assertEquals(3, s.state().numSubjects());
        s.remove(2);
        assertEquals(2, s.state().numSubjects());
        s.remove(1);
        assertEquals(2, s.state().numSubjects(), "'a' still has seq 3");
        s.purge();
        assertEquals(0, s.state().numSubjects());
    }

    @Test
    void sub_13_unicodeSubjectsWorkAndCountUtf8Bytes()
    {
        final StreamStore s = open();
        final String subject = "\u00fc.\u65e5\u672c.\uD83D\uDE00";
        s.append(subject, null, payload(4, 1));
        assertEquals(2 + 1 + 6 + 1 + 4 + 4, s.state().bytes());
        assertEquals(1, seqOf(s.loadLast(subject)));
        assertEquals(1, seqOf(s.loadNext("\u00fc.*.>", 1)));
        assertEquals(1, s.subjectState(subject).msgs());
    }

    @Test
    void sub_14_subjectsUpToMaxLengthAreAcceptedLongerAreRejected()
    {
        final StreamStore s = open();
        final String longest = "a".repeat(Subjects.MAX_SUBJECT_BYTES - 2) + ".b";
        assertEquals(1, s.append(longest, null, payload(1, 1)));
        assertEquals(1, seqOf(s.loadLast(longest)));
        final String tooLong = "a".repeat(Subjects.MAX_SUBJECT_BYTES - 1) + ".b";
        assertRejected(s, "subject", () -> s.append(tooLong, null, payload(1, 2)));
    }

    @Test
    void sub_15_subjectsAreCaseSensitive()
    {
        final StreamStore s = open();
        s.append("Orders.EU", null, payload(1, 1));
        s.append("orders.eu", null, payload(1, 2));
        assertEquals(1, s.subjectState("orders.eu").msgs());
        assertEquals(2, seqOf(s.loadLast("orders.eu")));
        assertEquals(List.of(1L), walk(s, "Orders.*"));
    }

    @Test
    void sub_16_filterWalksAgreeWithTheModelOverManySubjects()
    {
        final StreamStore s = open();
        final ReferenceModel model = new ReferenceModel(cfg().build());
        final Random r = new Random(16);
        final String[] tokens = {"a", "b", "c"};
        for (int i = 0; i < 400; i++)
        {
            final StringBuilder subject = new StringBuilder(tokens[r.nextInt(3)]);
            final int depth = r.nextInt(3);
            for (int d = 0; d < depth; d++)
            {
                subject.append('.').append(tokens[r.nextInt(3)]);
            }
            final byte[] p = payload(4, i);
            assertEquals(model.append(subject.toString(), null, p), s.append(subject.toString(), null, p));
            if (r.nextInt(4) == 0)
            {
                final long victim = 1 + r.nextInt(i + 1);
                assertEquals(model.remove(victim), s.remove(victim));
            }
        }
        for (final String filter : new String[]{">", "a", "a.>", "*.b", "*.*.c", "b.*.>", "c.c.c", "*", "*.>"})
        {
            final List<Long> expected = new ArrayList<>();
            for (ReferenceModel.Msg m = model.loadNext(filter, 1); m != null; m = model.loadNext(filter, m.seq() + 1))
            {
                expected.add(m.seq());
            }
            assertEquals(expected, walk(s, filter), "walk of filter " + filter);
        }
    }
}
