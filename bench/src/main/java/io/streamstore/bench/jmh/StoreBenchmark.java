package io.streamstore.bench.jmh;

import io.streamstore.spi.Discard;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStores;
import io.streamstore.spi.SyncPolicy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Per-operation costs of one backend, through the SPI only.
 *
 * <p>Each trial opens a fresh store (sync never) in a temporary directory and fills it with
 * {@link #RESIDENT} messages on ten subjects {@code bench.s0.data … bench.s9.data}; the store is capped at
 * {@code RESIDENT} messages with {@code Discard.OLD}, so {@link #append} measures the steady state of a
 * limits stream (append, evicting the oldest) and memory stays bounded whatever the payload.
 *
 * <ul>
 *   <li>{@link #append} — one append (and the eviction it causes);</li>
 *   <li>{@link #load} — {@code load(seq)} of a random sequence among those filled (all live in its trial);</li>
 *   <li>{@link #removeAppend} — the work-queue step: remove the oldest, append a new one;</li>
 *   <li>{@link #loadNextWildcard} — {@code loadNext("bench.s7.*", from)}, one subject in ten matching, walking on.</li>
 * </ul>
 *
 * <p>Run (after {@code ./mvnw -B -q -DskipTests package}):
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/streamstore-bench.jar \
 *     org.openjdk.jmh.Main StoreBenchmark -p backend=memory,file,lmdb -prof gc
 * </pre>
 * or {@code bench/streamstore-bench jmh -p backend=memory,file,lmdb -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx2g"})
public class StoreBenchmark
{
    static final int RESIDENT = 100_000;
    static final int SUBJECTS = 10;
    static final String FILTER = "bench.s7.*";

    /** Backend name as {@code StreamStores} knows it; pass {@code -p backend=memory,file,lmdb} for several. */
    @Param({"memory"})
    public String backend;

    @Param({"16", "100", "4096"})
    public int payloadBytes;

    private Path directory;
    private StreamStore store;
    private byte[] payload;
    private String[] subjects;
    private Random random;
    private long appended;
    private long firstAtSetup;
    private long oldest;
    private long wildcardFrom;

    @Setup(Level.Trial)
    public void open() throws IOException
    {
        directory = Files.createTempDirectory("streamstore-jmh-" + backend + "-");
        final StreamConfig config = StreamConfig.builder("jmh")
            .sync(SyncPolicy.never())
            .maxMsgs(RESIDENT)
            .discard(Discard.OLD)
            .build();
        store = StreamStores.open(backend, directory, config);
        payload = new byte[payloadBytes];
        new Random(42).nextBytes(payload);
        subjects = new String[SUBJECTS];
        for (int i = 0; i < SUBJECTS; i++)
        {
            subjects[i] = "bench.s" + i + ".data";
        }
        random = new Random(7);
        for (int i = 0; i < RESIDENT; i++)
        {
            append();
        }
        firstAtSetup = store.state().firstSeq();
        oldest = firstAtSetup;
        wildcardFrom = firstAtSetup;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException
    {
        store.close();
        Files.walkFileTree(directory, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
            {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path dir, final IOException e) throws IOException
            {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Benchmark
    public long append()
    {
        return store.append(subjects[(int)(appended++ % SUBJECTS)], null, payload);
    }

    @Benchmark
    public StoredMessage load()
    {
        return store.load(firstAtSetup + (long)(random.nextDouble() * RESIDENT));
    }

    @Benchmark
    public long removeAppend()
    {
        StoredMessage m = store.loadNext(">", oldest);
        if (m == null)
        {
            m = store.loadNext(">", 1);
        }
        store.remove(m.seq());
        oldest = m.seq() + 1;
        return store.append(m.subject(), null, payload);
    }

    @Benchmark
    public StoredMessage loadNextWildcard()
    {
        StoredMessage m = store.loadNext(FILTER, wildcardFrom);
        if (m == null)
        {
            m = store.loadNext(FILTER, 1);
        }
        wildcardFrom = m.seq() + 1;
        return m;
    }
}
