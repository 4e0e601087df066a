package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code kit-log-early-ack}: a deliberately broken durable store that acknowledges before it forces. Its appends
 * under {@code SyncPolicy.always()} return, and {@code onDurable} fires, while the record still sits in a 64 KiB
 * user-space buffer; a kill loses it. The crash harness must report LOST for it.
 */
public final class EarlyAckLogProvider implements StreamStoreProvider
{
    @Override
    public String name()
    {
        return "kit-log-early-ack";
    }

    @Override
    public boolean durable()
    {
        return true;
    }

    @Override
    public StreamStore open(final Path directory, final StreamConfig config) throws IOException
    {
        return new LogStore(directory, config, (op, file) -> { }, true);
    }
}
