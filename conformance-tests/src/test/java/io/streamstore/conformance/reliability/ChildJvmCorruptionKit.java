package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamStoreProvider;

/**
 * The correct log store with {@link #mayCrashOnCorruptFiles()} on, so that its corruption cases run in a
 * {@link CaseWorker} child JVM as LMDB's do; run by {@link SuiteCatchesBrokenStoresTest}, expected to pass.
 */
class ChildJvmCorruptionKit extends DurableStoreReliability
{
    @Override
    protected StreamStoreProvider provider()
    {
        return new LogStoreProvider();
    }

    @Override
    protected boolean mayCrashOnCorruptFiles()
    {
        return true;
    }

    @Override
    protected int bitFlips()
    {
        return 150;
    }

    @Override
    protected int fuzzCases()
    {
        return 50;
    }

    @Override
    protected String figuresName()
    {
        return "kit-log-child-jvm";
    }
}
