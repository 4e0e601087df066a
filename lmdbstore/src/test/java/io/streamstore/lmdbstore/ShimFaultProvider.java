package io.streamstore.lmdbstore;

import io.streamstore.conformance.reliability.FaultInjectable;
import io.streamstore.conformance.reliability.IoFaults;
import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.SubjectState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The LMDB provider plus the kit's fault hook, through the preloaded {@link IoShim}: the store itself has no I/O
 * seam (LMDB writes and forces in native code), so the shim counts and fails the calls of everything under the
 * store's directory, LMDB's {@code pwrite}/{@code writev}/{@code fdatasync} and the store's own Java file work
 * (lock file, compaction copy, rename, directory force) alike. The shim is armed from the open until the store
 * is closed, so the kit's clean reopen afterwards counts nothing. Used only inside the child JVM of
 * {@link LmdbStoreFaultInjectionTest}.
 */
final class ShimFaultProvider implements StreamStoreProvider, FaultInjectable
{
    private final LmdbStoreProvider provider = new LmdbStoreProvider();

    @Override
    public String name()
    {
        return provider.name();
    }

    @Override
    public boolean durable()
    {
        return provider.durable();
    }

    @Override
    public StreamStore open(final Path directory, final StreamConfig config) throws IOException
    {
        return provider.open(directory, config);
    }

    @Override
    public StreamStore openWithFaults(final Path directory, final StreamConfig config, final IoFaults faults)
        throws IOException
    {
        // made before arming: the shim matches real paths, and the directory's creation is not a counted call
        Files.createDirectories(directory);
        IoShim.arm(directory, faults);
        try
        {
            return new Disarming(provider.open(directory, config));
        }
        catch (final IOException | RuntimeException | Error e)
        {
            IoShim.disarm();
            throw e;
        }
    }

    @Override
    public String toString()
    {
        return "ShimFaultProvider[lmdb]";
    }

    /** The store, disarming the shim once it is closed. */
    private static final class Disarming implements StreamStore
    {
        private final StreamStore store;

        Disarming(final StreamStore store)
        {
            this.store = store;
        }

        @Override
        public StreamConfig config()
        {
            return store.config();
        }

        @Override
        public long append(final String subject, final byte[] headers, final byte[] payload)
        {
            return store.append(subject, headers, payload);
        }

        @Override
        public StoredMessage load(final long seq)
        {
            return store.load(seq);
        }

        @Override
        public StoredMessage loadNext(final String filter, final long fromSeq)
        {
            return store.loadNext(filter, fromSeq);
        }

        @Override
        public StoredMessage loadLast(final String subject)
        {
            return store.loadLast(subject);
        }

        @Override
        public boolean remove(final long seq)
        {
            return store.remove(seq);
        }

        @Override
        public long purge()
        {
            return store.purge();
        }

        @Override
        public CompactionResult compact()
        {
            return store.compact();
        }

        @Override
        public StreamState state()
        {
            return store.state();
        }

        @Override
        public SubjectState subjectState(final String subject)
        {
            return store.subjectState(subject);
        }

        @Override
        public StoreStats stats()
        {
            return store.stats();
        }

        @Override
        public RecoveryReport recoveryReport()
        {
            return store.recoveryReport();
        }

        @Override
        public void sync()
        {
            store.sync();
        }

        @Override
        public void addListener(final StoreListener listener)
        {
            store.addListener(listener);
        }

        @Override
        public void close()
        {
            try
            {
                store.close();
            }
            finally
            {
                IoShim.disarm();
            }
        }

        @Override
        public String toString()
        {
            return store.toString();
        }
    }
}
