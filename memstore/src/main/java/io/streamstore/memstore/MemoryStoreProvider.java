package io.streamstore.memstore;

import io.streamstore.spi.Arguments;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;

import java.nio.file.Path;

/**
 * The memory backend, provider name {@value #NAME}: every message on the heap, fast, and gone at
 * {@code close()} (not durable). Keeps every rule of the SPI that does not need a disk; the directory
 * is ignored (it may be null) and so are backend options, since it has none.
 *
 * <pre>{@code
 * try (StreamStore store = StreamStores.open("memory", null, StreamConfig.builder("orders").build()))
 * {
 *     final long seq = store.append("orders.eu.42", payload);
 * }
 * }</pre>
 */
public final class MemoryStoreProvider implements StreamStoreProvider
{
    /** The name to open it by. */
    public static final String NAME = "memory";

    @Override
    public String name()
    {
        return NAME;
    }

    /** False: nothing survives {@code close()}. */
    @Override
    public boolean durable()
    {
        return false;
    }

    /**
     * Opens a new, empty memory store.
     *
     * @param directory ignored; may be null
     * @throws IllegalArgumentException if {@code config} is null
     */
    @Override
    public StreamStore open(final Path directory, final StreamConfig config)
    {
        return new MemoryStore(Arguments.requireNonNull(config, "config"));
    }

    @Override
    public String toString()
    {
        return "MemoryStoreProvider{name=" + NAME + ", durable=false}";
    }
}
