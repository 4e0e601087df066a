package io.streamstore.conformance;

import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreLockedException;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.streamstore.conformance.KitAssertions.seqOf;
import static io.streamstore.conformance.KitAssertions.snapshot;
import static io.streamstore.conformance.KitAssertions.state;
import static io.streamstore.conformance.KitPayloads.bytes;
import static io.streamstore.conformance.KitPayloads.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code dur_*} rules: durability and reopen. {@link StreamStoreConformance} runs them as its nested class
 * {@code Durability}; the module's {@code RULES.md} lists each with the SPI.md line it enforces. They apply to
 * durable backends only: for a provider that is not durable each is skipped with its reason.
 */
abstract class DurabilityRules extends KitArea
{
    private StreamStore filled(final StreamConfig.Builder builder, final int n)
    {
        final StreamStore s = open(builder);
        for (int i = 1; i <= n; i++)
        {
            s.append("d." + (i % 7) + (i % 2 == 0 ? ".x" : ""), i % 5 == 0 ? null : bytes("hdr-" + i),
                payload(i % 120, i));
        }
        return s;
    }

    @Test
    void dur_01_reopenKeepsEveryMessage()
    {
        assumeDurable("dur_01");
        StreamStore s = filled(cfg(), 100);
        final String before = snapshot(s);
        s = reopen(s);
        assertEquals(before, snapshot(s), "what a clean reopen reads (timestamps included) equals what was there");
        assertEquals(101, s.append("d.new", null, payload(3, 1)));
        s = reopen(s);
        assertEquals(101, s.state().msgs());
    }

    @Test
    void dur_02_reopenRemembersLastSeqWhenEmpty()
    {
        assumeDurable("dur_02");
        StreamStore s = filled(cfg(), 5);
        for (int i = 1; i <= 5; i++)
        {
            s.remove(i);
        }
        s = reopen(s);
        assertEquals(state(0, 0, 6, 5, 0), s.state());
        assertEquals(6, s.append("d", null, payload(2, 6)));
    }

    @Test
    void dur_03_reopenAfterPurgeContinuesTheSequence()
    {
        assumeDurable("dur_03");
        StreamStore s = filled(cfg(), 10);
        s.purge();
        s = reopen(s);
        assertEquals(state(0, 0, 11, 10, 0), s.state());
        assertEquals(11, s.append("d", null, payload(2, 11)));
        s = reopen(s);
        assertEquals(state(1, 3, 11, 11, 1), s.state());
    }

    @Test
    void dur_04_outOfOrderRemovalsSurviveReopen()
    {
        // NATS TestFileStoreRemoveOutOfOrderRecovery.
        assumeDurable("dur_04");
        StreamStore s = filled(cfg(), 100);
        for (long seq = 2; seq <= 100; seq += 2)
        {
            s.remove(seq);
        }
        final String before = snapshot(s);
        s = reopen(s);
        assertEquals(before, snapshot(s));
        assertNull(s.load(2));
        assertNotNull(s.load(1));
    }

    @Test
    void dur_05_removedPrefixSurvivesReopen()
    {
        // NATS TestFileStoreRemovePartialRecovery.
        assumeDurable("dur_05");
        StreamStore s = filled(cfg(), 100);
        for (long seq = 1; seq <= 50; seq++)
        {
            s.remove(seq);
        }
        final String before = snapshot(s);
        s = reopen(s);
        assertEquals(before, snapshot(s));
        assertEquals(51, s.state().firstSeq());
    }

    @Test
    void dur_06_compactionSurvivesReopen()
    {
        assumeDurable("dur_06");
        StreamStore s = filled(cfg().option("file.block-size", "65536"), 1500);
        for (long seq = 1; seq <= 1500; seq++)
        {
            if (seq % 3 != 1)
            {
                s.remove(seq);
            }
        }
        s.compact();
        final String before = snapshot(s);
        s = reopen(s);
        assertEquals(before, snapshot(s), "compaction never changes what reads return, before or after a reopen");
        assertEquals(1501, s.append("d.after", null, payload(2, 1)));
    }

    @Test
    void dur_07_syncedChangesUnderNeverPolicySurviveReopen()
    {
        assumeDurable("dur_07");
        StreamStore s = filled(cfg().sync(SyncPolicy.never()), 30);
        s.remove(3);
        s.sync();
        final String before = snapshot(s);
        s = reopen(s);
        assertEquals(before, snapshot(s));
    }

    @Test
    void dur_08_reopeningTwiceGivesTheSameState()
    {
        assumeDurable("dur_08");
        StreamStore s = filled(cfg(), 60);
        s.remove(10);
        s.remove(60);
        s = reopen(s);
        final String once = snapshot(s);
        s = reopen(s);
        assertEquals(once, snapshot(s));
    }

    @Test
    void dur_09_secondOpenOfAnOpenDirectoryIsLocked()
    {
        assumeDurable("dur_09");
        final StreamStore s = filled(cfg(), 3);
        assertThrows(StoreLockedException.class, () ->
        {
            final StreamStore second = provider().open(dirOf(s), s.config());
            second.close();
        });
        assertEquals(4, s.append("d", null, payload(1, 4)), "the first store still works");
    }

    @Test
    void dur_10_perSubjectLimitHoldsAfterReopen()
    {
        assumeDurable("dur_10");
        StreamStore s = open(workQueueOnePerSubject());
        for (int i = 0; i < 10; i++)
        {
            s.append("q." + i, null, bytes("hello"));
        }
        s.remove(4);
        s = reopen(s);
        final StreamStore r = s;
        assertThrows(LimitExceededException.class, () -> r.append("q.0", null, bytes("again")));
        assertEquals(11, s.append("q.3", null, bytes("again")), "q.3's message was removed before the reopen");
        assertTrue(s.remove(1));
        assertEquals(12, s.append("q.0", null, bytes("again")));
    }

    @Test
    void dur_11_subjectStateAndLoadLastSurviveReopen()
    {
        assumeDurable("dur_11");
        StreamStore s = filled(cfg(), 50);
        s.remove(50);
        final Map<String, String> before = new HashMap<>();
        for (int i = 0; i < 7; i++)
        {
            for (final String subject : new String[]{"d." + i, "d." + i + ".x"})
            {
                before.put(subject, s.subjectState(subject) + "/" + seqOf(s.loadLast(subject)));
            }
        }
        s = reopen(s);
        for (final Map.Entry<String, String> e : before.entrySet())
        {
            assertEquals(e.getValue(), s.subjectState(e.getKey()) + "/" + seqOf(s.loadLast(e.getKey())));
        }
    }

    @Test
    void dur_12_timestampsKeepGoingForwardAfterReopen()
    {
        assumeDurable("dur_12");
        StreamStore s = filled(cfg(), 20);
        final long last = s.load(20).timestamp();
        s = reopen(s);
        assertEquals(last, s.load(20).timestamp(), "timestamps survive a reopen");
        s.append("t", null, payload(1, 1));
        assertTrue(s.load(21).timestamp() >= last, "timestamps never go backwards along sequences");
    }

    @Test
    void dur_13_cleanReopenReportsNothingRecovered()
    {
        assumeDurable("dur_13");
        StreamStore s = filled(cfg(), 20);
        s = reopen(s);
        final RecoveryReport report = s.recoveryReport();
        assertNotNull(report);
        assertFalse(report.cutAnything(), "a clean close cuts nothing on reopen: " + report);
        assertEquals(0, s.stats().recoveryBytesCut());
        assertEquals(0, s.stats().recoveryRecordsLost());
    }

    @Test
    void dur_14_limitsStillHoldAfterReopen()
    {
        assumeDurable("dur_14");
        StreamStore s = open(cfg().maxMsgs(10));
        for (int i = 1; i <= 15; i++)
        {
            s.append("lim", null, payload(5, i));
        }
        s = reopen(s);
        assertEquals(state(10, 80, 6, 15, 1), s.state());
        s.append("lim", null, payload(5, 16));
        assertEquals(state(10, 80, 7, 16, 1), s.state());
    }

    @Test
    void dur_15_storeEmptiedAndCompactedReopensEmptyWithItsLastSeq()
    {
        // NATS TestFileStoreTombstonesNoFirstSeqRollback.
        assumeDurable("dur_15");
        StreamStore s = filled(cfg().option("file.block-size", "65536"), 2000);
        for (long seq = 1; seq <= 2000; seq++)
        {
            s.remove(seq);
        }
        s.compact();
        s = reopen(s);
        assertEquals(state(0, 0, 2001, 2000, 0), s.state());
        assertEquals(2001, s.append("d", null, payload(1, 1)));
    }

    @Test
    void dur_17_reopenAfterEverythingExpiredKeepsLastSeq() throws InterruptedException
    {
        // NATS TestFileStoreRememberLastMsgTime.
        assumeDurable("dur_17");
        StreamStore s = open(cfg().maxAge(Duration.ofMillis(300)));
        final CountDownLatch expired = new CountDownLatch(3);
        s.addListener(new StoreListener()
        {
            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                expired.countDown();
            }
        });
        for (int i = 1; i <= 3; i++)
        {
            s.append("age", null, payload(10, i));
        }
        assertTrue(expired.await(10, TimeUnit.SECONDS), "messages past maxAge must expire");
        s = reopen(s);
        assertEquals(state(0, 0, 4, 3, 0), s.state());
        assertEquals(4, s.append("age", null, payload(10, 4)));
    }

    @Test
    void dur_18_removedTailSurvivesReopenWithItsLastSeq()
    {
        // NATS TestFileStoreEmptyBlockContainsPriorTombstones and TestFileStoreEraseMsgDoesNotLoseTombstones.
        assumeDurable("dur_18");
        StreamStore s = open();
        for (int i = 1; i <= 3; i++)
        {
            s.append("t", null, payload(10, i));
        }
        s.remove(2);
        s.remove(3);
        s = reopen(s);
        assertEquals(state(1, 11, 1, 3, 1), s.state(), "the removal of the newest messages survives, lastSeq too");
        assertNull(s.load(2));
        assertNull(s.load(3));
        assertEquals(4, s.append("t", null, payload(10, 4)));
        s.remove(1);
        s = reopen(s);
        assertEquals(state(1, 11, 4, 4, 1), s.state());
    }

    @Test
    void dur_19_sparseRemovalsAcrossBlocksSurviveReopen()
    {
        // NATS TestFileStoreTombstonesSelectNextFirstCleanup.
        assumeDurable("dur_19");
        StreamStore s = open(cfg().option("file.block-size", "65536"));
        for (int i = 1; i <= 50; i++)
        {
            s.append("sp", null, payload(1000, i));
        }
        for (long seq = 2; seq <= 49; seq++)
        {
            s.remove(seq);
        }
        for (int i = 51; i <= 100; i++)
        {
            s.append("sp", null, payload(1000, i));
        }
        for (long seq = 50; seq <= 100; seq++)
        {
            s.remove(seq);
        }
        assertEquals(state(1, 1002, 1, 100, 1), s.state());
        s = reopen(s);
        assertEquals(state(1, 1002, 1, 100, 1), s.state());
        s.remove(1);
        s = reopen(s);
        assertEquals(state(0, 0, 101, 100, 0), s.state());
        assertEquals(101, s.append("sp", null, payload(1, 101)));
    }

    @Test
    void dur_20_limitEvictionsSurviveEveryReopen()
    {
        // NATS TestFileStoreFullStateTestSysRemovals: limit removals must not come back after a restart.
        assumeDurable("dur_20");
        StreamStore s = open(cfg().maxMsgs(10).maxMsgsPerSubject(1));
        for (final String subject : new String[]{"A", "B", "A", "B"})
        {
            s.append(subject, null, payload(2, 1));
        }
        s = reopen(s);
        assertEquals(state(2, 6, 3, 4, 2), s.state());
        for (int i = 0; i < 8; i++)
        {
            s.append("N." + i, null, payload(2, i));
        }
        s = reopen(s);
        assertEquals(state(10, 6 + 8 * 5, 3, 12, 10), s.state());
        s.append("Z", null, payload(2, 99));
        s = reopen(s);
        assertEquals(state(10, 3 + 8 * 5 + 3, 4, 13, 10), s.state());
    }

    @Test
    void dur_16_closedStoreReopensAndWorks()
    {
        assumeDurable("dur_16");
        StreamStore s = filled(cfg(), 5);
        s.close();
        s.close();
        s = reopen(s);
        assertEquals(5, s.state().msgs());
        assertEquals(6, s.append("d", null, payload(1, 6)));
    }
}
