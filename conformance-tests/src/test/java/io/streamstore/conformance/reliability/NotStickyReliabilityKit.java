package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamStoreProvider;

/** The suite against the broken not-sticky store; run by {@link SuiteCatchesBrokenStoresTest}, expected to fail. */
class NotStickyReliabilityKit extends DurableStoreReliability
{
    @Override
    protected StreamStoreProvider provider()
    {
        return new NotStickyLogProvider();
    }
}
