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
 *   <li>{@value #SPIN_WAIT_MICROS} — under {@code always}, how long a writer waiting for its batch's commit
 *       yields the CPU before it parks, 0 to {@value #MAX_SPIN_WAIT_MICROS}, default
 *       {@value #DEFAULT_SPIN_WAIT_MICROS}: up to twice the last commit's duration, and not at all once a
 *       commit takes longer than this. Writers also try for the store lock a few times between yields before
 *       queueing on it. 0 parks at once and queues at once, which saves the CPU the waiting writers burn
 *       (16 writers on 2 cores keep 1.9 cores busy instead of 0.7) at the cost of group-commit throughput.</li>
 * </ul>
 */
public final class LmdbStoreProvider implements StreamStoreProvider
{
    public static final String MAP_SIZE = "lmdb.map-size";
    public static final String MAX_MAP_SIZE = "lmdb.max-map-size";
    public static final String SPIN_WAIT_MICROS = "lmdb.spin-wait-micros";

    static final long MIN_MAP_SIZE = 1L << 20;
    static final long DEFAULT_MAP_SIZE = 64L << 20;
    static final long DEFAULT_MAX_MAP_SIZE = 64L << 30;
    static final long LARGEST_MAP_SIZE = 1L << 44;
    static final long DEFAULT_SPIN_WAIT_MICROS = 1000;
    static final long MAX_SPIN_WAIT_MICROS = 10_000;

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
        config.longOption(SPIN_WAIT_MICROS, DEFAULT_SPIN_WAIT_MICROS, 0, MAX_SPIN_WAIT_MICROS);
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
