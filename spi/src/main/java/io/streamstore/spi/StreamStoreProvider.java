package io.streamstore.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A backend, found with {@link java.util.ServiceLoader}: a jar that lists its implementation in
 * {@code META-INF/services/io.streamstore.spi.StreamStoreProvider} is all it takes for
 * {@link StreamStores#open} to find it by {@link #name()}.
 */
public interface StreamStoreProvider
{
    /** The name to open it by, such as {@code memory}, {@code file} or {@code lmdb}; matched case-insensitively. */
    String name();

    /** True when a store survives {@code close()} and a reopen of the same directory. */
    boolean durable();

    /**
     * Opens (or creates) the store in {@code directory}. A store that is not durable may ignore it.
     *
     * @throws IllegalArgumentException for a null argument or a malformed or out-of-range backend option
     * @throws StoreLockedException     when another store has the directory open
     * @throws CorruptStoreException    when the stored data is damaged beyond a torn tail
     * @throws IOException              when the directory cannot be created or read
     */
    StreamStore open(Path directory, StreamConfig config) throws IOException;
}
