package io.streamstore.conformance.broken;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kit proves it catches bugs: run through the JUnit Platform launcher against three deliberately broken
 * backends, the rule each one breaks fails, named by its rule id; against the correct memory store, nothing
 * fails.
 */
class KitCatchesBrokenBackendsTest
{
    static KitRunner.KitRun runKit(final Class<?> kit)
    {
        return KitRunner.run(kit);
    }

    /** The rule failed an assertion that says why, rather than crashing on something unrelated. */
    static void assertFailedBecause(final KitRunner.KitRun run, final String rule, final String because)
    {
        final Throwable failure = run.failed.get(rule);
        assertTrue(failure instanceof AssertionError, rule + " must fail an assertion; failed: " + run.summary());
        assertTrue(String.valueOf(failure.getMessage()).contains(because),
            rule + " must fail because of '" + because + "', but: " + failure.getMessage());
    }

    @Test
    void earlyAckFailsTheSeedScenarioWithTheAppendInsideOnRemoved()
    {
        final KitRunner.KitRun run = runKit(EarlyAckKit.class);
        assertTrue(run.failed.containsKey("rm_09_seedScenarioAppendInsideOnRemoved"),
            "broken-early-ack must fail rm_09; failed: " + run.failedRules());
        assertFailedBecause(run, "rm_09_seedScenarioAppendInsideOnRemoved", "LimitExceededException");
        assertTrue(run.failed.containsKey("rm_02_removeVisibleBeforeOnRemoved"),
            "broken-early-ack must fail rm_02; failed: " + run.failedRules());
        assertTrue(run.passed.contains("rm_08_seedScenarioWorkersAppendAfterRemove"),
            "appends made after remove returned are fine even with the early ack; failed: " + run.failedRules());
    }

    @Test
    void seqReuseFailsNoReuseAfterPurge()
    {
        final KitRunner.KitRun run = runKit(SeqReuseKit.class);
        assertTrue(run.failed.containsKey("seq_03_noReuseAfterPurge"),
            "broken-seq-reuse must fail seq_03; failed: " + run.failedRules());
        assertFailedBecause(run, "seq_03_noReuseAfterPurge", "firstSeq = lastSeq + 1");
    }

    @Test
    void overCompactionFailsBoundedCompactionWork()
    {
        final KitRunner.KitRun run = runKit(OverCompactionKit.class);
        assertTrue(run.failed.containsKey("cmp_04_workQueueLoopWorkIsBounded"),
            "broken-overcompaction must fail cmp_04; failed: " + run.failedRules());
        assertFailedBecause(run, "cmp_04_workQueueLoopWorkIsBounded", "bytes appended; the bound is 2.0 x appended");
    }

    @Test
    void correctMemoryStorePassesEveryRule() throws ClassNotFoundException
    {
        // The memory store's own kit run, package-private in the kit's package, found by name.
        final KitRunner.KitRun run = runKit(Class.forName("io.streamstore.conformance.MemoryStoreConformanceTest"));
        assertEquals(Set.of(), run.failedRules(), () -> "the memory store failed rules: " + run.summary());
        assertTrue(run.passed.size() >= 100, "the kit ran only " + run.passed.size() + " rules");
    }
}
