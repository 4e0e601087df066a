package io.streamstore.lmdbstore;

import io.streamstore.conformance.reliability.DurableStoreReliability;
import io.streamstore.spi.StreamStoreProvider;

/**
 * The kit's reliability suite (kills under every sync policy, truncation, bit rot, fuzzed files, a full disk, races,
 * bad input) against the LMDB store, with the kit's default budgets (45 kills, 1,000 flips, 200 fuzz cases; the
 * {@code streamstore.*} properties raise them). LMDB is native code that may crash on a damaged file, so the
 * corruption cases run in a child JVM where a crash is counted ({@code childCrashes}) instead of failing; any wrong
 * answer still fails. {@code fault_01} is skipped: the store has no I/O seam for injected faults.
 */
class LmdbStoreReliabilityTest extends DurableStoreReliability
{
    @Override
    protected StreamStoreProvider provider()
    {
        return new LmdbStoreProvider();
    }

    @Override
    protected boolean mayCrashOnCorruptFiles()
    {
        return true;
    }
}
