package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code kit-log-not-sticky}: a deliberately broken durable store that forgets a write or force error and
 * accepts the next write (the fsyncgate mistake). The fault-injection check must report NOT_STICKY for it.
 */
public final class NotStickyLogProvider implements StreamStoreProvider, FaultInjectable
{
    @Override
    public String name()
    {
        return "kit-log-not-sticky";
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
        final LogStore store = new LogStore(directory, config, faults::beforeIo, false);
        store.sticky = false;
        return store;
    }
}
