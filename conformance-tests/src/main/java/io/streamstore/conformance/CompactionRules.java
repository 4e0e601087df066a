package io.streamstore.conformance;

import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.Retention;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.streamstore.conformance.KitAssertions.assertMessage;
import static io.streamstore.conformance.KitAssertions.snapshot;
import static io.streamstore.conformance.KitAssertions.state;
import static io.streamstore.conformance.KitAssertions.walk;
import static io.streamstore.conformance.KitPayloads.bytes;
import static io.streamstore.conformance.KitPayloads.payload;
import static io.streamstore.conformance.KitPayloads.size;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The {@code cmp_*} rules: compaction. {@link StreamStoreConformance} runs them as its nested class
 * {@code Compaction}; the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 */
abstract class CompactionRules extends KitArea
{
    /** Block size given to file backends (option {@code file.block-size}) in the bounded-work rules. */
    static final int WORK_BLOCK_SIZE = StreamStoreConformance.MIB;

    /** Messages in the work-queue loop's fill: NATS bug #1's loop, scaled to keep a durable run short. */
    static final int WORK_FILL = 10_000;
    static final int WORK_SHORT = 20_000;
    static final int WORK_LONG = 80_000;
    static final int WORK_PAYLOAD = 100;
    /** How often the loop checks its budget, so that a runaway backend fails in seconds rather than hours. */
    static final int WORK_CHECK_EVERY = 500;

    record WorkRun(int iterations, long appendedBytes, long bytesWritten, long compactions)
    {
        double ratio()
        {
            return appendedBytes == 0 ? 0 : (double)bytesWritten / appendedBytes;
        }

        @Override
        public String toString()
        {
            return iterations + " iterations: " + bytesWritten + " B written for " + appendedBytes +
                " B appended (ratio " + String.format("%.3f", ratio()) + "), " + compactions + " compactions";
        }
    }

    StreamConfig workQueueLoopConfig()
    {
        return cfg().retention(Retention.WORK_QUEUE).option("file.block-size", Integer.toString(WORK_BLOCK_SIZE))
            .build();
    }

    /**
     * Fills {@link #WORK_FILL} messages of {@link #WORK_PAYLOAD} bytes on ten subjects, then removes the
     * oldest and appends one, {@code iterations} times, measuring what the loop alone writes.
     */
    WorkRun workQueueLoop(final int iterations)
    {
        final StreamStore s = open(workQueueLoopConfig());
        final ArrayDeque<Long> live = new ArrayDeque<>();
        final byte[] p = payload(WORK_PAYLOAD, 1);
        for (int i = 0; i < WORK_FILL; i++)
        {
            live.add(s.append("wq." + (i % 10), null, p));
        }
        final StoreStats start = s.stats();
        final double bound = writeAmplificationBound();
        long appended = 0;
        for (int i = 0; i < iterations; i++)
        {
            final long oldest = live.poll();
            if (!s.remove(oldest))
            {
                fail("work-queue loop: remove(" + oldest + ") found nothing");
            }
            final String subject = "wq." + (i % 10);
            live.add(s.append(subject, null, p));
            appended += size(subject, null, p);
            if (i % WORK_CHECK_EVERY == WORK_CHECK_EVERY - 1)
            {
                final long written = s.stats().bytesWritten() - start.bytesWritten();
                // Slack of two blocks: a compaction may land early in the run before the appends pay for it.
                if (written > bound * appended + 2L * WORK_BLOCK_SIZE)
                {
                    fail("work-queue loop: after " + (i + 1) + " iterations " + provider().name() + " wrote " + written +
                        " bytes for " + appended + " bytes appended; the bound is " + bound + " x appended (" +
                        "+ 2 blocks of slack mid-run). Compaction work must stay proportional to the bytes appended " +
                        "(NATS 2.10.17 bug #1: excessive block compactions with delete tombstones)");
                }
            }
        }
        final StoreStats end = s.stats();
        final WorkRun run = new WorkRun(iterations, appended, end.bytesWritten() - start.bytesWritten(),
            end.compactions() - start.compactions());
        s.close();
        return run;
    }

    @Test
    void cmp_01_compactNeverChangesWhatReadsReturn()
    {
        final StreamStore s = open();
        final Random r = new Random(1);
        for (int i = 1; i <= 400; i++)
        {
            s.append("c." + (i % 5), i % 4 == 0 ? bytes("h" + i) : null, payload(r.nextInt(200), i));
        }
        for (int i = 1; i <= 400; i++)
        {
            if (r.nextInt(3) > 0)
            {
                s.remove(i);
            }
        }
        s.remove(400);
        final String before = snapshot(s);
        final List<List<Long>> walks = new ArrayList<>();
        for (final String f : new String[]{"c.1", "c.*", ">"})
        {
            walks.add(walk(s, f));
        }
        assertNotNull(s.compact());
        assertEquals(before, snapshot(s), "compaction changed what reads return");
        assertEquals(walks, List.of(walk(s, "c.1"), walk(s, "c.*"), walk(s, ">")));
        assertEquals(401, s.append("c.1", null, payload(5, 401)));
    }

    @Test
    void cmp_02_compactOfAnEmptyOrCleanStoreChangesNothing()
    {
        final StreamStore s = open();
        assertNotNull(s.compact());
        assertEquals(state(0, 0, 1, 0, 0), s.state());
        for (int i = 1; i <= 10; i++)
        {
            s.append("k", null, payload(10, i));
        }
        final String before = snapshot(s);
        assertNotNull(s.compact());
        assertNotNull(s.compact());
        assertEquals(before, snapshot(s));
    }

    @Test
    void cmp_03_compactionResultAndCountersAreConsistent()
    {
        final StreamStore s = open(cfg().option("file.block-size", "65536"));
        for (int i = 1; i <= 2000; i++)
        {
            s.append("k." + (i % 3), null, payload(100, i));
        }
        for (int i = 1; i <= 2000; i++)
        {
            if (i % 3 != 0)
            {
                s.remove(i);
            }
        }
        final StoreStats before = s.stats();
        final CompactionResult result = s.compact();
        final StoreStats after = s.stats();
        assertTrue(result.blocksRewritten() >= 0 && result.bytesReclaimed() >= 0 && result.bytesRewritten() >= 0,
            "compaction figures are never negative: " + result);
        assertTrue(after.bytesWritten() - before.bytesWritten() >= result.bytesRewritten(),
            "bytes rewritten by compaction are counted in bytesWritten: " + result + " vs " + before + " -> " + after);
        assertTrue(after.compactions() >= before.compactions());
        assertTrue(after.bytesCompacted() >= before.bytesCompacted(), "bytesCompacted never goes down");
        assertTrue(after.bytesWritten() >= after.bytesCompacted(),
            "bytesCompacted is part of bytesWritten: " + after);
    }

    @Test
    void cmp_04_workQueueLoopWorkIsBounded()
    {
        // NATS 2.10.17 bug #1 (#5702, PR #5719): tombstones not counted made every remove rewrite a block.
        final WorkRun shorter = workQueueLoop(WORK_SHORT);
        final WorkRun longer = workQueueLoop(WORK_LONG);
        final double bound = writeAmplificationBound();
        final long halfBlock = WORK_BLOCK_SIZE / 2;
        System.out.println("cmp_04 " + provider().name() + ": " + shorter + "; " + longer);
        assertAll("bounded compaction work (" + shorter + "; " + longer + ")",
            () -> assertTrue(shorter.bytesWritten() <= bound * shorter.appendedBytes(),
                "bytesWritten during the loop must be <= " + bound + " x appended bytes: " + shorter),
            () -> assertTrue(longer.bytesWritten() <= bound * longer.appendedBytes(),
                "bytesWritten during the loop must be <= " + bound + " x appended bytes: " + longer),
            () -> assertTrue(longer.ratio() <= shorter.ratio() * 1.25 + 0.02,
                "write amplification must not grow with the run's length: " + shorter + " vs " + longer),
            () -> assertTrue(shorter.compactions() <= shorter.appendedBytes() / halfBlock + 1,
                "compactions must be <= appended bytes / half a block + 1: " + shorter),
            () -> assertTrue(longer.compactions() <= longer.appendedBytes() / halfBlock + 1,
                "compactions must be <= appended bytes / half a block + 1: " + longer));
    }

    @Test
    void cmp_05_compactedStoreOccupiesBoundedSpace()
    {
        assumeDurable("cmp_05");
        final StreamStore s = open(cfg().option("file.block-size", Integer.toString(WORK_BLOCK_SIZE)));
        final byte[] p = payload(1000, 5);
        for (int i = 0; i < 10_000; i++)
        {
            s.append("sp." + (i % 10), null, p);
        }
        for (long seq = 1; seq <= 10_000; seq++)
        {
            if (seq % 10 != 0)
            {
                s.remove(seq);
            }
        }
        s.compact();
        final long live = s.state().bytes();
        final long onDisk = s.stats().bytesOnDisk();
        assertEquals(1000 * (1000 + 4), live);
        assertTrue(onDisk <= compactedDiskBound(live), "after compact() bytesOnDisk " + onDisk +
            " must be <= compactedDiskBound(" + live + ") = " + compactedDiskBound(live));
        assertMessage("after compaction", 5000, "sp.9", null, p, s.load(5000));
    }

    @Test
    void cmp_06_statsCountersNeverGoDown()
    {
        final StreamStore s = open(cfg().maxMsgs(50));
        StoreStats previous = s.stats();
        for (int i = 1; i <= 300; i++)
        {
            s.append("st." + (i % 4), null, payload(50, i));
            if (i % 3 == 0)
            {
                s.remove(i - 1);
            }
            if (i % 100 == 0)
            {
                s.compact();
                s.sync();
            }
            final StoreStats now = s.stats();
            assertTrue(now.bytesWritten() >= previous.bytesWritten() && now.compactions() >= previous.compactions() &&
                now.bytesCompacted() >= previous.bytesCompacted() && now.tombstones() >= previous.tombstones() &&
                now.syncs() >= previous.syncs(), "a counter went down: " + previous + " -> " + now);
            assertTrue(now.bytesOnDisk() >= 0, "bytesOnDisk is never negative");
            previous = now;
        }
    }

    @Test
    void cmp_07_compactAfterRemovingEverythingKeepsSequences()
    {
        final StreamStore s = open();
        for (int i = 1; i <= 100; i++)
        {
            s.append("z", null, payload(100, i));
        }
        for (int i = 1; i <= 100; i++)
        {
            s.remove(i);
        }
        s.compact();
        assertEquals(state(0, 0, 101, 100, 0), s.state());
        assertNull(s.loadNext(">", 1));
        assertEquals(101, s.append("z", null, payload(5, 101)));
    }
}
