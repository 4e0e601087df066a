package io.streamstore.conformance;

import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.Subjects;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions on what a store shows, shared by every area. */
final class KitAssertions
{
    private KitAssertions()
    {
    }

    static void assertMessage(final String context, final long seq, final String subject, final byte[] headers,
        final byte[] payload, final StoredMessage actual)
    {
        assertNotNull(actual, context + ": expected message " + seq + " on " + subject + ", got null");
        assertEquals(seq, actual.seq(), context + ": seq");
        assertEquals(subject, actual.subject(), context + ": subject of " + seq);
        assertArrayEquals(headers == null ? new byte[0] : headers, actual.headers(), context + ": headers of " + seq);
        assertArrayEquals(payload, actual.payload(), context + ": payload of " + seq);
    }

    static void assertMessage(final String context, final ReferenceModel.Msg expected, final StoredMessage actual)
    {
        if (expected == null)
        {
            assertNull(actual, () -> context + ": expected no message, got seq " + actual.seq());
            return;
        }
        assertMessage(context, expected.seq(), expected.subject(), expected.headers(), expected.payload(), actual);
    }

    /** Everything a reader can see of a small store, as one comparable string. */
    static String snapshot(final StreamStore store)
    {
        final StringBuilder sb = new StringBuilder(store.state().toString()).append('\n');
        for (StoredMessage m = store.loadNext(Subjects.ALL, 1); m != null; m = store.loadNext(Subjects.ALL, m.seq() + 1))
        {
            sb.append(m.seq()).append(' ').append(m.subject()).append(' ').append(m.timestamp()).append(' ')
                .append(Arrays.hashCode(m.headers())).append(' ').append(Arrays.hashCode(m.payload())).append('\n');
            final SubjectState ss = store.subjectState(m.subject());
            sb.append("  ").append(ss).append(" last=").append(seqOf(store.loadLast(m.subject()))).append('\n');
        }
        return sb.toString();
    }

    static long seqOf(final StoredMessage m)
    {
        return m == null ? 0 : m.seq();
    }

    static StreamState state(final long msgs, final long bytes, final long first, final long last, final long subjects)
    {
        final long deleted = msgs == 0 ? 0 : last - first + 1 - msgs;
        return new StreamState(msgs, bytes, first, last, deleted, subjects);
    }

    /** Runs a check that must reject bad input: an IllegalArgumentException naming it, and no change. */
    static void assertRejected(final StreamStore store, final String argument, final Executable call)
    {
        final String before = snapshot(store);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call,
            "bad " + argument + " must be an IllegalArgumentException");
        assertNotNull(e.getMessage(), "the exception must say what is wrong");
        assertTrue(e.getMessage().contains(argument),
            "the message must name the argument '" + argument + "', was: " + e.getMessage());
        assertEquals(before, snapshot(store), "a rejected call on " + argument + " changed the store");
    }

    static List<Long> walk(final StreamStore s, final String filter)
    {
        final List<Long> seqs = new ArrayList<>();
        for (StoredMessage m = s.loadNext(filter, 1); m != null; m = s.loadNext(filter, m.seq() + 1))
        {
            assertTrue(Subjects.matches(filter, m.subject()), "loadNext(" + filter + ") returned " + m.subject());
            seqs.add(m.seq());
        }
        return seqs;
    }
}
