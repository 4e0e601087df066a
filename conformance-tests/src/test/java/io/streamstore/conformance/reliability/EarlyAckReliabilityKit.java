package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamStoreProvider;

/**
 * The reliability suite against the broken early-ack store. Not a test of its own (its name does not end in
 * Test): {@link SuiteCatchesBrokenStoresTest} runs its crash check through the JUnit Platform launcher and
 * expects it to fail with LOST.
 */
class EarlyAckReliabilityKit extends DurableStoreReliability
{
    @Override
    protected StreamStoreProvider provider()
    {
        return new EarlyAckLogProvider();
    }

    @Override
    protected int crashKills()
    {
        // crash_01 gets kills - 2 * (kills / 4) = 10: one kill in ten lands while the store opens, when nothing
        // is buffered; the others find acknowledged appends in the unforced buffer.
        return 20;
    }
}
