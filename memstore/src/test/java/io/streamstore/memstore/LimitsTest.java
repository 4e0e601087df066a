package io.streamstore.memstore;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.LimitExceededException.Limit;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** maxMsgs, maxBytes, maxMsgsPerSubject and maxMsgSize, under Discard OLD and NEW. */
class LimitsTest
{
    private static StreamStore open(final UnaryOperator<StreamConfig.Builder> settings)
    {
        return new MemoryStoreProvider().open(null, settings.apply(StreamConfig.builder("limits")).build());
    }

    private static void assertRefused(final StreamStore store, final Limit limit, final String subject, final int payload)
    {
        final StreamState before = store.state();
        final long written = store.stats().bytesWritten();
        final LimitExceededException e =
            assertThrows(LimitExceededException.class, () -> store.append(subject, new byte[payload]));
        assertEquals(limit, e.limit());
        assertEquals(before, store.state());
        assertEquals(written, store.stats().bytesWritten());
    }

    @Test
    void maxMsgsWithDiscardOldEvictsTheOldest()
    {
        try (StreamStore store = open(b -> b.maxMsgs(3)))
        {
            final Recorder recorder = new Recorder();
            store.addListener(recorder);
            for (int i = 0; i < 5; i++)
            {
                store.append("s." + i, new byte[1]);
            }
            assertEquals(new StreamState(3, 12, 3, 5, 0, 3), store.state());
            assertNull(store.load(2));
            assertEquals(List.of("+1 s.0", "+2 s.1", "+3 s.2", "-1 s.0 LIMIT_MSGS", "+4 s.3", "-2 s.1 LIMIT_MSGS", "+5 s.4"),
                recorder.snapshot());
        }
    }

    @Test
    void maxMsgsWithDiscardNewRefusesAndUsesNoSequence()
    {
        try (StreamStore store = open(b -> b.maxMsgs(2).discard(Discard.NEW)))
        {
            store.append("a", new byte[1]);
            store.append("a", new byte[1]);
            assertRefused(store, Limit.MAX_MSGS, "a", 1);
            store.remove(1);
            assertEquals(3, store.append("a", new byte[1]));
        }
    }

    @Test
    void maxBytesWithDiscardOldEvictsUntilTheNewMessageFits()
    {
        try (StreamStore store = open(b -> b.maxBytes(30)))
        {
            final Recorder recorder = new Recorder();
            store.append("a", new byte[9]); // 10 bytes
            store.append("a", new byte[9]);
            store.append("a", new byte[9]);
            store.addListener(recorder);
            store.append("a", new byte[19]); // 20 bytes: two must go
            assertEquals(new StreamState(2, 30, 3, 4, 0, 1), store.state());
            assertEquals(List.of("-1 a LIMIT_BYTES", "-2 a LIMIT_BYTES", "+4 a"), recorder.snapshot());
        }
    }

    @Test
    void maxBytesWithDiscardNewRefuses()
    {
        try (StreamStore store = open(b -> b.maxBytes(25).discard(Discard.NEW)))
        {
            store.append("a", new byte[9]);
            store.append("a", new byte[9]);
            assertRefused(store, Limit.MAX_BYTES, "a", 5);
            assertEquals(3, store.append("a", new byte[4])); // exactly 25
        }
    }

    @Test
    void aMessageLargerThanMaxBytesIsRefusedEvenUnderDiscardOld()
    {
        try (StreamStore store = open(b -> b.maxBytes(10)))
        {
            store.append("a", new byte[5]);
            assertRefused(store, Limit.MAX_BYTES, "a", 10);
            assertEquals(1, store.state().msgs());
        }
    }

    @Test
    void maxMsgSizeRefusesCountingSubjectHeadersAndPayload()
    {
        try (StreamStore store = open(b -> b.maxMsgSize(10)))
        {
            assertEquals(1, store.append("abc", new byte[3], new byte[4]));
            final LimitExceededException e =
                assertThrows(LimitExceededException.class, () -> store.append("abc", new byte[3], new byte[5]));
            assertEquals(Limit.MAX_MSG_SIZE, e.limit());
            assertEquals(2, store.append("abc", new byte[7]));
        }
    }

    @Test
    void maxMsgsPerSubjectEvictsThatSubjectsOldest()
    {
        try (StreamStore store = open(b -> b.maxMsgsPerSubject(2)))
        {
            final Recorder recorder = new Recorder();
            store.addListener(recorder);
            store.append("a", new byte[1]);
            store.append("b", new byte[1]);
            store.append("a", new byte[1]);
            store.append("a", new byte[1]);
            assertEquals(new SubjectState("a", 2, 3, 4), store.subjectState("a"));
            assertEquals(new SubjectState("b", 1, 2, 2), store.subjectState("b"));
            assertEquals(List.of("+1 a", "+2 b", "+3 a", "-1 a LIMIT_PER_SUBJECT", "+4 a"), recorder.snapshot());
        }
    }

    @Test
    void discardNewPerSubjectRefusesUntilOneIsRemoved()
    {
        try (StreamStore store = open(b -> b.maxMsgsPerSubject(1).discard(Discard.NEW).discardNewPerSubject(true)))
        {
            store.append("a", new byte[1]);
            store.append("b", new byte[1]);
            assertRefused(store, Limit.MAX_MSGS_PER_SUBJECT, "a", 1);
            store.remove(1);
            assertEquals(3, store.append("a", new byte[1]));
        }
    }

    @Test
    void discardNewCountsTheMessageThatThePerSubjectLimitEvicts()
    {
        try (StreamStore store = open(b -> b.maxMsgs(2).maxMsgsPerSubject(1).discard(Discard.NEW)))
        {
            store.append("a", new byte[1]);
            store.append("b", new byte[1]);
            // full, but an append on "a" replaces a's message, so the stream does not grow
            assertEquals(3, store.append("a", new byte[1]));
            assertEquals(2, store.state().msgs());
            assertRefused(store, Limit.MAX_MSGS, "c", 1);
        }
    }

    @Test
    void perSubjectAndStreamLimitsTogetherHoldAfterEveryAppend()
    {
        try (StreamStore store = open(b -> b.maxMsgs(50).maxBytes(400).maxMsgsPerSubject(3)))
        {
            for (int i = 0; i < 1000; i++)
            {
                store.append("s." + (i % 7), new byte[i % 11]);
                final StreamState state = store.state();
                assertEquals(true, state.msgs() <= 50 && state.bytes() <= 400, state.toString());
                for (int s = 0; s < 7; s++)
                {
                    assertEquals(true, store.subjectState("s." + s).msgs() <= 3);
                }
            }
        }
    }
}
