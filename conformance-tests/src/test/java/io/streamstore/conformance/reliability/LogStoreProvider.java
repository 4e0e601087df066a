package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;

import java.io.IOException;
import java.nio.file.Path;

/** {@code kit-log}: the kit's own durable log store ({@link LogStore}), with the kit's fault-injection seam. */
public final class LogStoreProvider implements StreamStoreProvider, FaultInjectable
{
    @Override
    public String name()
    {
        return "kit-log";
    }

    @Override
    public boolean durable()
    {
        return true;
    }

    @Override
    public StreamStore open(final Path directory, final StreamConfig config) throws IOException
    {
        return new LogStore(directory, config, (op, file) -> { }, false);
    }

    @Override
    public StreamStore openWithFaults(final Path directory, final StreamConfig config, final IoFaults faults)
        throws IOException
    {
        return new LogStore(directory, config, faults::beforeIo, false);
    }
}
