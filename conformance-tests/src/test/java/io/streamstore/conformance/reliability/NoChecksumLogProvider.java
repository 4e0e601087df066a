package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code kit-log-no-crc}: a deliberately broken durable store whose recovery ignores the records' checksums, as
 * LMDB does for its pages. A flipped payload bit reads back as a wrong payload; the bit-rot check must report
 * CORRUPT for it.
 */
public final class NoChecksumLogProvider implements StreamStoreProvider
{
    @Override
    public String name()
    {
        return "kit-log-no-crc";
    }

    @Override
    public boolean durable()
    {
        return true;
    }

    @Override
    public StreamStore open(final Path directory, final StreamConfig config) throws IOException
    {
        return new LogStore(directory, config, (op, file) -> { }, false, false);
    }
}
