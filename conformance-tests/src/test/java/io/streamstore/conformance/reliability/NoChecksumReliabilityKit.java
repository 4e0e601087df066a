package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamStoreProvider;

/** The suite against the broken no-checksum store; run by {@link SuiteCatchesBrokenStoresTest}, expected to fail. */
class NoChecksumReliabilityKit extends DurableStoreReliability
{
    @Override
    protected StreamStoreProvider provider()
    {
        return new NoChecksumLogProvider();
    }

    @Override
    protected int bitFlips()
    {
        return 200;
    }
}
