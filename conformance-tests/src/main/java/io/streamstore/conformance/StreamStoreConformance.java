package io.streamstore.conformance;

import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.util.Map;

/**
 * The conformance kit: every rule of SPI.md §2 as a JUnit 5 test, run against any backend by extending
 * this class and supplying its provider.
 *
 * <pre>{@code
 * class FileStoreConformanceTest extends StreamStoreConformance
 * {
 *     protected StreamStoreProvider provider()
 *     {
 *         return new FileStoreProvider();
 *     }
 * }
 * }</pre>
 *
 * <p>Rules are grouped by area in {@link Nested} classes, each a thin subclass of its area's rules kept in
 * a file of their own ({@code SequenceRules}, {@code LimitRules}, …); every test's name starts with its
 * rule id
 * ({@code seq_03_…}), listed with the SPI.md line it enforces in the module's {@code RULES.md}. Each test
 * opens its stores in a fresh {@link TempDir}; rules that need a reopen open the same directory again with
 * {@code provider().open(dir, config)}, and for a provider that is not {@link StreamStoreProvider#durable()
 * durable} they are skipped, each with its reason.
 *
 * <p>Unless a rule is about durability policies, stores are opened with {@link SyncPolicy#never()}: every
 * rule here is about what a running store or a cleanly reopened one shows, which no policy changes, and a
 * force per append would make a durable backend's run of the kit take minutes. Crash durability is each
 * durable backend's own test (the SPI cannot kill a process).
 *
 * <p>The model-based rules ({@code mdl_*}) run a fixed list of seeds; {@code -Dstreamstore.seed=N}
 * replays one seed (a failure prints the seed that failed).
 */
public abstract class StreamStoreConformance
{
    static final int KIB = 1024;
    static final int MIB = 1024 * 1024;

    /** The backend under test. */
    protected abstract StreamStoreProvider provider();

    /**
     * Bytes written per appended message byte this backend promises in a steady work-queue loop. Override
     * only with a reason in the Javadoc.
     */
    protected double writeAmplificationBound()
    {
        return 2.0;
    }

    /** Backend options added to every config the kit opens (e.g. a smaller block size). */
    protected Map<String, String> backendOptions()
    {
        return Map.of();
    }

    /**
     * The most {@link StoreStats#bytesOnDisk()} a durable store may report after {@link StreamStore#compact()}
     * when it holds {@code liveBytes} of live messages, opened with {@code file.block-size} = 1 MiB: by
     * default twice the live bytes (record framing, index entries, half-filled pages) plus 4 MiB (one partly
     * filled block, tombstones, indexes). Override only with a reason in the Javadoc.
     */
    protected long compactedDiskBound(final long liveBytes)
    {
        return 2 * liveBytes + 4L * MIB;
    }

    // The areas as JUnit reports them. Each holds no rules of its own: it inherits its area's test methods
    // and hands them this kit, so that they reach the backend under test.
    @Nested
    @DisplayName("sequences and ordering")
    class Sequences extends SequenceRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("subjects and filters")
    class SubjectsAndFilters extends SubjectFilterRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("removal and the ack-commit hook")
    class Removal extends RemovalRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("listener order and reasons")
    class Listeners extends ListenerRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("limits")
    class Limits extends LimitRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("compaction")
    class Compaction extends CompactionRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("durability and reopen")
    class Durability extends DurabilityRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("concurrency")
    class Concurrency extends ConcurrencyRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("bad input")
    class BadInput extends BadInputRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("closed store")
    class ClosedStore extends ClosedStoreRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }

    @Nested
    @DisplayName("model-based")
    class ModelBased extends ModelBasedRules
    {
        @Override
        StreamStoreConformance kit()
        {
            return StreamStoreConformance.this;
        }
    }
}
