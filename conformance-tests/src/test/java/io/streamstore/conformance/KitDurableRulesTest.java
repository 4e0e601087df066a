package io.streamstore.conformance;

import io.streamstore.conformance.broken.KitRunner;
import io.streamstore.conformance.reliability.LogStoreKit;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;

/**
 * Runs the kit against {@link io.streamstore.conformance.reliability.LogStore}, the kit's own durable store, so
 * that the rules a memory store
 * skips (durability and reopen, model-based with reopen, bounded space, null directory) are known to be
 * consistent before real durable backends rely on them.
 */
class KitDurableRulesTest
{
    @Test
    void durableRulesPassAgainstTheKitsLogStore()
    {
        // The areas with rules a memory store skips; the model behind LogStore is too slow for the seed scenario.
        final List<Class<?>> enclosing = List.of(LogStoreKit.class);
        final KitRunner.KitRun run = KitRunner.run(LogStoreKit.class, List.of(
            selectNestedClass(enclosing, StreamStoreConformance.Durability.class),
            selectNestedClass(enclosing, StreamStoreConformance.ModelBased.class),
            selectNestedClass(enclosing, StreamStoreConformance.Compaction.class),
            selectNestedClass(enclosing, StreamStoreConformance.BadInput.class),
            selectNestedClass(enclosing, StreamStoreConformance.ClosedStore.class),
            selectNestedClass(enclosing, StreamStoreConformance.Listeners.class)));
        assertEquals(Set.of(), run.failedRules(), () -> "the log store failed: " + run.summary());
        assertEquals(Set.of("lst_15_storeThatIsNotDurableNeverCallsOnDurable"), run.skipped,
            "a durable store skips only the rule for stores that are not durable");
        assertEquals(20, run.passed.stream().filter(n -> n.startsWith("dur_")).count(), "dur_* passed: " + run.passed);
        assertTrue(run.passed.contains("mdl_04_randomOperationsWithReopenMatchTheModel"));
        assertTrue(run.passed.contains("cmp_05_compactedStoreOccupiesBoundedSpace"));
        assertTrue(run.passed.contains("bad_12_openWithNullDirectory"));
    }
}
