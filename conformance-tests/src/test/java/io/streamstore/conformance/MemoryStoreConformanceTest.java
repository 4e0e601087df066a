package io.streamstore.conformance;

import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.StreamStores;

/** The kit against the memory store, found by name through the class path like any broker would. */
class MemoryStoreConformanceTest extends StreamStoreConformance
{
    @Override
    protected StreamStoreProvider provider()
    {
        return StreamStores.provider("memory");
    }
}
