package io.streamstore.bench;

import io.streamstore.spi.SyncPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** The command line of {@code streamstore-bench}: parses, runs the workloads, prints and writes the results. */
@Command(
    name = "streamstore-bench",
    mixinStandardHelpOptions = true,
    versionProvider = BenchCommand.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "Runs one workload over every selected stream store backend, one after another in this process, on fresh " +
            "temporary directories; prints a table, reference figures from another run and a verdict per backend; " +
            "writes <workload>.json, .csv, .html (and a throughput chart for wq and seed) under --results.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:every run finished (verdicts are printed; see --strict)",
        "1:a backend failed during a run",
        "2:bad command line",
        "3:with --strict, a verdict failed"})
final class BenchCommand implements Callable<Integer>
{
    static final int EXIT_RUN_FAILED = 1;
    static final int EXIT_VERDICT_FAILED = 3;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", defaultValue = "wq", paramLabel = "WORKLOAD",
        description = "wq (default), seed, append, remove-random, read, recover, sync, or all")
    String workload;

    @Option(names = "--backends", split = ",", paramLabel = "NAME",
        description = "backends to run, comma-separated (default: every backend on the class path); " +
            "broken-overcompaction[:inner] adds the conformance kit's deliberately broken store when its test jar is present")
    List<String> backendNames;

    @Option(names = "--messages", paramLabel = "N",
        description = "messages to fill (default: wq 100,000; append, remove-random, read, recover 1,000,000; sync 10,000)")
    Long messages;

    @Option(names = "--iterations", paramLabel = "M", defaultValue = "200000",
        description = "loop iterations of wq and seed (default: ${DEFAULT-VALUE}; 2000000 for the long run)")
    long iterations;

    @Option(names = "--payload", paramLabel = "BYTES", defaultValue = "100",
        description = "payload bytes (default: ${DEFAULT-VALUE})")
    int payload;

    @Option(names = "--subjects", paramLabel = "S", defaultValue = "10",
        description = "subjects the messages are spread over (default: ${DEFAULT-VALUE})")
    int subjects;

    @Option(names = "--seed-subjects", paramLabel = "S", defaultValue = "10000",
        description = "subjects of the seed workload, one message each (default: ${DEFAULT-VALUE})")
    int seedSubjects;

    @Option(names = "--threads", paramLabel = "K", defaultValue = "16",
        description = "consumer threads of seed; the most writers of sync, which doubles them from 1 up to it " +
            "(default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--sync", paramLabel = "POLICY", defaultValue = "never", converter = SyncPolicyConverter.class,
        description = "never, always or every:<n><ns|us|ms|s|m> " +
            "(default: ${DEFAULT-VALUE}; the sync workload always uses always)")
    SyncPolicy sync;

    @Option(names = "--results", paramLabel = "DIR", defaultValue = "results",
        description = "folder for JSON, CSV, chart and HTML (default: ${DEFAULT-VALUE})")
    Path results;

    @Option(names = "--block-size", paramLabel = "BYTES",
        description = "block file size of the file backend (option file.block-size, 65536 to 1073741824)")
    Long blockSize;

    @Option(names = {"-o", "--option"}, paramLabel = "KEY=VALUE",
        description = "a backend option passed to every backend, such as lmdb.map-size=1073741824 (repeatable)")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "100000",
        description = "wq iterations run on a throwaway store before the measured loop, to warm the JIT " +
            "(default: ${DEFAULT-VALUE})")
    long warmup;

    @Option(names = "--time-limit", paramLabel = "SECONDS", defaultValue = "60",
        description = "stop a measured wq or seed loop after this long; the verdict then fails (default: ${DEFAULT-VALUE})")
    long timeLimitSeconds;

    @Option(names = "--remove-fraction", paramLabel = "F", defaultValue = "0.5",
        description = "share of the messages remove-random removes (default: ${DEFAULT-VALUE})")
    double removeFraction;

    @Option(names = "--wa-limit", paramLabel = "BACKEND=X",
        description = "override a backend's documented write-amplification constant for the verdict " +
            "(documented: file 2, lmdb 3; 2 for others)")
    Map<String, Double> waLimits = new LinkedHashMap<>();

    @Option(names = "--work-dir", paramLabel = "DIR",
        description = "where the temporary store directories are made and deleted (default: the system temp folder)")
    Path workDirectory;

    @Option(names = "--progress", paramLabel = "WHEN", defaultValue = "auto",
        description = "progress bar on stderr: auto (when there is a console), on, off (default: ${DEFAULT-VALUE})")
    ProgressMode progress;

    @Option(names = "--strict", description = "exit 3 when a verdict fails")
    boolean strict;

    @Option(names = "--verbose", description = "show the backends' INFO log lines (hidden by default: they break the table)")
    boolean verbose;

    private final List<Report> reports = new ArrayList<>();

    enum ProgressMode
    {
        auto, on, off
    }

    /** The reports of the last call, one per workload run: what the tests inspect. */
    List<Report> reports()
    {
        return reports;
    }

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if (!verbose)
        {
            Logging.quiet();
        }
        final List<Workload> workloads = Workloads.select(workload);
        if (workloads == null)
        {
            throw new ParameterException(spec.commandLine(), "Unknown workload '" + workload + "'; choose one of " +
                Workloads.names() + " or " + Workloads.ALL);
        }
        final BenchSettings settings = settings(err);
        if (settings.backends().isEmpty())
        {
            throw new ParameterException(spec.commandLine(), "--backends: nothing to run; backends on the class path: " +
                Backends.available());
        }
        out.printf("streamstore-bench %s on %s; Java %s, %d cores; results in %s%n", workload,
            names(settings.backends()), System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
            results.toAbsolutePath());
        out.flush();

        boolean failed = false;
        for (final Workload w : workloads)
        {
            final String startedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            final List<RunResult> runResults = new ArrayList<>();
            for (final Backend backend : settings.backends())
            {
                if (!settings.progress())
                {
                    err.println("streamstore-bench: running " + w.name() + " on " + backend.name() + " ...");
                    err.flush();
                }
                try
                {
                    for (final RunResult r : w.run(backend, settings))
                    {
                        r.durable = backend.durable();
                        runResults.add(r);
                    }
                }
                catch (final Exception | OutOfMemoryError e)
                {
                    final RunResult r = new RunResult(w.name(), backend.name(), "-");
                    r.failure = e.getClass().getSimpleName() + ": " + e.getMessage();
                    runResults.add(r);
                    err.println("streamstore-bench: " + w.name() + " failed on " + backend.name() + ":");
                    e.printStackTrace(err);
                    err.flush();
                    failed = true;
                }
            }
            for (final RunResult r : runResults)
            {
                Verdicts.judge(r, lowerCaseKeys(waLimits));
            }
            final Report report = new Report(w.name(), w.describe(settings), startedAt, settingsMap(w, settings), machine(),
                runResults);
            reports.add(report);
            ResultTable.print(report, out);
            final List<Path> files = ResultFiles.writeAll(report, results);
            out.println("wrote " + String.join(", ", names(files)));
            out.flush();
        }
        if (failed)
        {
            return EXIT_RUN_FAILED;
        }
        if (strict && !Verdicts.allPass(reports.stream().flatMap(r -> r.results().stream()).toList()))
        {
            return EXIT_VERDICT_FAILED;
        }
        return 0;
    }

    private BenchSettings settings(final PrintWriter err)
    {
        require(messages == null || messages >= 1, "--messages must be at least 1, was " + messages);
        require(iterations >= 0, "--iterations must not be negative, was " + iterations);
        require(payload >= 0, "--payload must not be negative, was " + payload);
        require(subjects >= 1, "--subjects must be at least 1, was " + subjects);
        require(seedSubjects >= 1, "--seed-subjects must be at least 1, was " + seedSubjects);
        require(threads >= 1, "--threads must be at least 1, was " + threads);
        require(warmup >= 0, "--warmup must not be negative, was " + warmup);
        require(timeLimitSeconds >= 1, "--time-limit must be at least 1 second, was " + timeLimitSeconds);
        require(removeFraction > 0 && removeFraction <= 1,
            "--remove-fraction must be above 0 and at most 1, was " + removeFraction);
        final Map<String, String> backendOptions = new LinkedHashMap<>(options);
        if (blockSize != null)
        {
            require(blockSize >= 65_536 && blockSize <= 1_073_741_824L,
                "--block-size must be between 65536 and 1073741824, was " + blockSize);
            backendOptions.put("file.block-size", Long.toString(blockSize));
        }
        final List<Backend> backends = new ArrayList<>();
        final List<String> wanted = backendNames != null ? backendNames : Backends.available();
        for (final String name : wanted)
        {
            if (name.isBlank())
            {
                continue;
            }
            try
            {
                backends.add(Backends.resolve(name));
            }
            catch (final IllegalArgumentException e)
            {
                if (name.trim().toLowerCase(Locale.ROOT).startsWith(Backends.BROKEN_PREFIX) && !Backends.brokenAvailable())
                {
                    err.println("streamstore-bench: " + e.getMessage());
                    err.flush();
                    continue;
                }
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        final Path work = workDirectory != null ? workDirectory : Path.of(System.getProperty("java.io.tmpdir"));
        final boolean showProgress = switch (progress)
        {
            case on -> true;
            case off -> false;
            case auto -> System.console() != null;
        };
        return new BenchSettings(backends, messages, iterations, payload, subjects, seedSubjects, threads, sync,
            backendOptions, warmup, removeFraction, work, showProgress, timeLimitSeconds);
    }

    private void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    private static Map<String, Double> lowerCaseKeys(final Map<String, Double> map)
    {
        final Map<String, Double> lower = new LinkedHashMap<>();
        map.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
        return lower;
    }

    private static Map<String, Object> settingsMap(final Workload w, final BenchSettings s)
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("backends", names(s.backends()));
        m.put("messages", w.messages(s));
        m.put("iterations", s.iterations());
        m.put("payload", s.payload());
        m.put("subjects", s.subjects());
        m.put("seedSubjects", s.seedSubjects());
        m.put("threads", s.threads());
        m.put("sync", s.syncName());
        m.put("options", new LinkedHashMap<>(s.options()));
        m.put("warmup", s.warmup());
        m.put("removeFraction", s.removeFraction());
        m.put("timeLimitSeconds", s.timeLimitSeconds());
        return m;
    }

    private static Map<String, Object> machine()
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("java", System.getProperty("java.version"));
        m.put("vm", System.getProperty("java.vm.name"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " +
            System.getProperty("os.arch"));
        m.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        return m;
    }

    private static List<String> names(final List<?> items)
    {
        final List<String> names = new ArrayList<>();
        for (final Object item : items)
        {
            names.add(item instanceof Backend b ? b.name() : String.valueOf(item));
        }
        return names;
    }

    /** The version from the jar's manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String v = BenchCommand.class.getPackage().getImplementationVersion();
            return new String[] {"streamstore-bench " + (v != null ? v : "dev")};
        }
    }
}
