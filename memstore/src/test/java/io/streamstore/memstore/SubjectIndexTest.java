package io.streamstore.memstore;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubjectIndexTest
{
    private final SeqRing ring = new SeqRing();
    private final SubjectIndex a = new SubjectIndex("a", 1);
    private final SubjectIndex b = new SubjectIndex("b", 1);

    private long append(final SubjectIndex index)
    {
        final long seq = ring.last() + 1;
        ring.append(new MemoryMessage(seq, index.subject, MemoryMessage.EMPTY, MemoryMessage.EMPTY, 0, 1, index));
        index.add(seq);
        return seq;
    }

    private void remove(final long seq)
    {
        final SubjectIndex index = ring.get(seq).index;
        ring.clear(seq);
        index.remove(seq, ring);
    }

    @Test
    void tracksCountFirstAndLastOfItsSubjectOnly()
    {
        append(a);
        append(b);
        append(a);
        append(b);
        append(a);
        assertEquals(3, a.count());
        assertEquals(1, a.first());
        assertEquals(5, a.last());
        assertEquals(2, b.first());
        assertEquals(4, b.last());
    }

    @Test
    void removingTheOldestSkipsEntriesRemovedEarlier()
    {
        for (int i = 0; i < 5; i++)
        {
            append(a);
        }
        remove(2);
        remove(3);
        assertEquals(1, a.first());
        remove(1);
        assertEquals(4, a.first());
        assertEquals(2, a.count());
        assertEquals(2, a.entries());
    }

    @Test
    void removingTheNewestSkipsEntriesRemovedEarlier()
    {
        for (int i = 0; i < 5; i++)
        {
            append(a);
        }
        remove(4);
        remove(3);
        assertEquals(5, a.last());
        remove(5);
        assertEquals(2, a.last());
        assertEquals(2, a.count());
    }

    @Test
    void removingEveryEntryEmptiesTheIndex()
    {
        final long s1 = append(a);
        final long s2 = append(a);
        remove(s1);
        remove(s2);
        assertEquals(0, a.count());
        assertEquals(0, a.entries());
        assertEquals(0, a.nextAtOrAfter(1, ring));
        append(a);
        assertEquals(3, a.first());
        assertEquals(3, a.last());
    }

    @Test
    void deadInteriorEntriesAreCompactedOnceTheyOutnumberLiveOnes()
    {
        for (int i = 0; i < 200; i++)
        {
            append(a);
        }
        for (long seq = 2; seq < 200; seq++)
        {
            remove(seq);
        }
        assertEquals(2, a.count());
        assertTrue(a.entries() <= 2 * 16 + 2, "entries " + a.entries());
        assertEquals(1, a.first());
        assertEquals(200, a.last());
        assertEquals(200, a.nextAtOrAfter(2, ring));
    }

    @Test
    void nextAtOrAfterFindsTheLowestLiveSequenceAtOrAboveFrom()
    {
        for (int i = 0; i < 10; i++)
        {
            append(a);
            append(b);
        }
        // a holds 1,3,5,...,19
        remove(7);
        remove(9);
        assertEquals(1, a.nextAtOrAfter(1, ring));
        assertEquals(3, a.nextAtOrAfter(2, ring));
        assertEquals(11, a.nextAtOrAfter(6, ring));
        assertEquals(11, a.nextAtOrAfter(11, ring));
        assertEquals(19, a.nextAtOrAfter(19, ring));
        assertEquals(0, a.nextAtOrAfter(20, ring));
        assertEquals(2, b.nextAtOrAfter(1, ring));
    }

    @Test
    void liveAtCountsOnlyLiveEntries()
    {
        for (int i = 0; i < 6; i++)
        {
            append(a);
        }
        remove(2);
        remove(4);
        assertEquals(1, a.liveAt(0, ring));
        assertEquals(3, a.liveAt(1, ring));
        assertEquals(5, a.liveAt(2, ring));
        assertEquals(6, a.liveAt(3, ring));
        assertEquals(0, a.liveAt(4, ring));
    }

    @Test
    void growsPastItsInitialCapacityAndWrapsAround()
    {
        for (int round = 0; round < 100; round++)
        {
            append(a);
            append(a);
            append(a);
            remove(a.first());
            remove(a.first());
        }
        assertEquals(100, a.count());
        assertEquals(201, a.first());
        assertEquals(300, a.last());
        long expected = 201;
        for (long seq = a.nextAtOrAfter(1, ring); seq != 0; seq = a.nextAtOrAfter(seq + 1, ring))
        {
            assertEquals(expected++, seq);
        }
        assertEquals(301, expected);
    }

    @Test
    void compactShrinksToFitAndSaysWhetherItDidAnything()
    {
        for (int i = 0; i < 64; i++)
        {
            append(a);
        }
        for (int i = 0; i < 60; i++)
        {
            remove(a.first());
        }
        assertEquals(64, a.capacity());
        assertTrue(a.compact(ring));
        assertTrue(a.capacity() < 64);
        assertFalse(a.compact(ring));
        assertEquals(61, a.first());
        assertEquals(64, a.last());
        assertEquals(4, a.count());
    }
}
