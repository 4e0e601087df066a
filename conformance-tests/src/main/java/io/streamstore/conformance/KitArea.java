package io.streamstore.conformance;

import io.streamstore.spi.Discard;
import io.streamstore.spi.Retention;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every area's rules stand on: each test's stores, opened in a fresh {@link TempDir} with the kit's
 * config defaults, reopened on request and closed after the test, and the backend under test, reached through
 * the enclosing {@link StreamStoreConformance} that each of its {@link Nested} classes
 * names in {@link #kit()}.
 */
abstract class KitArea
{
    /** The kit this area runs in: the enclosing {@link StreamStoreConformance}, which names the backend. */
    abstract StreamStoreConformance kit();

    @TempDir
    Path kitDir;

    private final Map<StreamStore, Opened> opened = Collections.synchronizedMap(new IdentityHashMap<>());
    private final AtomicInteger storeCounter = new AtomicInteger();

    private record Opened(Path dir, StreamConfig config)
    {
    }

    @AfterEach
    void closeEveryStore()
    {
        final List<StreamStore> stores;
        synchronized (opened)
        {
            stores = new ArrayList<>(opened.keySet());
            opened.clear();
        }
        for (final StreamStore store : stores)
        {
            try
            {
                store.close();
            }
            catch (final RuntimeException ignore)
            {
                // A close failure is not the rule under test; the test itself already passed or failed.
            }
        }
    }

    /** The backend under test: {@link StreamStoreConformance#provider()}. */
    StreamStoreProvider provider()
    {
        return kit().provider();
    }

    /** {@link StreamStoreConformance#writeAmplificationBound()} of the backend under test. */
    double writeAmplificationBound()
    {
        return kit().writeAmplificationBound();
    }

    /** {@link StreamStoreConformance#backendOptions()} of the backend under test. */
    Map<String, String> backendOptions()
    {
        return kit().backendOptions();
    }

    /** {@link StreamStoreConformance#compactedDiskBound(long)} of the backend under test. */
    long compactedDiskBound(final long liveBytes)
    {
        return kit().compactedDiskBound(liveBytes);
    }

    /** A config builder with the kit's defaults: stream "kit", {@link SyncPolicy#never()}, backend options. */
    StreamConfig.Builder cfg()
    {
        final StreamConfig.Builder b = StreamConfig.builder("kit").sync(SyncPolicy.never());
        backendOptions().forEach(b::option);
        return b;
    }

    StreamStore open()
    {
        return open(cfg().build());
    }

    StreamStore open(final StreamConfig.Builder builder)
    {
        return open(builder.build());
    }

    StreamStore open(final StreamConfig config)
    {
        return openAt(kitDir.resolve("store-" + storeCounter.incrementAndGet()), config);
    }

    private StreamStore openAt(final Path dir, final StreamConfig config)
    {
        final StreamStore store;
        try
        {
            store = provider().open(dir, config);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("provider " + provider().name() + " could not open " + dir, e);
        }
        assertNotNull(store, "provider().open returned null");
        opened.put(store, new Opened(dir, config));
        return store;
    }

    /** Closes {@code store} and opens its directory again with the same config. */
    StreamStore reopen(final StreamStore store)
    {
        final Opened o = opened.get(store);
        assertNotNull(o, "kit bug: store not opened by the kit");
        store.close();
        opened.remove(store);
        return openAt(o.dir(), o.config());
    }

    Path dirOf(final StreamStore store)
    {
        return opened.get(store).dir();
    }

    void assumeDurable(final String rule)
    {
        assumeTrue(provider().durable(),
            provider().name() + " is not durable: rule " + rule + " applies to durable backends only");
    }

    /** A work queue of one message per subject that discards new ones per subject: the seed scenario's config. */
    StreamConfig.Builder workQueueOnePerSubject()
    {
        return cfg().retention(Retention.WORK_QUEUE).discard(Discard.NEW).maxMsgsPerSubject(1)
            .discardNewPerSubject(true);
    }
}
