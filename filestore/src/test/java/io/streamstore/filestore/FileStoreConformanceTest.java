package io.streamstore.filestore;

import io.streamstore.conformance.StreamStoreConformance;
import io.streamstore.spi.StreamStoreProvider;

/** Every rule of the conformance kit, against the file store with the kit's defaults. */
class FileStoreConformanceTest extends StreamStoreConformance
{
    @Override
    protected StreamStoreProvider provider()
    {
        return new FileStoreProvider();
    }
}
