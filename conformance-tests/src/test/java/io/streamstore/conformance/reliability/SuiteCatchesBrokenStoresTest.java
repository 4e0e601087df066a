package io.streamstore.conformance.reliability;

import io.streamstore.conformance.broken.KitRunner;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/**
 * The reliability suite proves it catches broken durable stores: run through the JUnit Platform launcher, the
 * crash check fails with LOST against a store that acknowledges before it forces ({@link EarlyAckLogProvider}),
 * the bit-rot check fails with CORRUPT against one that trusts its bytes unchecked
 * ({@link NoChecksumLogProvider}), and the fault check fails with NOT_STICKY against one that forgets a write
 * error ({@link NotStickyLogProvider}); the same checks pass against the correct log store, also with the
 * corruption cases in a child JVM.
 */
class SuiteCatchesBrokenStoresTest
{
    private static final String CRASH_ALWAYS = "crash_01_killUnderSyncAlwaysLosesNoAcknowledgedChange";
    private static final String ROT = "rot_01_singleBitFlipsAnywhereNeverYieldWrongData";
    private static final String TORN = "torn_01_truncationAtEveryTailOffsetIsCutAndReportedOrRefused";
    private static final String FUZZ = "fuzz_01_randomAndMutatedFilesNeverYieldWrongData";
    private static final String FAULT = "fault_01_ioErrorAtEveryCallIndexIsStickyAndKeepsAcknowledged";

    private static KitRunner.KitRun run(final Class<?> kit, final String... methods)
    {
        return KitRunner.run(kit, java.util.Arrays.stream(methods)
            .map(m -> selectMethod(kit, m, "org.junit.jupiter.api.TestInfo")).toList());
    }

    private static void assertFailedWith(final KitRunner.KitRun run, final String check, final String kind)
    {
        final Throwable failure = run.failed.get(check);
        assertTrue(failure instanceof AssertionError, check + " must fail; " + run.summary());
        assertTrue(String.valueOf(failure.getMessage()).contains(kind),
            check + " must fail with " + kind + " violations, but: " + failure.getMessage());
        System.out.println("[reliability] broken store caught by " + check + ": " +
            String.valueOf(failure.getMessage()).lines().limit(2).toList());
    }

    @Test
    void crashHarnessReportsLostForAStoreThatAcksBeforeForce()
    {
        assertFailedWith(run(EarlyAckReliabilityKit.class, CRASH_ALWAYS), CRASH_ALWAYS, "LOST");
    }

    @Test
    void bitRotCheckReportsCorruptForAStoreWithoutChecksums()
    {
        assertFailedWith(run(NoChecksumReliabilityKit.class, ROT), ROT, "CORRUPT");
    }

    @Test
    void faultCheckReportsNotStickyForAStoreThatForgetsWriteErrors()
    {
        assertFailedWith(run(NotStickyReliabilityKit.class, FAULT), FAULT, "NOT_STICKY");
    }

    @Test
    void corruptionChecksPassInAChildJvmForACorrectStore()
    {
        final KitRunner.KitRun run = run(ChildJvmCorruptionKit.class, ROT, TORN, FUZZ);
        assertEquals(Set.of(), run.failedRules(), () -> "the correct store failed in a child JVM: " + run.summary());
        assertEquals(Set.of(ROT, TORN, FUZZ), run.passed);
    }
}
