package io.streamstore.lmdbstore;

import io.streamstore.conformance.reliability.DurableStoreReliability;
import io.streamstore.spi.StreamStoreProvider;

/**
 * The kit's reliability suite (kills under every sync policy, truncation, bit rot, fuzzed files, a full disk, races,
 * bad input) against the LMDB store, with the kit's default budgets (45 kills, 1,000 flips, 200 fuzz cases; the
 * {@code streamstore.*} properties raise them). LMDB is native code that may crash on a damaged file, so the
 * corruption cases run in a child JVM where a crash is counted ({@code childCrashes}) instead of failing; any wrong
 * answer still fails.
 *
 * <p>{@code fault_01} (an I/O error at every write and force call index) needs a seam in front of LMDB's native
 * {@code pwrite}/{@code fdatasync}, which only an {@code LD_PRELOAD} library gives: in this JVM the provider is the
 * plain one and the kit skips the rule; {@link LmdbStoreFaultInjectionTest} runs it, unchanged, in a child JVM with
 * the shim preloaded, where {@link ShimFaultChild#inChild()} makes the provider a {@link ShimFaultProvider}.
 */
class LmdbStoreReliabilityTest extends DurableStoreReliability
{
    @Override
    protected StreamStoreProvider provider()
    {
        return ShimFaultChild.inChild() ? new ShimFaultProvider() : new LmdbStoreProvider();
    }

    @Override
    protected String faultInjectionElsewhere()
    {
        return "LMDB's I/O is native: fault_01 runs in LmdbStoreFaultInjectionTest's child JVM, with an LD_PRELOAD " +
            "shim in front of libc's write and sync calls";
    }

    @Override
    protected boolean mayCrashOnCorruptFiles()
    {
        return true;
    }
}
