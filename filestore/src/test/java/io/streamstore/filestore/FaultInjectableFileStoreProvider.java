package io.streamstore.filestore;

import io.streamstore.conformance.reliability.FaultInjectable;
import io.streamstore.conformance.reliability.IoFaults;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The file provider plus the reliability kit's fault hook (tests only: the production provider does not
 * depend on the kit). Not registered with ServiceLoader; the kit's child JVMs load it by class name.
 */
public final class FaultInjectableFileStoreProvider implements StreamStoreProvider, FaultInjectable
{
    private final FileStoreProvider provider = new FileStoreProvider();

    @Override
    public String name()
    {
        return provider.name();
    }

    @Override
    public boolean durable()
    {
        return provider.durable();
    }

    @Override
    public StreamStore open(final Path directory, final StreamConfig config) throws IOException
    {
        return provider.open(directory, config);
    }

    @Override
    public StreamStore openWithFaults(final Path directory, final StreamConfig config, final IoFaults faults)
        throws IOException
    {
        return FileStore.open(directory, config, new KitFaultFileIo(faults));
    }
}
