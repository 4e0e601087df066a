package io.streamstore.memstore;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

class SeqRingTest
{
    private final SubjectIndex index = new SubjectIndex("a", 1);
    private final SeqRing ring = new SeqRing();

    private MemoryMessage append()
    {
        final MemoryMessage m = new MemoryMessage(ring.last() + 1, "a", MemoryMessage.EMPTY, MemoryMessage.EMPTY, 0, 1, index);
        ring.append(m);
        return m;
    }

    @Test
    void emptyRingHasFirstOneAboveLast()
    {
        assertEquals(1, ring.first());
        assertEquals(0, ring.last());
        assertTrue(ring.isEmpty());
        assertNull(ring.firstMessage());
        assertNull(ring.get(1));
    }

    @Test
    void appendStoresUnderTheNextSequence()
    {
        final MemoryMessage m1 = append();
        final MemoryMessage m2 = append();
        assertSame(m1, ring.get(1));
        assertSame(m2, ring.get(2));
        assertNull(ring.get(3));
        assertEquals(2, ring.last());
        assertSame(m1, ring.firstMessage());
    }

    @Test
    void appendRefusesASequenceThatIsNotNext()
    {
        append();
        assertThrows(IllegalStateException.class,
            () -> ring.append(new MemoryMessage(5, "a", MemoryMessage.EMPTY, MemoryMessage.EMPTY, 0, 1, index)));
        assertEquals(1, ring.last());
    }

    @Test
    void growsByDoublingWhenTheSpanExceedsCapacity()
    {
        final int initial = ring.capacity();
        final MemoryMessage[] kept = new MemoryMessage[initial * 4 + 1];
        for (int i = 0; i < kept.length; i++)
        {
            kept[i] = append();
        }
        assertEquals(initial * 8, ring.capacity());
        for (int i = 0; i < kept.length; i++)
        {
            assertSame(kept[i], ring.get(i + 1), "seq " + (i + 1));
        }
    }

    @Test
    void wrapsAroundWithoutGrowingWhenTheOldestIsRemovedAsNewOnesArrive()
    {
        final int capacity = ring.capacity();
        for (int i = 0; i < capacity; i++)
        {
            append();
        }
        for (int i = 0; i < capacity * 10; i++)
        {
            ring.clear(ring.first());
            final MemoryMessage m = append();
            assertSame(m, ring.get(m.seq));
        }
        assertEquals(capacity, ring.capacity());
        assertEquals(capacity * 10L + 1, ring.first());
        assertEquals(capacity * 11L, ring.last());
    }

    @Test
    void removalOfFirstMessageAdvancesFirstPastRemovedSlots()
    {
        for (int i = 0; i < 5; i++)
        {
            append();
        }
        ring.clear(2);
        ring.clear(3);
        assertEquals(1, ring.first());
        ring.clear(1);
        assertEquals(4, ring.first());
        ring.clear(5);
        ring.clear(4);
        assertEquals(6, ring.first());
        assertTrue(ring.isEmpty());
        assertEquals(5, ring.last());
    }

    @Test
    void removingAnInteriorMessageLeavesFirstAlone()
    {
        for (int i = 0; i < 3; i++)
        {
            append();
        }
        ring.clear(2);
        assertEquals(1, ring.first());
        assertNull(ring.get(2));
    }

    @Test
    void shrinksWhenMostlyEmpty()
    {
        for (int i = 0; i < 1024; i++)
        {
            append();
        }
        assertEquals(1024, ring.capacity());
        for (long seq = 1; seq <= 1000; seq++)
        {
            ring.clear(seq);
        }
        assertTrue(ring.capacity() < 1024, "capacity " + ring.capacity());
        assertTrue(ring.capacity() >= 24);
        for (long seq = 1001; seq <= 1024; seq++)
        {
            assertEquals(seq, ring.get(seq).seq);
        }
    }

    @Test
    void trimShrinksToFitAndReportsWhetherItDidAnything()
    {
        for (int i = 0; i < 256; i++)
        {
            append();
        }
        for (long seq = 2; seq <= 250; seq++)
        {
            ring.clear(seq);
        }
        assertEquals(256, ring.capacity()); // the span 1..256 still needs it
        ring.clear(1);
        final boolean trimmed = ring.capacity() < 256 || ring.trim();
        assertTrue(trimmed);
        assertFalse(ring.trim());
        assertEquals(251, ring.first());
        assertEquals(256, ring.get(256).seq);
    }

    @Test
    void clearAllKeepsLastSoSequencesGoOn()
    {
        for (int i = 0; i < 100; i++)
        {
            append();
        }
        ring.clearAll();
        assertTrue(ring.isEmpty());
        assertEquals(101, ring.first());
        assertEquals(100, ring.last());
        assertNull(ring.get(50));
        assertEquals(101, append().seq);
        assertEquals(101, ring.first());
    }

    @Test
    void oneOldMessageDoesNotPinARingAsLongAsTheStream()
    {
        final MemoryMessage stuck = append();
        for (int i = 0; i < 100_000; i++)
        {
            final MemoryMessage m = append();
            ring.clear(m.seq);
        }
        assertTrue(ring.capacity() <= SeqRing.MIN_CAPACITY_TO_SPILL * 2, "capacity " + ring.capacity());
        assertEquals(1, ring.sparseCount());
        assertSame(stuck, ring.get(1));
        assertSame(stuck, ring.firstMessage());
        assertEquals(1, ring.first());
        assertNull(ring.get(50_000));
        ring.clear(1);
        assertTrue(ring.isEmpty());
        assertEquals(100_002, ring.first());
        assertEquals(0, ring.sparseCount());
    }

    @Test
    void spilledMessagesStayReadableInOrderAndRemovable()
    {
        final java.util.List<MemoryMessage> kept = new java.util.ArrayList<>();
        for (int i = 1; i <= 50_000; i++)
        {
            final MemoryMessage m = append();
            if (i % 1000 == 0)
            {
                kept.add(m);
            }
            else
            {
                ring.clear(m.seq);
            }
        }
        assertTrue(ring.sparseCount() > 0, "some were spilled");
        assertTrue(ring.capacity() <= 4096, "capacity " + ring.capacity());
        long seq = 1;
        for (final MemoryMessage expected : kept)
        {
            final MemoryMessage m = ring.nextLive(seq, ring.last());
            assertSame(expected, m);
            assertSame(expected, ring.get(expected.seq));
            seq = m.seq + 1;
        }
        assertNull(ring.nextLive(seq, ring.last()));
        assertNull(ring.nextLive(1, 999));
        for (int i = kept.size() - 1; i >= 0; i -= 2)
        {
            ring.clear(kept.get(i).seq);
            assertNull(ring.get(kept.get(i).seq));
        }
        assertSame(kept.get(0), ring.firstMessage());
        ring.trim();
        for (int i = 0; i < kept.size(); i++)
        {
            assertEquals(i % 2 == 0 ? kept.get(i) : null, ring.get(kept.get(i).seq), "seq " + kept.get(i).seq);
        }
    }

    @Test
    void nextLiveSkipsRemovedSlots()
    {
        for (int i = 0; i < 10; i++)
        {
            append();
        }
        ring.clear(3);
        ring.clear(4);
        assertEquals(5, ring.nextLive(3, 10).seq);
        assertNull(ring.nextLive(3, 4));
        assertNull(ring.nextLive(11, 20));
    }
}
