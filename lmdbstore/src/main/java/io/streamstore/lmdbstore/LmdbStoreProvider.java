package io.streamstore.lmdbstore;

import io.streamstore.spi.Arguments;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The LMDB backend, {@code lmdb}: a durable store in one LMDB environment per directory, through LMDBJava
 * with Agrona buffers. Options (with {@link StreamConfig.Builder#option}):
 * <ul>
 *   <li>{@value #MAP_SIZE} — initial map size in bytes, {@value #MIN_MAP_SIZE} to 2^44, default 64 MiB.
 *       The map grows by doubling when LMDB reports {@code MDB_MAP_FULL}.</li>
 *   <li>{@value #MAX_MAP_SIZE} — the ceiling of that growth, {@value #MIN_MAP_SIZE} to 2^44, default 64 GiB
 *       (address space only: the file grows with the data); past it an append is a
 *       {@link io.streamstore.spi.StoreFullException} and nothing changes. Removals may exceed it by 1/16
 *       (at least 1 MiB), since LMDB needs free pages to delete.</li>
 * </ul>
 */
public final class LmdbStoreProvider implements StreamStoreProvider
{
    public static final String MAP_SIZE = "lmdb.map-size";
    public static final String MAX_MAP_SIZE = "lmdb.max-map-size";

    static final long MIN_MAP_SIZE = 1L << 20;
    static final long DEFAULT_MAP_SIZE = 64L << 20;
    static final long DEFAULT_MAX_MAP_SIZE = 64L << 30;
    static final long LARGEST_MAP_SIZE = 1L << 44;

    @Override
    public String name()
    {
        return "lmdb";
    }

    @Override
    public boolean durable()
    {
        return true;
    }

    @Override
    public StreamStore open(final Path directory, final StreamConfig config) throws IOException
    {
        Arguments.requireNonNull(directory, "directory");
        Arguments.requireNonNull(config, "config");
        final long maxMapSize = config.longOption(MAX_MAP_SIZE, DEFAULT_MAX_MAP_SIZE, MIN_MAP_SIZE, LARGEST_MAP_SIZE);
        final long mapSize = config.longOption(
            MAP_SIZE, Math.min(DEFAULT_MAP_SIZE, maxMapSize), MIN_MAP_SIZE, LARGEST_MAP_SIZE);
        if (mapSize > maxMapSize)
        {
            throw new IllegalArgumentException("option " + MAP_SIZE + " (" + mapSize + ") must not exceed option " +
                MAX_MAP_SIZE + " (" + maxMapSize + ")");
        }
        Files.createDirectories(directory);
        return LmdbStore.open(directory, config, mapSize, maxMapSize);
    }

    @Override
    public String toString()
    {
        return "LmdbStoreProvider[lmdb]";
    }
}
