package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.StreamStores;

/**
 * The reliability suite against the memory store: the concurrency and bad-input checks run; the durable-only
 * ones (crash, corruption, full disk, faults, directory misuse) are skipped, each with its reason.
 */
class MemoryStoreReliabilityTest extends DurableStoreReliability
{
    @Override
    protected StreamStoreProvider provider()
    {
        return StreamStores.provider("memory");
    }
}
