package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Optional: a {@link io.streamstore.spi.StreamStoreProvider} implements this to let
 * {@link DurableStoreReliability} fail its I/O at every write and force call index. The backend routes each
 * write and force it makes (data, index and metadata files alike, and directory forces) through
 * {@link IoFaults#beforeIo}, which throws the injected {@link IOException} at the chosen call.
 *
 * <pre>{@code
 * public StreamStore openWithFaults(Path dir, StreamConfig config, IoFaults faults) throws IOException
 * {
 *     return FileStore.open(dir, config, new FaultyFileIo(new DefaultFileIo(), faults::beforeIo));
 * }
 * }</pre>
 */
public interface FaultInjectable
{
    /**
     * Opens a store like {@code open(directory, config)} whose writes and forces first call
     * {@code faults.beforeIo(operation, file)}.
     */
    StreamStore openWithFaults(Path directory, StreamConfig config, IoFaults faults) throws IOException;
}
