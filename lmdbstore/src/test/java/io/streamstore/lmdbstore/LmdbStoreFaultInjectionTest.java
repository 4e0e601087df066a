package io.streamstore.lmdbstore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kit's {@code fault_01} against the LMDB store, for real: LMDB writes and forces in native code, so the fault
 * seam is {@code src/test/c/io_fault_shim.c}, an {@code LD_PRELOAD} library that interposes libc's write, force,
 * truncate, rename, delete and create calls and asks the kit's {@code IoFaults} about each one under the store's
 * directory (see {@link IoShim}). {@code LD_PRELOAD} acts only when a process starts, so this test
 * <ol>
 *   <li>compiles the shim with the machine's C compiler against this JDK's JNI headers (skipped, with the reason,
 *       where there is no {@code cc} or no {@code jni.h}: then the rule is not proven, never passed);</li>
 *   <li>starts a child JVM like this one (same java, class path and module flags) with the shim preloaded, which runs
 *       {@link LmdbStoreReliabilityTest}'s {@code fault_01}, unchanged, and the {@link ShimFaultRules} through the
 *       JUnit Platform launcher ({@link ShimFaultChild});</li>
 *   <li>passes only when the shim's self-test (it must fail a Java write and an LMDB commit) passed in the child, and
 *       exactly that rule and the {@link ShimFaultRules} (single chosen faults, one per bug the shim found) ran
 *       there and succeeded.</li>
 * </ol>
 * The child's lines, among them the kit's figures ({@code [reliability] faults lmdb: ...}), are copied to stdout;
 * its seed replays with {@code -Dstreamstore.seed=N}, which is passed on.
 */
class LmdbStoreFaultInjectionTest
{
    private static final long CHILD_TIMEOUT_SECONDS = 600;
    /** The number of tests in {@link ShimFaultRules}. */
    private static final int SHIM_RULES = 3;
    private static final Pattern SUMMARY = Pattern.compile("summary found=(\\d+) started=(\\d+) succeeded=(\\d+) " +
        "failed=(\\d+) aborted=(\\d+) skipped=(\\d+) calls=(\\d+)");
    private static final Pattern FIGURES = Pattern.compile(
        "\\[reliability] faults (\\S+): (\\d+) fault indexes \\(up to call (\\d+)\\), (\\d+) violations \\(seed (\\d+)\\)");

    @TempDir
    Path tmp;

    @Test
    void ioErrorAtEveryNativeAndJavaCallIndexIsStickyAndKeepsAcknowledged() throws Exception
    {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"),
            "the I/O fault shim is an LD_PRELOAD library for Linux (it reads /proc/self/fd); this is " +
            System.getProperty("os.name") + ", so fault_01 is not proven for the LMDB store here");
        final Path shim = buildShim();

        final long started = System.nanoTime();
        final Path stderr = tmp.resolve("child.stderr");
        final Process child = startChild(shim, stderr);
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong notes = new AtomicLong();
        final Thread reader = new Thread(() -> copyOutput(child, lines, notes), "shim-child-stdout");
        reader.setDaemon(true);
        reader.start();
        if (!child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS))
        {
            child.toHandle().destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            fail("the fault-injection child ran longer than " + CHILD_TIMEOUT_SECONDS + " s; stdout: " + lines +
                "; stderr: " + tail(stderr));
        }
        reader.join(TimeUnit.SECONDS.toMillis(30));
        if (notes.get() > 1)
        {
            System.out.println("[child] (" + (notes.get() - 1) + " more '[reliability] note:' lines)");
        }
        final double seconds = (System.nanoTime() - started) / 1e9;
        final int exit = child.exitValue();
        assertEquals(0, exit, () -> "the fault-injection child exited with " + exit + "; stdout: " + lines +
            "; stderr: " + tail(stderr));

        assertTrue(lines.stream().anyMatch(l -> l.startsWith(ShimFaultChild.PREFIX + "selftest ok")),
            () -> "the shim's self-test in the child did not pass (an armed shim must fail a Java write and an LMDB " +
                "commit): " + lines + "; stderr: " + tail(stderr));
        final Matcher summary = find(lines, SUMMARY);
        assertNotNull(summary, () -> "the child printed no summary; stdout: " + lines + "; stderr: " + tail(stderr));
        final List<String> results = lines.stream().filter(l -> l.startsWith(ShimFaultChild.PREFIX + "result")).toList();
        final String what = "child summary " + summary.group() + "; results: " + results + "; stderr: " + tail(stderr);
        final int found = Integer.parseInt(summary.group(1));
        assertEquals(1 + SHIM_RULES, found, () -> "fault_01 and the " + SHIM_RULES + " ShimFaultRules must be found: " +
            what);
        assertEquals(found, Integer.parseInt(summary.group(2)), () -> "every rule found must run: " + what);
        assertEquals(0, Integer.parseInt(summary.group(5)), () -> "no rule may be skipped by an assumption: " + what);
        assertEquals(0, Integer.parseInt(summary.group(4)), () -> "rules failed: " + what);
        assertEquals(found, Integer.parseInt(summary.group(3)), () -> "every rule must succeed: " + what);
        assertTrue(results.stream().anyMatch(l -> l.contains("SUCCESSFUL " + ShimFaultChild.FAULT_RULE)),
            () -> "fault_01 must be among the rules that succeeded: " + what);
        assertTrue(Long.parseLong(summary.group(7)) > 0, () -> "the shim saw no call of the store: " + what);

        final Matcher figures = find(lines, FIGURES);
        assertNotNull(figures, () -> "the child printed no fault figures: " + what);
        assertEquals("lmdb", figures.group(1), what);
        assertEquals(0, Long.parseLong(figures.group(4)), () -> "violations: " + what);
        System.out.printf(Locale.ROOT, "[lmdbstore] fault_01 through the LD_PRELOAD shim: %s fault indexes up to call %s, " +
            "%s violations, seed %s, %d calls asked, child ran %.1f s%n", figures.group(2), figures.group(3),
            figures.group(4), figures.group(5), Long.parseLong(summary.group(7)), seconds);
    }

    /** Compiles the shim into the test's directory; skips (with the reason) where that cannot be done. */
    private Path buildShim() throws IOException, InterruptedException
    {
        final Path source = moduleDirectory().resolve(Path.of("src", "test", "c", "io_fault_shim.c"));
        assertTrue(Files.isRegularFile(source), "the shim's source is missing: " + source);
        final Path javaHome = Path.of(System.getProperty("java.home"));
        final Path include = javaHome.resolve("include");
        assumeTrue(Files.isRegularFile(include.resolve("jni.h")) && Files.isDirectory(include.resolve("linux")),
            "no JNI headers under " + include + " (a JRE, not a JDK): the I/O fault shim cannot be built, so " +
            "fault_01 is not proven for the LMDB store here; run the tests with a full JDK");
        final String cc = System.getenv().getOrDefault("CC", "cc");
        final Path library = tmp.resolve("libiofaultshim.so");
        final List<String> command = List.of(cc, "-shared", "-fPIC", "-O2", "-Wall", "-I" + include,
            "-I" + include.resolve("linux"), "-o", library.toString(), source.toString(), "-ldl");
        final Path log = tmp.resolve("cc.log");
        final Process compiler;
        try
        {
            compiler = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        }
        catch (final IOException e)
        {
            assumeTrue(false, "no C compiler ('" + cc + "', or $CC) on this machine: the I/O fault shim cannot be " +
                "built, so fault_01 is not proven for the LMDB store here; install gcc (" + e.getMessage() + ")");
            throw e;
        }
        if (!compiler.waitFor(120, TimeUnit.SECONDS))
        {
            compiler.toHandle().destroyForcibly();
            fail("compiling the I/O fault shim took longer than 120 s: " + command);
        }
        assertEquals(0, compiler.exitValue(), () -> "compiling the I/O fault shim failed: " + command + "\n" + tail(log));
        return library;
    }

    private Process startChild(final Path shim, final Path stderr) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags());
        command.add("-Xmx512m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:ErrorFile=" + tmp.resolve("hs_err_%p.log"));
        command.add("-D" + ShimFaultChild.CHILD_PROPERTY + "=true");
        command.add("-D" + IoShim.LIBRARY_PROPERTY + "=" + shim);
        command.add("-Djava.io.tmpdir=" + Files.createDirectories(tmp.resolve("child-tmp")));
        for (final String name : new String[]{"streamstore.seed", "streamstore.reliability.dir",
            "java.util.logging.config.file", "lmdbstore.shim.trace"})
        {
            final String value = System.getProperty(name);
            if (value != null && !value.isBlank())
            {
                command.add("-D" + name + "=" + value);
            }
        }
        command.add(ShimFaultChild.class.getName());
        final ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("LD_PRELOAD", shim.toString());
        pb.redirectError(stderr.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        return pb.start();
    }

    /** This JVM's module and memory-access flags (Agrona, jffi and LMDBJava need them in the child too), and -Xss. */
    private static List<String> jvmFlags()
    {
        final List<String> out = new ArrayList<>(io.streamstore.conformance.reliability.ChildJvm.moduleFlags());
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("-Xss"))
            .forEach(out::add);
        return out;
    }

    private static Path moduleDirectory() throws IOException
    {
        try
        {
            // target/test-classes -> the module
            final Path classes = Path.of(LmdbStoreFaultInjectionTest.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI());
            final Path module = classes.getParent().getParent();
            if (Files.isDirectory(module.resolve(Path.of("src", "test", "c"))))
            {
                return module;
            }
        }
        catch (final URISyntaxException | RuntimeException e)
        {
            // fall back to the working directory, which surefire sets to the module
        }
        return Path.of("").toAbsolutePath();
    }

    /** Copies the child's stdout to this one's, but of the kit's per-index notes only the first (and a count). */
    private static void copyOutput(final Process child, final List<String> lines, final AtomicLong notes)
    {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = out.readLine()) != null)
            {
                if (line.startsWith("[reliability] note:") && notes.incrementAndGet() > 1)
                {
                    continue;
                }
                System.out.println("[child] " + line);
                lines.add(line);
            }
        }
        catch (final IOException e)
        {
            lines.add("(reading the child's stdout failed: " + e + ")");
        }
    }

    private static Matcher find(final List<String> lines, final Pattern pattern)
    {
        for (final String line : List.copyOf(lines))
        {
            final Matcher m = pattern.matcher(line);
            if (m.find())
            {
                return m;
            }
        }
        return null;
    }

    private static String tail(final Path file)
    {
        try
        {
            final String s = Files.readString(file, StandardCharsets.UTF_8);
            return s.length() <= 6000 ? s : "..." + s.substring(s.length() - 6000);
        }
        catch (final IOException e)
        {
            return "(unreadable: " + e + ")";
        }
    }
}
