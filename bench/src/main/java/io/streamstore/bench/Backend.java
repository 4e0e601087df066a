package io.streamstore.bench;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A backend selected on the command line: a provider and the name it is shown under.
 *
 * @param name     the name given in {@code --backends}, such as {@code file} or {@code broken-overcompaction}
 * @param provider opens its stores
 */
record Backend(String name, StreamStoreProvider provider)
{
    boolean durable()
    {
        return provider.durable();
    }

    StreamStore open(final Path directory, final StreamConfig config) throws IOException
    {
        return provider.open(directory, config);
    }
}
