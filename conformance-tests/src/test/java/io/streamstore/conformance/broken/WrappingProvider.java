package io.streamstore.conformance.broken;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** A provider whose stores are a correct backend's stores behind a broken wrapper. */
final class WrappingProvider implements StreamStoreProvider
{
    private final String name;
    private final StreamStoreProvider inner;
    private final UnaryOperator<StreamStore> wrapper;

    WrappingProvider(final String name, final StreamStoreProvider inner, final UnaryOperator<StreamStore> wrapper)
    {
        this.name = name;
        this.inner = inner;
        this.wrapper = wrapper;
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public boolean durable()
    {
        return inner.durable();
    }

    @Override
    public StreamStore open(final Path directory, final StreamConfig config) throws IOException
    {
        return wrapper.apply(inner.open(directory, config));
    }

    @Override
    public String toString()
    {
        return name + " over " + inner.name();
    }
}
