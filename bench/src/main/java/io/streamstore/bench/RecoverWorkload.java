package io.streamstore.bench;

import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How long a durable store takes to open N messages: after a clean {@code close()}, and after the writing
 * process was killed with SIGKILL (a child JVM writes, syncs, keeps appending without syncing, and is
 * killed). A store that is not durable keeps nothing across close, so both variants are skipped for it.
 *
 * <p>The figure is a warm open, as NATS's reference figures are: the bench opens a store once per variant,
 * and a first open in a fresh JVM mostly measures class loading and interpreted code. So the open path is
 * first run on throwaway stores of the same backend: after a clean close the same directory is reopened
 * {@link #WARMUPS} times, which changes nothing; after SIGKILL a fresh copy of the killed directory is opened
 * {@link #KILL_WARMUPS} times, so that the measured open still finds the state the kill left. The first of
 * those opens, the first in this JVM, is reported as the cold figure beside it.
 */
final class RecoverWorkload implements Workload
{
    static final long DEFAULT_MESSAGES = 1_000_000;
    /** Appended by the child after its sync, so that the kill lands with unsynced data in flight. */
    static final int UNSYNCED_TAIL = 1_000;
    static final String READY = "READY";
    static final String KILL_ME = "KILL-ME";
    /** Opens before the measured one after a clean close (cheap: the same directory, opened again). */
    static final int WARMUPS = 10;
    /** Opens before the measured one after SIGKILL (each on a fresh copy of the killed directory). */
    static final int KILL_WARMUPS = 3;

    @Override
    public String name()
    {
        return "recover";
    }

    @Override
    public long messages(final BenchSettings s)
    {
        return s.messagesOr(DEFAULT_MESSAGES);
    }

    @Override
    public String describe(final BenchSettings s)
    {
        return String.format("recover: open time of %,d messages x %d B, after a clean close and after SIGKILL of the " +
            "writing JVM (which synced, then appended %,d more unsynced)", s.messagesOr(DEFAULT_MESSAGES), s.payload(),
            UNSYNCED_TAIL);
    }

    static StreamConfig config(final BenchSettings s)
    {
        return s.config("recover").build();
    }

    @Override
    public List<RunResult> run(final Backend backend, final BenchSettings s) throws Exception
    {
        if (!backend.durable())
        {
            final String reason = backend.name() + " is not durable: nothing survives close(), so there is nothing to reopen";
            return List.of(
                RunResult.skipped(name(), backend.name(), "clean close", reason),
                RunResult.skipped(name(), backend.name(), "SIGKILL", reason));
        }
        final long messages = s.messagesOr(DEFAULT_MESSAGES);
        final Feed feed = new Feed("q", s.subjects(), s.payload());
        final StreamConfig config = config(s);
        final List<RunResult> results = new ArrayList<>();

        final RunResult clean = new RunResult(name(), backend.name(), "clean close");
        try (TempDirectory dir = TempDirectory.create(s.workDirectory(), backend.name() + "-recover"))
        {
            try (StreamStore store = backend.open(dir.path(), config);
                Progress p = Progress.start(s.progress(), backend.name() + " fill", messages))
            {
                feed.fill(store, messages, p);
            }
            // an open that changes nothing leaves the directory as it was: warm up on the same store
            final double cold = openAndClose(backend, dir.path(), config);
            for (int i = 1; i < WARMUPS; i++)
            {
                openAndClose(backend, dir.path(), config);
            }
            reopen(backend, dir.path(), config, messages, clean, cold);
        }
        results.add(clean);

        final RunResult killed = new RunResult(name(), backend.name(), "SIGKILL");
        try (TempDirectory dir = TempDirectory.create(s.workDirectory(), backend.name() + "-recover-kill"))
        {
            final String failure = writeInChildAndKill(backend, dir.path(), messages, s);
            if (failure != null)
            {
                killed.skipped = failure;
            }
            else
            {
                // recovery repairs what it opens: warm up on copies, so the measured open sees the killed state
                double cold = 0;
                for (int i = 0; i < KILL_WARMUPS; i++)
                {
                    try (TempDirectory copy = TempDirectory.create(s.workDirectory(), backend.name() + "-recover-warm"))
                    {
                        copyFiles(dir.path(), copy.path());
                        final double millis = openAndClose(backend, copy.path(), config);
                        cold = i == 0 ? millis : cold;
                    }
                }
                reopen(backend, dir.path(), config, messages, killed, cold);
            }
        }
        results.add(killed);
        return results;
    }

    /** Opens, reads state and the first message, closes; returns the open's milliseconds. */
    private static double openAndClose(final Backend backend, final Path dir, final StreamConfig config)
        throws IOException
    {
        final long start = System.nanoTime();
        try (StreamStore store = backend.open(dir, config))
        {
            store.state();
            final double millis = (System.nanoTime() - start) / 1e6;
            store.loadNext(">", 1);
            return millis;
        }
    }

    /** Copies the regular files of a store directory (a store keeps no subdirectories it needs to open). */
    private static void copyFiles(final Path from, final Path to) throws IOException
    {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(from))
        {
            for (final Path f : (Iterable<Path>)files::iterator)
            {
                if (java.nio.file.Files.isRegularFile(f))
                {
                    java.nio.file.Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
    }

    private static void reopen(
        final Backend backend, final Path dir, final StreamConfig config, final long synced, final RunResult r,
        final double coldMillis)
        throws IOException
    {
        final long start = System.nanoTime();
        try (StreamStore store = backend.open(dir, config))
        {
            final long msgs = store.state().msgs();
            r.seconds = (System.nanoTime() - start) / 1e9;
            final long readStart = System.nanoTime();
            final StoredMessage firstMessage = store.loadNext(">", 1);
            r.extra.put("firstReadMillis", (System.nanoTime() - readStart) / 1e6);
            r.ops = msgs;
            r.errors = msgs < synced || firstMessage == null ? 1 : 0;
            final RecoveryReport report = store.recoveryReport();
            r.extra.put("openMillis", r.seconds * 1e3);
            r.extra.put("coldOpenMillis", coldMillis);
            r.extra.put("warmups", r.variant.equals("SIGKILL") ? KILL_WARMUPS : WARMUPS);
            r.extra.put("msgsAfterOpen", msgs);
            r.extra.put("msgsSynced", synced);
            r.extra.put("usedIndex", report.usedIndex());
            r.extra.put("bytesCut", report.bytesCut());
            r.extra.put("recordsLost", report.recordsLost());
            r.extra.put("recoveryDetail", report.detail());
            r.bytesOnDisk = store.stats().bytesOnDisk();
            r.note = String.format(Locale.ROOT,
                "opened %,d messages (%,d synced before) in %s warm (cold, first open in this JVM: %.1f ms), %s; " +
                "first read after open %.1f ms; cut %,d bytes, lost %,d records", msgs, synced, Format.seconds(r.seconds),
                coldMillis, report.usedIndex() ? "from its index" : "by a full scan", (Double)r.extra.get("firstReadMillis"),
                report.bytesCut(), report.recordsLost());
        }
    }

    /** Runs {@link RecoverChild} and kills it; returns null, or why the variant could not run. */
    private static String writeInChildAndKill(
        final Backend backend, final Path dir, final long messages, final BenchSettings s)
        throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(childJvmFlags());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(RecoverChild.class.getName());
        command.add(backend.name());
        command.add(dir.toString());
        command.add(Long.toString(messages));
        command.add(Integer.toString(s.payload()));
        command.add(Integer.toString(s.subjects()));
        for (final Map.Entry<String, String> option : s.options().entrySet())
        {
            command.add(option.getKey() + "=" + option.getValue());
        }
        final Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (Progress p = Progress.start(s.progress(), backend.name() + " child fill", messages);
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = out.readLine()) != null)
            {
                if (line.startsWith("PROGRESS "))
                {
                    p.stepTo(Long.parseLong(line.substring("PROGRESS ".length())));
                }
                else if (line.startsWith(KILL_ME))
                {
                    break;
                }
            }
            if (line == null)
            {
                child.waitFor(10, TimeUnit.SECONDS);
                return "the writing child JVM exited (" + (child.isAlive() ? "still running" : "code " + child.exitValue()) +
                    ") before it was ready to be killed; see its stderr above";
            }
        }
        finally
        {
            child.destroyForcibly(); // SIGKILL on Linux and macOS: no shutdown hooks, no close()
            child.waitFor(30, TimeUnit.SECONDS);
        }
        return null;
    }

    /** The current JVM's flags a child needs too (exports, native access, memory), without agents or debuggers. */
    static List<String> childJvmFlags()
    {
        final List<String> flags = new ArrayList<>();
        final List<String> input = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (int i = 0; i < input.size(); i++)
        {
            final String arg = input.get(i);
            if (arg.startsWith("-agentlib") || arg.startsWith("-javaagent") || arg.startsWith("-agentpath") ||
                arg.startsWith("-Xrunjdwp") || arg.startsWith("-Xdebug") || arg.startsWith("-Dsun.java.command"))
            {
                continue;
            }
            if ((arg.equals("--add-exports") || arg.equals("--add-opens") || arg.equals("--enable-native-access")) &&
                i + 1 < input.size())
            {
                flags.add(arg);
                flags.add(input.get(++i));
                continue;
            }
            flags.add(arg);
        }
        return flags;
    }
}
