package io.streamstore.memstore;

import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sequences, reads, state and stats of the memory store. */
class MemoryStoreTest
{
    private final StreamStore store = new MemoryStoreProvider().open(null, StreamConfig.builder("test").build());

    @AfterEach
    void close()
    {
        store.close();
    }

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void firstAppendReturnsOneAndEachNextOneMore()
    {
        for (long expected = 1; expected <= 100; expected++)
        {
            assertEquals(expected, store.append("a.b", bytes("x")));
        }
    }

    @Test
    void sequencesAreNotReusedAfterRemovesOrPurge()
    {
        store.append("a", bytes("1"));
        store.append("a", bytes("2"));
        assertTrue(store.remove(2));
        assertEquals(3, store.append("a", bytes("3")));
        assertEquals(2, store.purge());
        final StreamState purged = store.state();
        assertEquals(3, purged.lastSeq());
        assertEquals(4, purged.firstSeq());
        assertEquals(0, purged.msgs());
        assertEquals(0, purged.numDeleted());
        assertEquals(4, store.append("a", bytes("4")));
        store.compact();
        assertEquals(5, store.append("a", bytes("5")));
    }

    @Test
    void emptyStoreStateHasFirstSeqOneAboveLastSeq()
    {
        assertEquals(new StreamState(0, 0, 1, 0, 0, 0), store.state());
        store.append("a", bytes("1"));
        store.remove(1);
        assertEquals(new StreamState(0, 0, 2, 1, 0, 0), store.state());
    }

    @Test
    void stateCountsLiveMessagesBytesGapsAndSubjects()
    {
        store.append("a.b", bytes("12345"));               // 3 + 5
        store.append("c", new byte[]{1, 2}, bytes("123")); // 1 + 2 + 3
        store.append("a.b", bytes(""));                    // 3
        store.append("d", bytes("1"));                     // 1 + 1
        assertTrue(store.remove(2));
        assertEquals(new StreamState(3, 13, 1, 4, 1, 2), store.state());
        assertTrue(store.remove(1));
        assertEquals(new StreamState(2, 5, 3, 4, 0, 2), store.state());
    }

    @Test
    void messageSizeCountsSubjectInUtf8Bytes()
    {
        store.append("é.€", new byte[3], new byte[4]); // 2 + 1 + 3 subject bytes
        assertEquals(6 + 3 + 4, store.state().bytes());
        assertEquals(13, store.load(1).size());
        assertEquals(13, store.stats().bytesWritten());
    }

    @Test
    void loadReturnsWhatWasAppendedAndNullHeadersAsEmpty()
    {
        store.append("a", null, bytes("p"));
        store.append("b", bytes("h"), bytes("q"));
        final StoredMessage m1 = store.load(1);
        assertEquals(1, m1.seq());
        assertEquals("a", m1.subject());
        assertArrayEquals(new byte[0], m1.headers());
        assertArrayEquals(bytes("p"), m1.payload());
        final StoredMessage m2 = store.load(2);
        assertArrayEquals(bytes("h"), m2.headers());
        assertArrayEquals(bytes("q"), m2.payload());
        assertNull(store.load(3));
        assertNull(store.load(Long.MAX_VALUE));
    }

    @Test
    void appendCopiesTheCallersArrays()
    {
        final byte[] headers = bytes("hh");
        final byte[] payload = bytes("pp");
        store.append("a", headers, payload);
        headers[0] = 'x';
        payload[0] = 'x';
        assertArrayEquals(bytes("hh"), store.load(1).headers());
        assertArrayEquals(bytes("pp"), store.load(1).payload());
    }

    @Test
    void readsReturnTheStoredMessageObject()
    {
        store.append("a", bytes("p"));
        assertSame(store.load(1), store.loadNext(">", 1));
        assertSame(store.load(1), store.loadLast("a"));
    }

    @Test
    void timestampsAreEpochNanosAndNeverGoBackwards()
    {
        final long before = System.currentTimeMillis() * 1_000_000L;
        for (int i = 0; i < 1000; i++)
        {
            store.append("a", bytes("p"));
        }
        final long after = (System.currentTimeMillis() + 1) * 1_000_000L;
        long previous = 0;
        for (long seq = 1; seq <= 1000; seq++)
        {
            final long ts = store.load(seq).timestamp();
            assertTrue(ts >= previous, "seq " + seq + " went backwards");
            previous = ts;
        }
        // generous bounds: the clock is the JVM's nanoTime anchored to the epoch once
        assertTrue(store.load(1).timestamp() > before - 1_000_000_000L);
        assertTrue(store.load(1000).timestamp() < after + 1_000_000_000L);
    }

    @Test
    void removeIsVisibleAtOnceAndFalseForWhatIsNotThere()
    {
        store.append("a", bytes("1"));
        store.append("a", bytes("2"));
        assertTrue(store.remove(1));
        assertNull(store.load(1));
        assertFalse(store.remove(1));
        assertFalse(store.remove(99));
        assertEquals(new SubjectState("a", 1, 2, 2), store.subjectState("a"));
    }

    @Test
    void loadNextWithALiteralSubjectSkipsOtherSubjectsAndRemovedMessages()
    {
        for (int i = 0; i < 10; i++)
        {
            store.append(i % 2 == 0 ? "even" : "odd", bytes("x"));
        }
        assertEquals(1, store.loadNext("even", 1).seq());
        assertEquals(3, store.loadNext("even", 2).seq());
        store.remove(3);
        store.remove(5);
        assertEquals(7, store.loadNext("even", 2).seq());
        assertEquals(2, store.loadNext("odd", 1).seq());
        assertNull(store.loadNext("even", 10));
        assertNull(store.loadNext("none", 1));
    }

    @Test
    void loadNextWithWildcardsMatchesTokens()
    {
        store.append("orders.eu.1", bytes("x"));
        store.append("orders.us.1", bytes("x"));
        store.append("orders.eu.2.x", bytes("x"));
        store.append("billing.eu.1", bytes("x"));
        assertEquals(1, store.loadNext("orders.*.1", 1).seq());
        assertEquals(2, store.loadNext("orders.*.1", 2).seq());
        assertNull(store.loadNext("orders.*.1", 3));
        assertEquals(3, store.loadNext("orders.eu.>", 2).seq());
        assertEquals(4, store.loadNext("*.eu.1", 2).seq());
        assertEquals(4, store.loadNext(">", 4).seq());
        assertNull(store.loadNext(">", 5));
    }

    @Test
    void loadNextWithAWildcardFindsARareMatchFarAwayThroughTheSubjectIndexes()
    {
        for (int i = 0; i < 5000; i++)
        {
            store.append("noise." + (i % 3), bytes("x"));
        }
        final long rare = store.append("rare.one", bytes("x"));
        for (int i = 0; i < 100; i++)
        {
            store.append("noise.0", bytes("x"));
        }
        assertEquals(rare, store.loadNext("rare.*", 1).seq());
        assertEquals(rare, store.loadNext("*.one", 1).seq());
        assertNull(store.loadNext("rare.*", rare + 1));
        store.remove(rare);
        assertNull(store.loadNext("rare.>", 1));
        assertEquals(1, store.loadNext(">", 1).seq());
    }

    @Test
    void loadNextFromBeforeTheFirstSequenceStartsAtTheFirstLiveMessage()
    {
        for (int i = 0; i < 100; i++)
        {
            store.append("a." + (i % 7), bytes("x"));
        }
        for (long seq = 1; seq <= 90; seq++)
        {
            store.remove(seq);
        }
        assertEquals(91, store.loadNext(">", 1).seq());
        assertEquals(91, store.loadNext("a.*", 1).seq());
    }

    @Test
    void loadLastReturnsTheNewestLiveMessageOfExactlyThatSubject()
    {
        store.append("a", bytes("1"));
        store.append("a.b", bytes("2"));
        store.append("a", bytes("3"));
        assertEquals(3, store.loadLast("a").seq());
        assertEquals(2, store.loadLast("a.b").seq());
        store.remove(3);
        assertEquals(1, store.loadLast("a").seq());
        store.remove(1);
        assertNull(store.loadLast("a"));
        assertNull(store.loadLast("zzz"));
    }

    @Test
    void subjectStateIsExactAndNeverNull()
    {
        assertEquals(SubjectState.empty("a"), store.subjectState("a"));
        store.append("a", bytes("1"));
        store.append("b", bytes("2"));
        store.append("a", bytes("3"));
        store.append("a", bytes("4"));
        assertEquals(new SubjectState("a", 3, 1, 4), store.subjectState("a"));
        store.remove(3);
        assertEquals(new SubjectState("a", 2, 1, 4), store.subjectState("a"));
        store.remove(1);
        store.remove(4);
        assertEquals(SubjectState.empty("a"), store.subjectState("a"));
        assertEquals(1, store.state().numSubjects());
    }

    @Test
    void purgeRemovesEverythingAndReturnsHowMany()
    {
        for (int i = 0; i < 50; i++)
        {
            store.append("s." + i, bytes("x"));
        }
        store.remove(10);
        assertEquals(49, store.purge());
        assertEquals(new StreamState(0, 0, 51, 50, 0, 0), store.state());
        assertNull(store.load(1));
        assertNull(store.loadNext(">", 1));
        assertEquals(SubjectState.empty("s.1"), store.subjectState("s.1"));
        assertEquals(0, store.purge());
    }

    @Test
    void statsCountMessageBytesCopiedAndNothingOnDisk()
    {
        store.append("ab", bytes("h"), bytes("ppp"));
        store.append("ab", bytes("ppp"));
        store.remove(1);
        final var stats = store.stats();
        assertEquals(6 + 5, stats.bytesWritten());
        assertEquals(0, stats.bytesOnDisk());
        assertEquals(0, stats.tombstones());
        assertEquals(0, stats.syncs());
        assertEquals(0, stats.bytesCompacted());
    }

    @Test
    void compactChangesNoReadAndCountsOnlyWhenItReleasedMemory()
    {
        for (int i = 0; i < 2000; i++)
        {
            store.append("s." + (i % 50), bytes("x" + i));
        }
        for (long seq = 1; seq <= 2000; seq++)
        {
            if (seq % 97 != 0)
            {
                store.remove(seq);
            }
        }
        final StreamState before = store.state();
        assertNotNull(store.compact());
        assertEquals(before, store.state());
        for (long seq = 1; seq <= 2000; seq++)
        {
            final StoredMessage m = store.load(seq);
            if (seq % 97 == 0)
            {
                assertArrayEquals(bytes("x" + (seq - 1)), m.payload());
                assertEquals(seq, store.loadNext("s." + ((seq - 1) % 50), 1).seq());
            }
            else
            {
                assertNull(m);
            }
        }
        assertEquals(1, store.stats().compactions());
        store.compact();
        assertEquals(1, store.stats().compactions());
    }

    @Test
    void syncIsANoOpOnAnOpenStore()
    {
        store.append("a", bytes("x"));
        store.sync();
        assertEquals(1, store.state().msgs());
    }

    @Test
    void configIsTheOneOpenedWith()
    {
        assertEquals("test", store.config().name());
    }

    @Test
    void subjectsThatComeAndGoAreForgottenButCountedRight()
    {
        for (int i = 0; i < 5000; i++)
        {
            final long seq = store.append("tmp." + i, bytes("x"));
            store.remove(seq);
        }
        store.append("keep", bytes("x"));
        assertEquals(1, store.state().numSubjects());
        assertEquals(5001, store.loadNext(">", 1).seq());
        assertEquals(SubjectState.empty("tmp.3"), store.subjectState("tmp.3"));
        assertEquals(5002, store.append("tmp.3", bytes("y")));
        assertEquals(new SubjectState("tmp.3", 1, 5002, 5002), store.subjectState("tmp.3"));
        assertEquals(2, store.state().numSubjects());
    }
}
