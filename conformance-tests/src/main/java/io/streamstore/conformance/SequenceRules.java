package io.streamstore.conformance;

import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static io.streamstore.conformance.KitAssertions.assertMessage;
import static io.streamstore.conformance.KitAssertions.seqOf;
import static io.streamstore.conformance.KitAssertions.state;
import static io.streamstore.conformance.KitPayloads.bytes;
import static io.streamstore.conformance.KitPayloads.payload;
import static io.streamstore.conformance.KitPayloads.size;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code seq_*} rules: sequences and ordering. {@link StreamStoreConformance} runs them as its nested class
 * {@code Sequences}; the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 */
abstract class SequenceRules extends KitArea
{
    @Test
    void seq_01_firstAppendReturnsOne()
    {
        final StreamStore s = open();
        assertEquals(1, s.append("a.b", null, payload(10, 1)));
    }

    @Test
    void seq_02_freshStoreIsEmptyWithFirstSeqOne()
    {
        final StreamStore s = open();
        assertEquals(state(0, 0, 1, 0, 0), s.state());
    }

    @Test
    void seq_03_noReuseAfterPurge()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 5; i++)
        {
            assertEquals(i, s.append("a." + i, null, payload(8, i)));
        }
        assertEquals(5, s.purge());
        assertEquals(state(0, 0, 6, 5, 0), s.state(), "after purge: empty, firstSeq = lastSeq + 1");
        assertEquals(6, s.append("a.1", null, payload(8, 6)), "the first append after purge continues at lastSeq + 1");
        assertEquals(7, s.append("a.1", null, payload(8, 7)));
        assertEquals(6, s.state().firstSeq());
    }

    @Test
    void seq_04_eachAppendReturnsPreviousLastSeqPlusOne()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 300; i++)
        {
            assertEquals(i, s.append("s." + (i % 7), i % 3 == 0 ? null : bytes("h" + i), payload(i % 50, i)));
            assertEquals(i, s.state().lastSeq());
        }
    }

    @Test
    void seq_05_noReuseAfterRemovingTheNewest()
    {
        final StreamStore s = open();
        s.append("a", null, payload(4, 1));
        s.append("a", null, payload(4, 2));
        s.append("a", null, payload(4, 3));
        assertTrue(s.remove(3));
        assertEquals(3, s.state().lastSeq(), "lastSeq never goes down");
        assertEquals(4, s.append("a", null, payload(4, 4)));
    }

    @Test
    void seq_06_noReuseAfterRemovingEveryMessage()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 10; i++)
        {
            s.append("foo", null, payload(5, i));
        }
        for (int i = 1; i <= 10; i++)
        {
            assertTrue(s.remove(i));
        }
        assertEquals(state(0, 0, 11, 10, 0), s.state());
        assertEquals(11, s.append("foo", null, payload(5, 11)));
    }

    @Test
    void seq_07_noReuseAfterCompact()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 10; i++)
        {
            s.append("foo", null, payload(50, i));
        }
        for (int i = 1; i <= 10; i++)
        {
            s.remove(i);
        }
        assertNotNull(s.compact(), "compact() returns a result, CompactionResult.NOTHING when it did nothing");
        assertEquals(11, s.state().firstSeq());
        assertEquals(11, s.append("foo", null, payload(50, 11)));
    }

    @Test
    void seq_08_firstSeqIsTheLowestLiveSequence()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 10; i++)
        {
            s.append("foo", null, payload(5, i));
        }
        s.remove(5);
        assertEquals(1, s.state().firstSeq(), "an interior removal keeps firstSeq");
        s.remove(1);
        assertEquals(2, s.state().firstSeq());
        s.remove(2);
        s.remove(3);
        s.remove(4);
        assertEquals(6, s.state().firstSeq(), "firstSeq skips the earlier removed 5");
    }

    @Test
    void seq_09_firstSeqSkipsARemovedRangeAcrossBlocks()
    {
        // NATS TestFileStoreSelectNextFirst.
        final StreamStore s = open();
        for (int i = 1; i <= 10; i++)
        {
            s.append("zzz", null, bytes("Hello World"));
        }
        for (int i = 2; i <= 7; i++)
        {
            assertTrue(s.remove(i));
        }
        assertEquals(4, s.state().msgs());
        assertEquals(1, s.state().firstSeq());
        s.remove(1);
        assertEquals(3, s.state().msgs());
        assertEquals(8, s.state().firstSeq());
    }

    @Test
    void seq_10_numDeletedCountsInteriorGaps()
    {
        // NATS TestFileStoreStreamStateDeleted.
        final StreamStore s = open();
        for (int i = 1; i <= 10; i++)
        {
            s.append("foo", null, payload(10, i));
        }
        for (final long seq : new long[]{2, 4, 6, 8})
        {
            s.remove(seq);
        }
        assertEquals(4, s.state().numDeleted());
        s.remove(1);
        s.remove(3);
        assertEquals(5, s.state().firstSeq());
        assertEquals(2, s.state().numDeleted(), "numDeleted = lastSeq - firstSeq + 1 - msgs");
        s.purge();
        assertEquals(0, s.state().numDeleted(), "numDeleted is 0 when empty");
    }

    @Test
    void seq_11_timestampsAreEpochNanosAndNeverGoBackwards()
    {
        final StreamStore s = open();
        final long before = System.currentTimeMillis();
        for (int i = 1; i <= 500; i++)
        {
            s.append("t." + (i % 3), null, payload(3, i));
        }
        final long after = System.currentTimeMillis();
        long previous = Long.MIN_VALUE;
        for (long seq = 1; seq <= 500; seq++)
        {
            final long ts = s.load(seq).timestamp();
            assertTrue(ts >= previous, "timestamp of " + seq + " went backwards: " + ts + " < " + previous);
            final long millis = ts / 1_000_000;
            assertTrue(millis >= before - 60_000 && millis <= after + 60_000,
                "timestamp " + ts + " of " + seq + " is not epoch nanoseconds near now (" + before + " ms)");
            previous = ts;
        }
    }

    @Test
    void seq_12_loadReturnsExactlyWhatWasAppended()
    {
        final StreamStore s = open();
        final byte[] headers = bytes("Nats-Msg-Id: 42\r\n");
        final byte[] payload = payload(1000, 7);
        s.append("orders.eu.42", headers, payload);
        s.append("orders.us.1", null, payload(3, 8));
        s.append("orders.eu.42", new byte[0], new byte[0]);
        assertMessage("seq 1", 1, "orders.eu.42", headers, payload, s.load(1));
        assertMessage("seq 2, null headers read back as empty", 2, "orders.us.1", null, payload(3, 8), s.load(2));
        assertMessage("seq 3, empty payload", 3, "orders.eu.42", new byte[0], new byte[0], s.load(3));
        assertEquals(size("orders.eu.42", headers, payload), s.load(1).size());
    }

    @Test
    void seq_13_stateCountsSubjectHeadersAndPayloadBytes()
    {
        final StreamStore s = open();
        s.append("ab.c", bytes("hdr"), payload(10, 1));
        assertEquals(4 + 3 + 10, s.state().bytes());
        s.append("\u00e9.\u65e5", null, payload(5, 2));
        assertEquals(17 + 2 + 1 + 3 + 5, s.state().bytes(), "subjects count in UTF-8 bytes");
        s.remove(1);
        assertEquals(11, s.state().bytes());
    }

    @Test
    void seq_14_loadOfASequenceNeverStoredIsNull()
    {
        final StreamStore s = open();
        assertNull(s.load(1));
        s.append("a", null, payload(1, 1));
        assertNull(s.load(2));
        assertNull(s.load(1_000_000));
        assertNull(s.load(Long.MAX_VALUE));
    }

    @Test
    void seq_15_subjectStateStaysConsistentThroughRemovesAndAppends()
    {
        // NATS TestStoreSubjectStateConsistency.
        final StreamStore s = open();
        final String foo = "foo";
        for (int i = 0; i < 4; i++)
        {
            s.append(foo, null, bytes("Hello World"));
        }
        assertSubject(s, foo, 4, 1, 4);
        s.remove(1);
        assertSubject(s, foo, 3, 2, 4);
        s.remove(4);
        assertSubject(s, foo, 2, 2, 3);
        s.remove(2);
        assertSubject(s, foo, 1, 3, 3);
        for (int i = 0; i < 3; i++)
        {
            s.append(foo, null, bytes("Hello World"));
        }
        assertSubject(s, foo, 4, 3, 7);
        s.remove(7);
        s.remove(3);
        s.remove(5);
        assertSubject(s, foo, 1, 6, 6);
        assertEquals(8, s.append(foo, null, bytes("x")));
        s.remove(8);
        assertEquals(9, s.append(foo, null, bytes("x")));
        assertSubject(s, foo, 2, 6, 9);
    }

    private void assertSubject(final StreamStore s, final String subject, final long msgs, final long first,
        final long last)
    {
        assertEquals(new SubjectState(subject, msgs, first, last), s.subjectState(subject));
        assertEquals(first, seqOf(s.loadNext(subject, 1)), "loadNext agrees with subjectState.firstSeq");
        assertEquals(last, seqOf(s.loadLast(subject)), "loadLast agrees with subjectState.lastSeq");
    }

    @Test
    void seq_16_appendKeepsNoReferenceToTheCallersArraysThatReadsCanSee()
    {
        final StreamStore s = open();
        final byte[] headers = bytes("h1");
        final byte[] payload = payload(16, 3);
        final byte[] expected = payload.clone();
        s.append("a.b", headers, payload);
        Arrays.fill(payload, (byte)0);
        Arrays.fill(headers, (byte)0);
        assertArrayEquals(expected, s.load(1).payload(),
            "a caller reusing its buffer after append returned must not change the stored message");
        assertArrayEquals(bytes("h1"), s.load(1).headers());
    }
}
