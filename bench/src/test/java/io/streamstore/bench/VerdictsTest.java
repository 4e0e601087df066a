package io.streamstore.bench;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerdictsTest
{
    private static RunResult loop(final double first, final double last, final long appended, final long written)
    {
        final RunResult r = new RunResult("wq", "file", "loop");
        r.ops = 1000;
        r.seconds = 1;
        r.firstTenthOpsPerSec = first;
        r.lastTenthOpsPerSec = last;
        r.bytesAppended = appended;
        r.bytesWritten = written;
        return r;
    }

    @Test
    void aLoopThatKeepsNinetyPercentOfItsPaceIsFlat()
    {
        final RunResult r = loop(100_000, 90_000, 100, 100);

        Verdicts.judge(r, Map.of());

        assertTrue(r.verdicts.get(0).pass(), r.verdicts.toString());
        assertEquals("PASS", ResultFiles.verdict(r));
    }

    @Test
    void aLoopThatSlowsBelowNinetyPercentFailsFlatness()
    {
        final RunResult r = loop(100_000, 89_000, 100, 100);

        Verdicts.judge(r, Map.of());

        assertEquals("flatness", r.verdicts.get(0).check());
        assertFalse(r.verdicts.get(0).pass());
        assertEquals("FAIL", ResultFiles.verdict(r));
    }

    @Test
    void writeAmplificationAboveTheDocumentedConstantFails()
    {
        final RunResult r = loop(1, 1, 100, 201);

        Verdicts.judge(r, Map.of());

        assertEquals("write amplification", r.verdicts.get(1).check());
        assertFalse(r.verdicts.get(1).pass());
    }

    @Test
    void anOverrideRaisesTheLimit()
    {
        final RunResult r = loop(1, 1, 100, 201);

        Verdicts.judge(r, Map.of("file", 3.0));

        assertTrue(r.verdicts.get(1).pass(), r.verdicts.toString());
    }

    @Test
    void aBrokenBackendIsHeldToTheConstantOfTheBackendItWraps()
    {
        assertEquals(Verdicts.DOCUMENTED_WRITE_AMPLIFICATION.get("file"),
            Verdicts.writeAmplificationLimit("broken-overcompaction:file", Map.of()));
        assertEquals(5.0, Verdicts.writeAmplificationLimit("broken-overcompaction:file", Map.of("file", 5.0)));
        assertEquals(Verdicts.DEFAULT_WRITE_AMPLIFICATION_LIMIT, Verdicts.writeAmplificationLimit("someday", Map.of()));
    }

    @Test
    void errorsFailTheRun()
    {
        final RunResult r = loop(1, 1, 100, 100);
        r.errors = 2;

        Verdicts.judge(r, Map.of());

        assertEquals("FAIL", ResultFiles.verdict(r));
    }

    @Test
    void aLoopStoppedByTheTimeLimitFails()
    {
        final RunResult r = loop(1, 1, 100, 100);
        r.stoppedByTimeLimit = true;

        Verdicts.judge(r, Map.of());

        assertEquals("finished", r.verdicts.get(0).check());
        assertFalse(r.verdicts.get(0).pass());
        assertEquals("FAIL", ResultFiles.verdict(r));
    }

    @Test
    void aSkippedRunGetsNoVerdict()
    {
        final RunResult r = RunResult.skipped("recover", "memory", "clean close", "not durable");

        Verdicts.judge(r, Map.of());

        assertTrue(r.verdicts.isEmpty());
        assertEquals("", ResultFiles.verdict(r));
    }

    private static RunResult sixteenWriters(final double speedup, final Double appendsPerSync)
    {
        final RunResult r = new RunResult("sync", "file", "16 writers");
        r.ops = 4000;
        r.seconds = 0.5;
        r.extra.put(SyncWorkload.SPEEDUP, speedup);
        r.extra.put(SyncWorkload.APPENDS_PER_SYNC, appendsPerSync);
        return r;
    }

    @Test
    void sixteenDurableWritersAtEightTimesOneWriterPassGroupCommit()
    {
        final RunResult r = sixteenWriters(8.4, 14.2);

        Verdicts.judge(r, Map.of());

        assertEquals("group commit", r.verdicts.get(0).check());
        assertTrue(r.verdicts.get(0).pass(), r.verdicts.toString());
    }

    @Test
    void sixteenDurableWritersBelowEightTimesOneWriterFailGroupCommit()
    {
        final RunResult r = sixteenWriters(4.5, 4.6);

        Verdicts.judge(r, Map.of());

        assertEquals("group commit", r.verdicts.get(0).check());
        assertFalse(r.verdicts.get(0).pass());
        assertEquals("FAIL", ResultFiles.verdict(r));
    }

    @Test
    void theGroupCommitVerdictShowsTheCoresBusyBesideTheOneWritersWhenMeasured()
    {
        final RunResult r = sixteenWriters(9.1, 15.3);
        r.extra.put(SyncWorkload.CORES_BUSY, 1.76);
        r.extra.put(SyncWorkload.ONE_WRITER_CORES_BUSY, 0.52);

        Verdicts.judge(r, Map.of());

        assertTrue(r.verdicts.get(0).detail().contains("1.8 cores busy (1 writer: 0.5)"), r.verdicts.toString());
    }

    @Test
    void aStoreThatNeverForcesGetsNoGroupCommitVerdict()
    {
        final RunResult r = sixteenWriters(1.3, null);

        Verdicts.judge(r, Map.of());

        assertTrue(r.verdicts.isEmpty(), r.verdicts.toString());
    }
}
