package io.streamstore.conformance.reliability;

import io.streamstore.conformance.KitThreads;
import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.Retention;
import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StoreException;
import io.streamstore.spi.StoreFullException;
import io.streamstore.spi.StoreLockedException;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.StreamStores;
import io.streamstore.spi.Subjects;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The reliability suite: what a durable backend must survive — process kills, torn writes, bit rot, hostile
 * files, a full disk, I/O errors, races and bad input — run against any backend by extending this class.
 * See the module's {@code RELIABILITY.md} for what each check proves and the violation vocabulary
 * ({@link Violation.Kind}).
 *
 * <pre>{@code
 * class FileStoreReliabilityTest extends DurableStoreReliability
 * {
 *     protected StreamStoreProvider provider()
 *     {
 *         return new FileStoreProvider();
 *     }
 *
 *     protected Map<String, String> backendOptions()
 *     {
 *         return Map.of("file.block-size", "65536"); // so that blocks roll during the crash workload
 *     }
 * }
 * }</pre>
 *
 * <p>The crash, full-disk, lock and corruption checks run the backend in child JVMs that find it by
 * {@link #childProviderSpec()}: its name, when {@link StreamStores#provider(String)} finds the same class on
 * the class path, or else its class name (which then needs a public no-argument constructor).
 *
 * <p>Randomised checks print their seed and replay with {@code -Dstreamstore.seed=N}; budgets come from
 * {@code streamstore.crash.kills}, {@code streamstore.flips}, {@code streamstore.fuzz.cases} (the {@code soak}
 * profile raises them). Figures go to {@code target/reliability/<suite>-<backend>.json}. Checks that apply to
 * durable backends only are skipped, each with its reason, for a provider that is not durable.
 */
public abstract class DurableStoreReliability
{
    /** The backend under test. */
    protected abstract StreamStoreProvider provider();

    /** Backend options added to every config the suite opens (e.g. a small block size, so blocks roll). */
    protected Map<String, String> backendOptions()
    {
        return Map.of();
    }

    /**
     * True when corrupt or truncated files may crash the JVM (native code such as LMDB's): the corruption checks
     * then run in a child JVM, and a crash is counted as a figure ({@code childCrashes}) instead of failing.
     */
    protected boolean mayCrashOnCorruptFiles()
    {
        return false;
    }

    /**
     * The files the corruption checks truncate and flip bits in; by default every regular file under the store
     * directory except lock files (a name containing "lock", any case).
     */
    protected Predicate<Path> dataFile()
    {
        return p -> Files.isRegularFile(p) && !p.getFileName().toString().toLowerCase(Locale.ROOT).contains("lock");
    }

    /** How child JVMs find the backend: {@code name:<name>} or {@code class:<provider class>}. */
    protected String childProviderSpec()
    {
        final StreamStoreProvider p = provider();
        try
        {
            if (StreamStores.provider(p.name()).getClass() == p.getClass())
            {
                return "name:" + p.name();
            }
        }
        catch (final IllegalArgumentException notRegistered)
        {
            // fall through to the class name
        }
        return "class:" + p.getClass().getName();
    }

    /**
     * The phases each crash test (of 10 kills or more) must have killed the child in: by default the
     * operations append, remove, compact and purge. A backend whose provider implements {@link FaultInjectable}
     * may add I/O steps as {@code <op>/<io>}, where {@code io} is an operation name its seam passes to
     * {@link IoFaults#beforeIo} (such as {@code append/create}: a file created during an append, a block roll);
     * the child pauses before that call and is killed there, so the crash lands exactly at that step.
     */
    protected List<String> crashPhases()
    {
        return CrashHarness.REQUIRED_PHASES;
    }

    /**
     * Where {@code fault_01} runs instead when this provider is not {@link FaultInjectable} here but the backend's
     * tests run the rule another way (a child JVM with a native I/O shim, say): the reason its skip here reports.
     */
    protected String faultInjectionElsewhere()
    {
        return null;
    }

    /** Kills of the crash checks, over all three sync policies; {@code -Dstreamstore.crash.kills}, default 45. */
    protected int crashKills()
    {
        return (int)longProperty("streamstore.crash.kills", 45);
    }

    /** Single-bit flips of the bit-rot check; {@code -Dstreamstore.flips}, default 1,000. */
    protected int bitFlips()
    {
        return (int)longProperty("streamstore.flips", 1000);
    }

    /** Random and mutated files of the parser fuzz check; {@code -Dstreamstore.fuzz.cases}, default 200. */
    protected int fuzzCases()
    {
        return (int)longProperty("streamstore.fuzz.cases", 200);
    }

    /** Bytes at the end of each data file the truncation check cuts at, one offset at a time. */
    protected int truncationTailBytes()
    {
        return (int)longProperty("streamstore.truncation.bytes", 512);
    }

    /** Size of the tmpfs of the full-disk check. */
    protected long fullDiskBytes()
    {
        return 2L * 1024 * 1024;
    }

    /** The backend's name in figure files ({@code <suite>-<name>.json}); by default the provider's name. */
    protected String figuresName()
    {
        return provider().name();
    }

    /** Most seconds one corruption case (open, reads, probe append) may take before it counts as a HANG. */
    protected long caseTimeoutSeconds()
    {
        return longProperty("streamstore.case.timeout", 30);
    }

    @TempDir
    Path tmp;

    private final List<StreamStore> opened = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void closeStores()
    {
        synchronized (opened)
        {
            for (final StreamStore s : opened)
            {
                try
                {
                    s.close();
                }
                catch (final RuntimeException ignore)
                {
                    // the check itself passed or failed already
                }
            }
            opened.clear();
        }
    }

    // ------------------------------------------------------------------------------------------------ crash

    @Test
    void crash_01_killUnderSyncAlwaysLosesNoAcknowledgedChange(final TestInfo info) throws Exception
    {
        crash(SyncPolicy.always(), Math.max(1, crashKills() - 2 * (crashKills() / 4)), info);
    }

    @Test
    void crash_02_killUnderSyncEveryLosesNothingOnDurableCovered(final TestInfo info) throws Exception
    {
        crash(SyncPolicy.every(Duration.ofMillis(20)), Math.max(1, crashKills() / 4), info);
    }

    @Test
    void crash_03_killUnderSyncNeverLosesNothingSyncCovered(final TestInfo info) throws Exception
    {
        crash(SyncPolicy.never(), Math.max(1, crashKills() / 4), info);
    }

    private void crash(final SyncPolicy policy, final int kills, final TestInfo info) throws Exception
    {
        assumeDurable("crash");
        final long seed = seed(info);
        final String policyName = Workload.policyName(policy).replace(':', '-');
        final CrashHarness.Result r = new CrashHarness(provider(), childProviderSpec(), tmp, policy, backendOptions(),
            seed, crashPhases()).run(kills, longProperty("streamstore.crash.seconds", 240));
        final String suite = "crash";
        final String backend = figuresName();
        Figures.add(suite, backend, "kills", r.kills());
        Figures.add(suite, backend, "kills." + policyName, r.kills());
        Figures.add(suite, backend, "ackedOperationsChecked", r.ackedChecked());
        Figures.add(suite, backend, "linesRead", r.linesRead());
        Figures.add(suite, backend, "cleanExits", r.cleanExits());
        Figures.add(suite, backend, "violations", r.violations().size());
        r.phases().forEach((phase, n) -> Figures.add(suite, backend, "killedDuring." + phase, n));
        Figures.append(suite, backend, "seeds", policyName + ":" + seed);
        r.violations().stream().limit(20).forEach(v -> Figures.append(suite, backend, "violationList", v.toString()));
        Figures.write(suite, backend);
        System.out.println("[reliability] crash " + backend + " " + policyName + ": " + r.kills() + " kills, " +
            r.ackedChecked() + " acknowledged operations checked, phases " + r.phases() + ", " +
            r.violations().size() + " violations (seed " + seed + ")");
        assertNoViolations(r.violations(), seed);
        assertTrue(r.kills() >= Math.min(kills, 3), "only " + r.kills() + " of " + kills + " kills ran in time");
        if (r.kills() >= CrashHarness.KILLS_FOR_SPREAD)
        {
            // A harness whose kills all land in one phase proves little about the others.
            final List<String> missed = crashPhases().stream()
                .filter(phase -> r.phases().getOrDefault(phase, 0L) == 0).toList();
            assertEquals(List.of(), missed, "no kill landed in these phases in " + r.kills() + " kills (phases " +
                r.phases() + ", seed " + seed + ")");
        }
        if (r.kills() >= 8)
        {
            // With a few kills every child may die before its first acknowledgement; with eight, not all.
            assertTrue(r.ackedChecked() > 0, "no acknowledged operation was checked in " + r.kills() + " kills: " +
                "the workload did nothing");
        }
    }

    // ------------------------------------------------------------------------------- torn writes, bit rot, fuzz

    @Test
    void torn_01_truncationAtEveryTailOffsetIsCutAndReportedOrRefused(final TestInfo info) throws Exception
    {
        assumeDurable("torn");
        final long seed = seed(info);
        final Path pristine = pristine(seed);
        final List<String> cases = new ArrayList<>();
        for (final Map.Entry<String, Long> f : dataFiles(pristine).entrySet())
        {
            final long size = f.getValue();
            for (long t = Math.max(0, size - truncationTailBytes()); t < size; t++)
            {
                cases.add("T|" + f.getKey() + "|" + t);
            }
        }
        runCases("corruption", "truncations", pristine, seed, cases);
    }

    @Test
    void rot_01_singleBitFlipsAnywhereNeverYieldWrongData(final TestInfo info) throws Exception
    {
        assumeDurable("rot");
        final long seed = seed(info);
        final Path pristine = pristine(seed);
        final Map<String, Long> files = dataFiles(pristine);
        final long total = files.values().stream().mapToLong(Long::longValue).sum();
        assertTrue(total > 0, "the store wrote no data files");
        final Random r = new Random(seed);
        final List<String> cases = new ArrayList<>();
        for (int i = 0; i < bitFlips(); i++)
        {
            long at = (long)(r.nextDouble() * total);
            for (final Map.Entry<String, Long> f : files.entrySet())
            {
                if (at < f.getValue())
                {
                    cases.add("F|" + f.getKey() + "|" + at + "|" + r.nextInt(8));
                    break;
                }
                at -= f.getValue();
            }
        }
        runCases("corruption", "flips", pristine, seed, cases);
    }

    @Test
    void fuzz_01_randomAndMutatedFilesNeverYieldWrongData(final TestInfo info) throws Exception
    {
        assumeDurable("fuzz");
        final long seed = seed(info);
        final Path pristine = pristine(seed);
        final List<Map.Entry<String, Long>> files = new ArrayList<>(dataFiles(pristine).entrySet());
        final Random r = new Random(seed);
        final List<String> cases = new ArrayList<>();
        for (int i = 0; i < fuzzCases(); i++)
        {
            final Map.Entry<String, Long> f = files.get(r.nextInt(files.size()));
            cases.add(CorruptionCase.fuzz(r, f.getKey(), (int)Math.min(Integer.MAX_VALUE, f.getValue())));
        }
        runCases("corruption", "fuzzCases", pristine, seed, cases);
    }

    private Path pristine(final long seed) throws IOException
    {
        final Path pristine = tmp.resolve("pristine");
        CorruptionCase.build(provider(), pristine, backendOptions(), seed);
        return pristine;
    }

    /** The data files of a store, relative path to size. */
    private Map<String, Long> dataFiles(final Path store) throws IOException
    {
        final Map<String, Long> files = new TreeMap<>();
        final Predicate<Path> data = dataFile();
        try (Stream<Path> walk = Files.walk(store))
        {
            for (final Path p : (Iterable<Path>)walk::iterator)
            {
                if (Files.isRegularFile(p) && data.test(p) && Files.size(p) > 0)
                {
                    files.put(store.relativize(p).toString(), Files.size(p));
                }
            }
        }
        assertFalse(files.isEmpty(), "no data file found under " + store + " (see dataFile())");
        return files;
    }

    private void runCases(final String suite, final String figure, final Path pristine, final long seed,
        final List<String> cases) throws Exception
    {
        final String only = System.getProperty("streamstore.case");
        if (only != null && !only.isBlank())
        {
            // replay one case of a failed run: -Dstreamstore.seed=<seed> -Dstreamstore.case='<case>'
            assumeTrue(cases.contains(only), "case " + only + " is not among this check's " + figure);
            cases.retainAll(List.of(only));
        }
        final String backend = figuresName();
        final Map<String, Long> outcomes = new TreeMap<>();
        final List<Violation> violations = new ArrayList<>();
        long crashes = 0;
        final long resurrectedBefore = CorruptionCase.resurrectedAfterCut.get();
        try (CaseRunner runner = CaseRunner.create(mayCrashOnCorruptFiles(), provider(), childProviderSpec(), pristine,
            tmp.resolve("case"), backendOptions(), seed, caseTimeoutSeconds()))
        {
            for (final String c : cases)
            {
                final CorruptionCase.Outcome o = runner.run(c);
                if (o.violation() != null && o.violation().kind() == Violation.Kind.CRASH && mayCrashOnCorruptFiles())
                {
                    if (crashes++ < 20)
                    {
                        Figures.append(suite, figuresName(), "crashedCases", c);
                    }
                    outcomes.merge("CRASH", 1L, Long::sum);
                    continue;
                }
                outcomes.merge(o.kind(), 1L, Long::sum);
                if (o.violation() != null)
                {
                    final Violation v = o.violation();
                    violations.add(new Violation(v.kind(), v.seq(), v.detail() + " [case " + c + ", seed " + seed +
                        ", replay with -Dstreamstore.case='" + c + "']"));
                    if (v.kind() == Violation.Kind.HANG && violations.size() > 3)
                    {
                        break;
                    }
                }
            }
        }
        Figures.add(suite, backend, figure, cases.size());
        outcomes.forEach((k, n) -> Figures.add(suite, backend, figure + "." + k, n));
        Figures.add(suite, backend, "childCrashes", crashes);
        Figures.add(suite, backend, "removedMessagesBackAfterReportedCut",
            CorruptionCase.resurrectedAfterCut.get() - resurrectedBefore);
        Figures.add(suite, backend, "violations", violations.size());
        Figures.append(suite, backend, "seeds", figure + ":" + seed);
        violations.stream().limit(20).forEach(v -> Figures.append(suite, backend, "violationList", v.toString()));
        Figures.write(suite, backend);
        System.out.println("[reliability] " + figure + " " + backend + ": " + cases.size() + " cases, outcomes " +
            outcomes + ", " + violations.size() + " violations (seed " + seed + ")");
        assertNoViolations(violations, seed);
    }

    // ------------------------------------------------------------------------------------ full disk, I/O faults

    @Test
    void full_01_fullDiskRaisesStoreExceptionStaysRefusedAndKeepsAcknowledged(final TestInfo info) throws Exception
    {
        assumeDurable("full");
        assumeTrue(ChildJvm.privateMountNamespaceWorks(), "a small tmpfs needs root and a working " +
            "'unshare --mount --propagation private' (user " + System.getProperty("user.name") + "); the full-disk " +
            "check cannot run here");
        final long seed = seed(info);
        final Path mount = Files.createDirectories(tmp.resolve("mnt"));
        final List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
            "mount -t tmpfs -o size=" + fullDiskBytes() + " tmpfs \"$0\" && exec \"$@\"", mount.toString()));
        cmd.addAll(ChildJvm.command(FullDiskWorker.class, List.of(childProviderSpec(),
            Workload.encodeOptions(backendOptions()), Long.toString(seed), mount.toString())));
        final Path stderr = tmp.resolve("full.err");
        final Process p = ChildJvm.start(cmd, stderr);
        p.getOutputStream().close();
        final List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)))
        {
            final Thread watchdog = new Thread(() ->
            {
                try
                {
                    if (!p.waitFor(180, TimeUnit.SECONDS))
                    {
                        p.toHandle().destroyForcibly();
                    }
                }
                catch (final InterruptedException ignore)
                {
                    // the test ended
                }
            });
            watchdog.setDaemon(true);
            watchdog.start();
            String line;
            while ((line = in.readLine()) != null)
            {
                lines.add(line);
            }
        }
        final int exit = ChildJvm.await(p, 30);
        final String backend = figuresName();
        final long acked = lines.stream().filter(l -> l.startsWith("A ")).count();
        final List<String> violations = lines.stream().filter(l -> l.startsWith("V ")).toList();
        final String refusal = lines.stream().filter(l -> l.startsWith("F ")).findFirst().orElse(null);
        Figures.add("full-disk", backend, "acknowledgedBeforeFull", acked);
        Figures.add("full-disk", backend, "violations", violations.size());
        Figures.put("full-disk", backend, "tmpfsBytes", fullDiskBytes());
        Figures.put("full-disk", backend, "refusal", String.valueOf(refusal));
        lines.stream().filter(l -> l.startsWith("N ")).forEach(l ->
        {
            final String[] f = l.split(" ");
            Figures.add("full-disk", backend, f[1], Long.parseLong(f[2]));
        });
        Figures.append("full-disk", backend, "seeds", seed);
        Figures.write("full-disk", backend);
        System.out.println("[reliability] full disk " + backend + ": " + acked + " appends acknowledged on a " +
            fullDiskBytes() + "-byte tmpfs, then " + refusal + "; violations " + violations + " (seed " + seed + ")");
        assertTrue(lines.contains("DONE"), "the full-disk worker did not finish (exit " + exit + "): last lines " +
            lines.subList(Math.max(0, lines.size() - 5), lines.size()) + "; stderr: " + ChildJvm.tail(stderr, 3000));
        assertTrue(acked > 0, "nothing was acknowledged before the disk filled");
        assertEquals(List.of(), violations, "full disk (seed " + seed + ")");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void fault_01_ioErrorAtEveryCallIndexIsStickyAndKeepsAcknowledged(final TestInfo info) throws Exception
    {
        assumeDurable("fault");
        final String elsewhere = faultInjectionElsewhere();
        assumeTrue(provider() instanceof FaultInjectable, elsewhere != null ? elsewhere : provider().name() +
            " does not implement " + FaultInjectable.class.getSimpleName() +
            ": I/O faults at every call index need the backend's own I/O seam");
        final long seed = seed(info);
        final FaultInjectable faulty = (FaultInjectable)provider();
        final StreamConfig config = Workload.config("fault", SyncPolicy.always(), backendOptions());
        final List<Violation> violations = new ArrayList<>();
        long indexes = 0;
        long failedOpSurvived = 0;
        long maxIndex = 0;
        int run = 0;
        for (final IoFaults.Kind kind : IoFaults.Kind.values())
        {
            for (final boolean persistent : new boolean[]{false, true})
            {
                for (long n = 1; n < 100_000; n++)
                {
                    final Path dir = tmp.resolve("fault-" + run++);
                    final IoFaults faults = new IoFaults(n, persistent, kind);
                    final FaultRun fr = faultRun(faulty, dir, config, faults, seed);
                    indexes++;
                    maxIndex = Math.max(maxIndex, n);
                    failedOpSurvived += fr.failedOpSurvived;
                    fr.violations.forEach(v -> violations.add(new Violation(v.kind(), v.seq(), v.detail() + " [" + faults +
                        ", fired at " + faults.firedAt() + ", seed " + seed + "]")));
                    CorruptionCase.deleteTree(dir);
                    if (!faults.fired() || violations.size() > 20)
                    {
                        break;
                    }
                }
            }
        }
        final String backend = figuresName();
        Figures.add("faults", backend, "faultIndexes", indexes);
        Figures.put("faults", backend, "maxCallIndex", maxIndex);
        Figures.add("faults", backend, "failedOpSurvivedReopen", failedOpSurvived);
        Figures.add("faults", backend, "violations", violations.size());
        Figures.append("faults", backend, "seeds", seed);
        Figures.write("faults", backend);
        System.out.println("[reliability] faults " + backend + ": " + indexes + " fault indexes (up to call " + maxIndex +
            "), " + violations.size() + " violations (seed " + seed + ")");
        assertNoViolations(violations, seed);
        assertTrue(indexes > 4, "the workload made too few I/O calls to inject faults into");
    }

    private record FaultRun(List<Violation> violations, long failedOpSurvived)
    {
    }

    /** A 40-operation workload with one injected fault; then sticky refusal, a clean reopen, and the check. */
    private FaultRun faultRun(final FaultInjectable faulty, final Path dir, final StreamConfig config,
        final IoFaults faults, final long seed) throws IOException
    {
        final List<Violation> violations = new ArrayList<>();
        final TreeSet<Long> acked = new TreeSet<>();
        final TreeSet<Long> removed = new TreeSet<>();
        long failedAppend = 0;
        long failedRemove = 0;
        final Random r = new Random(seed);
        StreamStore s = null;
        try
        {
            s = faulty.openWithFaults(dir, config, faults);
            for (int op = 0; op < 40; op++)
            {
                final int pick = r.nextInt(10);
                final long expected = s.state().lastSeq() + 1;
                try
                {
                    if (pick < 6 || acked.isEmpty())
                    {
                        failedAppend = expected;
                        acked.add(s.append(Workload.subject(seed, expected), Workload.headers(seed, expected),
                            Workload.payload(seed, expected)));
                        failedAppend = 0;
                    }
                    else if (pick < 8)
                    {
                        final long victim = new ArrayList<>(acked).get(r.nextInt(acked.size()));
                        failedRemove = victim;
                        if (s.remove(victim))
                        {
                            acked.remove(victim);
                            removed.add(victim);
                        }
                        failedRemove = 0;
                    }
                    else if (pick < 9)
                    {
                        s.sync();
                    }
                    else
                    {
                        s.compact();
                    }
                }
                catch (final StoreException e)
                {
                    if (!faults.fired())
                    {
                        violations.add(new Violation(Violation.Kind.UNEXPECTED_ERROR, 0, "failed before the fault: " + e));
                    }
                    if (faults.toString().startsWith("NO_SPACE") && !(e instanceof StoreFullException))
                    {
                        // A full disk should say so; any StoreException is allowed, but tell the backend.
                        System.out.println("[reliability] note: " + faults + " raised " + e.getClass().getSimpleName() +
                            ", not StoreFullException");
                    }
                    for (int i = 0; i < 2; i++)
                    {
                        try
                        {
                            final long seq = s.append("rel.after", null, new byte[10]);
                            violations.add(new Violation(Violation.Kind.NOT_STICKY, seq,
                                "an append succeeded after the store raised " + e));
                            break;
                        }
                        catch (final StoreException expectedRefusal)
                        {
                            // sticky, as it must be
                        }
                    }
                    break;
                }
            }
        }
        catch (final StoreException | IOException e)
        {
            // The fault hit the open itself: nothing was acknowledged, the next open must still work.
            if (!faults.fired())
            {
                violations.add(new Violation(Violation.Kind.UNEXPECTED_ERROR, 0, "open failed before the fault: " + e));
            }
        }
        catch (final RuntimeException e)
        {
            violations.add(new Violation(Violation.Kind.UNEXPECTED_ERROR, 0, "an I/O error must be a StoreException: " + e));
        }
        finally
        {
            if (s != null)
            {
                try
                {
                    s.close();
                }
                catch (final StoreException ignore)
                {
                    // a failed store may refuse to close cleanly
                }
            }
        }
        long survived = 0;
        try (StreamStore again = provider().open(dir, config))
        {
            for (final long seq : acked)
            {
                final StoredMessage m = again.load(seq);
                if (m == null)
                {
                    if (seq != failedRemove)
                    {
                        violations.add(new Violation(Violation.Kind.LOST, seq,
                            "acknowledged before the fault, missing after reopen"));
                    }
                }
                else if (Workload.mismatch(seed, m, false) != null)
                {
                    violations.add(new Violation(Violation.Kind.CORRUPT, seq, Workload.mismatch(seed, m, false)));
                }
            }
            for (final long seq : removed)
            {
                if (again.load(seq) != null)
                {
                    violations.add(new Violation(Violation.Kind.RESURRECTED, seq,
                        "removed before the fault, back after reopen"));
                }
            }
            if (failedAppend != 0)
            {
                final StoredMessage m = again.load(failedAppend);
                if (m != null)
                {
                    survived++;
                    if (Workload.mismatch(seed, m, false) != null)
                    {
                        violations.add(new Violation(Violation.Kind.CORRUPT, failedAppend, "the failed append reads back " +
                            "with other bytes: " + Workload.mismatch(seed, m, false)));
                    }
                }
            }
            if (failedRemove != 0 && again.load(failedRemove) == null)
            {
                survived++;
            }
            final long next = again.append("rel.probe", null, new byte[]{1});
            if (next <= (acked.isEmpty() ? 0 : acked.last()))
            {
                violations.add(new Violation(Violation.Kind.ROLLBACK, next, "the append after reopen reused a sequence"));
            }
        }
        catch (final RuntimeException e)
        {
            violations.add(new Violation(Violation.Kind.UNEXPECTED_ERROR, 0, "reopen without faults failed: " + e));
        }
        return new FaultRun(violations, survived);
    }

    // -------------------------------------------------------------------------------------------- concurrency

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void conc_01_seedScenarioWith16ThreadsLosesAndDuplicatesNothing(final TestInfo info) throws Exception
    {
        final long seed = seed(info);
        final int threads = 16;
        final int subjects = 160;
        final int rounds = 12;
        final StreamStore s = open(cfg().retention(Retention.WORK_QUEUE).discard(Discard.NEW).maxMsgsPerSubject(1)
            .discardNewPerSubject(true));
        for (int i = 0; i < subjects; i++)
        {
            assertEquals(i + 1, s.append("queue." + i, null, tagged(i, 0)));
        }
        final Set<Long> seqs = ConcurrentHashMap.newKeySet();
        final AtomicLong ops = new AtomicLong();
        for (int round = 1; round <= rounds; round++)
        {
            final int rd = round;
            KitThreads.runConcurrently("seed-round-" + round, threads, Duration.ofSeconds(120), t ->
            {
                for (int i = t; i < subjects; i += threads)
                {
                    final String subject = "queue." + i;
                    final StoredMessage m = s.loadNext(subject, 1);
                    assertNotNull(m, "round " + rd + ": no message on " + subject);
                    assertArrayEquals(tagged(i, rd - 1), m.payload(), "round " + rd + ": wrong message on " + subject);
                    assertTrue(s.remove(m.seq()), "round " + rd + ": remove(" + m.seq() + ") found nothing");
                    final long seq = s.append(subject, null, tagged(i, rd));
                    assertTrue(seqs.add(seq), "sequence " + seq + " handed out twice");
                    ops.addAndGet(3);
                }
            });
            assertEquals(subjects, s.state().msgs(), "round " + round + ": one message per subject");
        }
        assertEquals((long)subjects * rounds, seqs.size());
        assertEquals(subjects + 1, Collections.min(seqs));
        assertEquals((long)subjects * (rounds + 1), Collections.max(seqs), "no sequence skipped or reused");
        final StreamStore after = reopenIfDurable(s);
        for (int i = 0; i < subjects; i++)
        {
            final StoredMessage m = after.loadLast("queue." + i);
            assertNotNull(m, "queue." + i + " lost its message");
            assertArrayEquals(tagged(i, rounds), m.payload());
        }
        concurrencyFigures(info, seed, ops.get());
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void conc_02_readersCompactionAndPurgeRacingWritersLoseAndDuplicateNothing(final TestInfo info) throws Exception
    {
        final long seed = seed(info);
        final StreamStore s = open(cfg());
        final int writers = 6;
        final int each = 600;
        final Map<Long, byte[]> appended = new ConcurrentHashMap<>();
        final Set<Long> removed = ConcurrentHashMap.newKeySet();
        final ConcurrentLinkedQueue<Long> toRemove = new ConcurrentLinkedQueue<>();
        final List<long[]> purges = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger writersDone = new AtomicInteger();
        final AtomicLong ops = new AtomicLong();
        KitThreads.runConcurrently("mixed", writers + 5, Duration.ofSeconds(150), t ->
        {
            final Random r = new Random(seed + t);
            if (t < writers)
            {
                try
                {
                    for (int i = 0; i < each; i++)
                    {
                        final byte[] p = tagged(t, i);
                        final long seq = s.append("w." + t, null, p);
                        assertNull(appended.put(seq, p), "sequence " + seq + " handed out twice");
                        if (r.nextInt(3) == 0)
                        {
                            toRemove.add(seq);
                        }
                        ops.incrementAndGet();
                    }
                }
                finally
                {
                    writersDone.incrementAndGet();
                }
            }
            else if (t == writers)
            {
                while (writersDone.get() < writers || !toRemove.isEmpty())
                {
                    final Long seq = toRemove.poll();
                    if (seq != null && s.remove(seq))
                    {
                        removed.add(seq);
                        assertNull(s.load(seq), "a removal is visible when remove returns");
                    }
                    ops.incrementAndGet();
                }
            }
            else if (t == writers + 1)
            {
                while (writersDone.get() < writers)
                {
                    s.compact();
                    ops.incrementAndGet();
                    Thread.sleep(2);
                }
            }
            else if (t == writers + 2)
            {
                for (int i = 0; i < 3 && writersDone.get() < writers; i++)
                {
                    Thread.sleep(20 + r.nextInt(40));
                    final long before = s.state().lastSeq();
                    s.purge();
                    purges.add(new long[]{before, s.state().lastSeq()});
                    ops.incrementAndGet();
                }
            }
            else
            {
                while (writersDone.get() < writers)
                {
                    final long last = s.state().lastSeq();
                    if (last > 0)
                    {
                        final StoredMessage m = s.load(1 + r.nextInt((int)last));
                        if (m != null)
                        {
                            assertWhole(m);
                        }
                        final StoredMessage n = s.loadNext("w.*", 1 + r.nextInt((int)last));
                        if (n != null)
                        {
                            assertWhole(n);
                        }
                    }
                    ops.incrementAndGet();
                }
            }
        });
        assertEquals((long)writers * each, appended.size(), "every append got its own sequence");
        assertEquals((long)writers * each, s.state().lastSeq());
        final long purgedSurely = purges.stream().mapToLong(p -> p[0]).max().orElse(0);
        final long purgedMaybe = purges.stream().mapToLong(p -> p[1]).max().orElse(0);
        final StreamStore after = reopenIfDurable(s);
        final Set<String> seen = new TreeSet<>();
        long live = 0;
        for (StoredMessage m = after.loadNext(Subjects.ALL, 1); m != null; m = after.loadNext(Subjects.ALL, m.seq() + 1))
        {
            assertWhole(m);
            assertTrue(seen.add(m.subject() + "/" + Arrays.toString(Arrays.copyOf(m.payload(), 8))),
                "message " + m.seq() + " is a duplicate");
            assertArrayEquals(appended.get(m.seq()), m.payload(), "message " + m.seq() + " has another append's bytes");
            assertFalse(removed.contains(m.seq()), "removed message " + m.seq() + " is back");
            assertTrue(m.seq() > purgedSurely, "message " + m.seq() + " survived a purge that began after it");
            live++;
        }
        for (final Map.Entry<Long, byte[]> e : appended.entrySet())
        {
            if (!removed.contains(e.getKey()) && e.getKey() > purgedMaybe)
            {
                final StoredMessage m = after.load(e.getKey());
                assertNotNull(m, "message " + e.getKey() + " was lost (no remove or purge covers it)");
            }
        }
        assertEquals(live, after.state().msgs(), "state() counts what the reads show");
        concurrencyFigures(info, seed, ops.get());
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void conc_03_closeRacingWritersOnlyRaisesStoreClosedAndKeepsReturnedAppends(final TestInfo info) throws Exception
    {
        final long seed = seed(info);
        final StreamStore s = open(cfg());
        final Map<Long, byte[]> returned = new ConcurrentHashMap<>();
        final Set<Long> removed = ConcurrentHashMap.newKeySet();
        final AtomicBoolean closed = new AtomicBoolean();
        final AtomicLong calls = new AtomicLong();
        final AtomicInteger workersDone = new AtomicInteger();
        final int workers = 8;
        KitThreads.runConcurrently("close-race", workers + 1, Duration.ofSeconds(120), t ->
        {
            if (t == workers)
            {
                while (calls.get() < 3000 && workersDone.get() < workers)
                {
                    Thread.sleep(1);
                }
                closed.set(true);
                s.close();
                return;
            }
            final Random r = new Random(seed + t);
            try
            {
                for (int i = 0; i < 1_000_000; i++)
                {
                    final byte[] p = tagged(t, i);
                    final long seq = s.append("w." + t, null, p);
                    returned.put(seq, p);
                    switch (r.nextInt(6))
                    {
                        case 0 ->
                        {
                            if (s.remove(seq))
                            {
                                removed.add(seq);
                            }
                        }
                        case 1 -> s.compact();
                        case 2 ->
                        {
                            final StoredMessage m = s.load(seq);
                            if (m != null)
                            {
                                assertWhole(m);
                            }
                        }
                        default -> s.state();
                    }
                    calls.incrementAndGet();
                }
                fail("1,000,000 rounds and no StoreClosedException: calls after close() must throw it");
            }
            catch (final StoreClosedException e)
            {
                assertTrue(closed.get(), "StoreClosedException before close() was called: " + e);
            }
            finally
            {
                workersDone.incrementAndGet();
            }
        });
        assertThrows(StoreClosedException.class, () -> s.append("w.0", null, new byte[1]));
        if (provider().durable())
        {
            final StreamStore again = openAt(dirOf(s), cfg().build());
            for (final Map.Entry<Long, byte[]> e : returned.entrySet())
            {
                final StoredMessage m = again.load(e.getKey());
                if (removed.contains(e.getKey()))
                {
                    assertNull(m, "message " + e.getKey() + " was removed before close, back after reopen");
                }
                else
                {
                    assertNotNull(m, "append " + e.getKey() + " returned before close, lost after reopen");
                    assertArrayEquals(e.getValue(), m.payload());
                }
            }
        }
        concurrencyFigures(info, seed, calls.get());
    }

    private void concurrencyFigures(final TestInfo info, final long seed, final long ops)
    {
        final String backend = figuresName();
        Figures.add("concurrency", backend, "operations", ops);
        Figures.add("concurrency", backend, "checks", 1);
        Figures.append("concurrency", backend, "seeds", name(info) + ":" + seed);
        Figures.write("concurrency", backend);
    }

    /** A payload naming its writer and index, with a body derived from both, so torn or mixed reads show. */
    static byte[] tagged(final int writer, final int index)
    {
        final byte[] body = Workload.bytes(8 + index % 56, writer * 1_000_003L + index);
        final byte[] b = new byte[8 + body.length];
        java.nio.ByteBuffer.wrap(b).putInt(writer).putInt(index).put(body);
        return b;
    }

    static void assertWhole(final StoredMessage m)
    {
        final byte[] p = m.payload();
        assertTrue(p.length >= 8, "torn message " + m.seq() + ": " + p.length + " bytes");
        final java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(p);
        final int writer = b.getInt();
        final int index = b.getInt();
        assertEquals("w." + writer, m.subject(), "message " + m.seq() + " has another writer's subject");
        assertArrayEquals(tagged(writer, index), p, "torn or mixed-up payload in message " + m.seq());
    }

    // ------------------------------------------------------------------------------------------------ bad input

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void bad_01_hostileSubjectsAreRefusedAndStoreNothing() throws Exception
    {
        final StreamStore s = withMessages();
        final String before = snapshot(s);
        final Set<String> filesBefore = listing(tmp);
        final String[] hostile = {"a\u0000b", "\u0000", "a/b", "a\\b", "..", "../x", "a/../../evil", "a..b", ".a", "a.",
            "a b", " a", "a\tb", "a\nb", "a\u00a0b", "*", ">", "a.*", "a.>", "a*b", "a>", "",
            "x".repeat(Subjects.MAX_SUBJECT_BYTES + 1),
            "\u00e9".repeat(Subjects.MAX_SUBJECT_BYTES / 2 + 1), "a.\ud800"};
        for (final String subject : hostile)
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.append(subject, null, new byte[]{1}), "append on subject '" + printable(subject) + "'");
            assertTrue(String.valueOf(e.getMessage()).contains("subject"),
                "the message must name 'subject', was: " + e.getMessage());
        }
        assertEquals(before, snapshot(s), "a refused subject changed the store");
        assertEquals(filesBefore, listing(tmp), "a refused subject created or removed files");
        final StreamStore again = reopenIfDurable(s);
        assertEquals(before, snapshot(again), "a refused subject changed what a reopen shows");
        assertEquals(6, again.append("b.ok", null, new byte[]{1}), "a refused append used up a sequence");
        badFigures(hostile.length);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void bad_02_oversizePayloadsAreRefusedOrStoredWhole() throws Exception
    {
        final StreamStore limited = open(cfg().maxMsgSize(1024));
        limited.append("b.1", null, new byte[10]);
        final String before = snapshot(limited);
        final LimitExceededException e = assertThrows(LimitExceededException.class,
            () -> limited.append("b.2", null, new byte[1024]), "a message over maxMsgSize");
        assertEquals(LimitExceededException.Limit.MAX_MSG_SIZE, e.limit());
        assertEquals(before, snapshot(limited));
        assertEquals(2, limited.append("b.2", null, new byte[10]), "the refused append used up a sequence");

        // Without maxMsgSize the backend's own ceiling decides: stored whole, or refused with nothing changed.
        final StreamStore s = withMessages();
        final String plain = snapshot(s);
        final byte[] big = Workload.bytes(3 * 1024 * 1024, 99);
        long seq = 0;
        try
        {
            seq = s.append("b.big", null, big);
        }
        catch (final StoreException | IllegalArgumentException refused)
        {
            assertNotNull(refused.getMessage(), "a refusal must say why");
            assertEquals(plain, snapshot(s), "a refused oversize append changed the store");
        }
        final StreamStore again = reopenIfDurable(s);
        if (seq != 0)
        {
            assertEquals(6, seq);
            assertArrayEquals(big, again.load(seq).payload(), "a 3 MiB payload must read back whole");
        }
        else
        {
            assertEquals(plain, snapshot(again));
        }
        badFigures(2);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void bad_03_nullArgumentsAreRefusedNamingTheArgument() throws Exception
    {
        final StreamStore s = withMessages();
        final String before = snapshot(s);
        assertNames("subject", () -> s.append(null, null, new byte[1]));
        assertNames("payload", () -> s.append("b.x", null, null));
        assertNames("filter", () -> s.loadNext(null, 1));
        assertNames("subject", () -> s.loadLast(null));
        assertNames("subject", () -> s.subjectState(null));
        assertNames("listener", () -> s.addListener(null));
        assertNames("config", () -> provider().open(tmp.resolve("null-config"), null));
        if (provider().durable())
        {
            assertNames("director", () -> provider().open(null, cfg().build()));
        }
        assertEquals(before, snapshot(s));
        assertEquals(6, s.append("b.ok", null, new byte[]{1}));
        badFigures(8);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void bad_04_directoryThatIsAFileIsRefusedAndLeftAlone() throws Exception
    {
        assumeDurable("bad_04");
        final Path file = tmp.resolve("not-a-directory");
        Files.write(file, new byte[]{1, 2, 3});
        final Throwable e = assertThrows(Throwable.class, () -> provider().open(file, cfg().build()).close());
        assertTrue(e instanceof IOException || e instanceof StoreException || e instanceof IllegalArgumentException,
            "a directory that is a file must be an IOException, StoreException or IllegalArgumentException, was " + e);
        assertTrue(String.valueOf(e.getMessage()).contains("not-a-directory"),
            "the message must name the path, was: " + e.getMessage());
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(file), "the file was changed");
        final Path nested = file.resolve("store");
        assertThrows(Throwable.class, () -> provider().open(nested, cfg().build()).close(),
            "a directory under a file cannot be created");
        badFigures(2);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void bad_05_lockedDirectoryIsRefusedInThisAndAnotherJvm() throws Exception
    {
        assumeDurable("bad_05");
        final StreamStore first = withMessages();
        final Path dir = dirOf(first);
        final String before = snapshot(first);
        final StoreLockedException e = assertThrows(StoreLockedException.class,
            () -> provider().open(dir, cfg().build()).close(), "a second open in the same JVM");
        assertNotNull(e.getMessage());
        final Path stderr = tmp.resolve("lock.err");
        final Process p = ChildJvm.start(ChildJvm.command(LockProbe.class, List.of(childProviderSpec(),
            Workload.encodeOptions(backendOptions()), dir.toString())), stderr);
        p.getOutputStream().close();
        final String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        ChildJvm.await(p, 120);
        assertTrue(line.startsWith(StoreLockedException.class.getName()),
            "an open from another JVM while this one holds the store must raise StoreLockedException, was: " + line +
                "; stderr: " + ChildJvm.tail(stderr, 2000));
        assertEquals(before, snapshot(first), "the refused opens changed the open store");
        assertEquals(6, first.append("b.ok", null, new byte[]{1}), "the first store still works");
        first.close();
        try (StreamStore again = provider().open(dir, cfg().build()))
        {
            assertEquals(6, again.state().lastSeq(), "the lock is released on close");
        }
        badFigures(2);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void bad_06_readOnlyDirectoryIsRefusedClearly() throws Exception
    {
        assumeDurable("bad_06");
        final Path ro = Files.createDirectories(tmp.resolve("read-only"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-x------"));
        try
        {
            if (permissionBitsEnforced(ro))
            {
                final Throwable e = assertThrows(Throwable.class, () -> provider().open(ro, cfg().build()).close());
                assertTrue(e instanceof IOException || e instanceof StoreException,
                    "a read-only directory must be an IOException or StoreException, was " + e);
                assertNotNull(e.getMessage(), "the exception must say what is wrong");
            }
            else
            {
                // Root bypasses permission bits but not a read-only mount: open the store in a child JVM that
                // sees the directory through a read-only bind mount in a private mount namespace.
                assumeTrue(ChildJvm.privateMountNamespaceWorks(), "running as " + System.getProperty("user.name") +
                    ", permission bits are not enforced and no private mount namespace is available for a " +
                    "read-only bind mount, so a read-only directory cannot be tested here");
                final List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private",
                    "sh", "-c", "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"",
                    ro.toString()));
                cmd.addAll(ChildJvm.command(LockProbe.class, List.of(childProviderSpec(),
                    Workload.encodeOptions(backendOptions()), ro.toString())));
                final Path stderr = tmp.resolve("read-only.err");
                final Process p = ChildJvm.start(cmd, stderr);
                p.getOutputStream().close();
                final String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                ChildJvm.await(p, 120);
                assertFalse(line.isEmpty() || line.startsWith("OPENED"),
                    "a store on a read-only mount must refuse to open, was: '" + line + "'; stderr: " +
                        ChildJvm.tail(stderr, 2000));
                final Class<?> thrown = Class.forName(line.substring(0, line.indexOf(' ')));
                assertTrue(IOException.class.isAssignableFrom(thrown) || StoreException.class.isAssignableFrom(thrown),
                    "a read-only directory must be an IOException or StoreException, was: " + line);
                assertTrue(line.indexOf(' ') < line.length() - 1, "the exception must say what is wrong: " + line);
            }
            try (Stream<Path> files = Files.list(ro))
            {
                assertEquals(0, files.count(), "nothing may be created in a read-only directory");
            }
            badFigures(1);
        }
        finally
        {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** False when this process may write into a directory it made read-only (root ignores permission bits). */
    private static boolean permissionBitsEnforced(final Path readOnly)
    {
        final Path probe = readOnly.resolve("probe");
        try
        {
            Files.createFile(probe);
            Files.delete(probe);
            return false;
        }
        catch (final IOException expected)
        {
            return true;
        }
    }

    private void badFigures(final long inputs)
    {
        final String backend = figuresName();
        Figures.add("bad-input", backend, "inputs", inputs);
        Figures.add("bad-input", backend, "checks", 1);
        Figures.write("bad-input", backend);
    }

    private static void assertNames(final String argument, final org.junit.jupiter.api.function.Executable call)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call,
            "a null " + argument + " must be an IllegalArgumentException");
        assertTrue(String.valueOf(e.getMessage()).contains(argument),
            "the message must name '" + argument + "', was: " + e.getMessage());
    }

    private static String printable(final String s)
    {
        return s.length() > 40 ? s.substring(0, 40) + "...(" + s.length() + " chars)" : s.replaceAll("\\p{Cntrl}", "?");
    }

    private static Set<String> listing(final Path root) throws IOException
    {
        try (Stream<Path> walk = Files.walk(root))
        {
            final Set<String> names = new TreeSet<>();
            walk.filter(p -> !p.getFileName().toString().toLowerCase(Locale.ROOT).contains("lock"))
                .forEach(p -> names.add(root.relativize(p).toString()));
            return names;
        }
    }

    private StreamStore withMessages() throws IOException
    {
        final StreamStore s = open(cfg());
        for (int i = 1; i <= 5; i++)
        {
            s.append("b." + i, new byte[]{'h'}, Workload.bytes(10, i));
        }
        s.remove(2);
        return s;
    }

    static String snapshot(final StreamStore store)
    {
        final StringBuilder sb = new StringBuilder(store.state().toString()).append('\n');
        for (StoredMessage m = store.loadNext(Subjects.ALL, 1); m != null; m = store.loadNext(Subjects.ALL, m.seq() + 1))
        {
            sb.append(m.seq()).append(' ').append(m.subject()).append(' ').append(m.timestamp()).append(' ')
                .append(Arrays.hashCode(m.headers())).append(' ').append(Arrays.hashCode(m.payload())).append('\n');
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------------ support

    private final Map<StreamStore, Path> dirs = new ConcurrentHashMap<>();
    private final Map<StreamStore, StreamConfig> configs = new ConcurrentHashMap<>();
    private final AtomicInteger stores = new AtomicInteger();

    /** A config builder: stream "kit", {@link SyncPolicy#never()}, the backend options. */
    StreamConfig.Builder cfg()
    {
        final StreamConfig.Builder b = StreamConfig.builder("kit").sync(SyncPolicy.never());
        backendOptions().forEach(b::option);
        return b;
    }

    StreamStore open(final StreamConfig.Builder b) throws IOException
    {
        return openAt(tmp.resolve("store-" + stores.incrementAndGet()), b.build());
    }

    StreamStore openAt(final Path dir, final StreamConfig config) throws IOException
    {
        final StreamStore s = provider().open(dir, config);
        assertNotNull(s, "provider().open returned null");
        opened.add(s);
        dirs.put(s, dir);
        configs.put(s, config);
        return s;
    }

    Path dirOf(final StreamStore s)
    {
        return dirs.get(s);
    }

    /** For a durable store: closes and reopens the same directory; for another, the same store. */
    StreamStore reopenIfDurable(final StreamStore s) throws IOException
    {
        if (!provider().durable())
        {
            return s;
        }
        s.close();
        return openAt(dirs.get(s), configs.get(s));
    }

    void assumeDurable(final String check)
    {
        assumeTrue(provider().durable(), provider().name() + " is not durable: the " + check +
            " checks apply to durable backends only");
    }

    private long seed(final TestInfo info)
    {
        final String replay = System.getProperty("streamstore.seed");
        final long seed;
        if (replay != null && !replay.isBlank())
        {
            seed = Long.parseLong(replay.trim());
        }
        else
        {
            seed = new Random().nextLong() & Long.MAX_VALUE;
        }
        System.out.println("[reliability] " + name(info) + " on " + provider().name() + ": seed " + seed +
            " (replay with -Dstreamstore.seed=" + seed + ")");
        return seed;
    }

    private static String name(final TestInfo info)
    {
        return info.getTestMethod().map(java.lang.reflect.Method::getName).orElse(info.getDisplayName());
    }

    private static void assertNoViolations(final List<Violation> violations, final long seed)
    {
        if (!violations.isEmpty())
        {
            final Map<Violation.Kind, Long> byKind = new TreeMap<>();
            violations.forEach(v -> byKind.merge(v.kind(), 1L, Long::sum));
            final StringBuilder sb = new StringBuilder(violations.size() + " violations " + byKind + " (seed " + seed +
                ", replay with -Dstreamstore.seed=" + seed + "):");
            violations.stream().limit(15).forEach(v -> sb.append("\n  ").append(v));
            fail(sb.toString());
        }
    }

    static long longProperty(final String name, final long defaultValue)
    {
        final String raw = System.getProperty(name);
        if (raw == null || raw.isBlank())
        {
            return defaultValue;
        }
        try
        {
            return Long.parseLong(raw.trim().replace("_", ""));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(name + " must be a whole number, was '" + raw + "'");
        }
    }


}
