package io.streamstore.conformance.broken;

import io.streamstore.conformance.StreamStoreConformance;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.StreamStores;

/**
 * The kit against broken-overcompaction over the memory store. Not a test of its own (its name does not end in
 * Test): {@link KitCatchesBrokenBackendsTest} runs it through the JUnit Platform launcher and expects failures.
 */
class OverCompactionKit extends StreamStoreConformance
{
    @Override
    protected StreamStoreProvider provider()
    {
        return BrokenProviders.overCompaction(StreamStores.provider("memory"));
    }
}
