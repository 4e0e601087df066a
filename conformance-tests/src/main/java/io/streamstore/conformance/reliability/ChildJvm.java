package io.streamstore.conformance.reliability;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a child JVM like the current one: the same {@code java} ({@code java.home}), the same class path
 * ({@code java.class.path}, which surefire fills with the whole test class path) and the same module flags
 * ({@code --add-exports}, {@code --add-opens}, {@code --enable-native-access}), plus flags that make a short
 * life start fast. Kill a child with {@code process.toHandle().destroyForcibly()}: unlike
 * {@code process.destroyForcibly()} it leaves the parent's end of the pipe open, so every line the child
 * flushed before it died can still be read.
 *
 * <p>Public so that a backend's own process tests (kill loops, lock probes) start children the same way.
 */
public final class ChildJvm
{
    private static volatile Boolean namespacesWork;

    private ChildJvm()
    {
    }

    /** The command that runs {@code mainClass} with {@code args} in a JVM like this one. */
    public static List<String> command(final Class<?> mainClass, final List<String> args)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(moduleFlags());
        // A child lives for a second or two: C1 only, a small serial heap, so that startup dominates less.
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Xmx256m");
        cmd.add("-Xss1m");
        cmd.add("-XX:-UsePerfData");
        // JVM warnings to stderr, so that stdout carries only the child's protocol lines.
        cmd.add("-XX:+DisplayVMOutputToStderr");
        // A child that LMDB crashes on a corrupt file leaves a crash log; keep those out of the work tree.
        cmd.add("-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"), "streamstore-child-hs_err_pid%p.log"));
        // A crash inside libc (a memcpy given a damaged length) can leave the crash reporter waiting forever on a
        // lock the crashed thread held; the JVM's watcher ends such a report after this long, so the parent sees
        // a crash, not a hang (the default is two minutes, longer than a corruption case may take).
        cmd.add("-XX:ErrorLogTimeout=5");
        cmd.add("-Dstreamstore.child=true");
        final String logging = System.getProperty("java.util.logging.config.file");
        if (logging != null)
        {
            // the parent's logging, so that a child's expected recovery lines stay as quiet as the parent's
            cmd.add("-Djava.util.logging.config.file=" + logging);
        }
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        return cmd;
    }

    /**
     * The current JVM's --add-exports, --add-opens, --enable-native-access and --sun-misc-unsafe-memory-access
     * flags, as "flag=value".
     */
    public static List<String> moduleFlags()
    {
        final List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++)
        {
            final String a = in.get(i);
            for (final String flag : new String[]{"--add-exports", "--add-opens", "--enable-native-access",
                "--sun-misc-unsafe-memory-access"})
            {
                if (a.equals(flag) && i + 1 < in.size())
                {
                    out.add(flag + "=" + in.get(++i));
                }
                else if (a.startsWith(flag + "="))
                {
                    out.add(a);
                }
            }
        }
        return out;
    }

    /** Starts {@code cmd} with stdout piped to the parent, stderr to {@code stderr} and stdin piped. */
    public static Process start(final List<String> cmd, final Path stderr) throws IOException
    {
        final ProcessBuilder pb = new ProcessBuilder(cmd);
        // The class path goes through the environment: a long -cp argument is the same, only harder to read.
        pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        pb.redirectError(stderr.toFile());
        return pb.start();
    }

    /** The first {@code max} characters of a child's stderr, for a failure message. */
    public static String tail(final Path stderr, final int max)
    {
        try
        {
            final String s = Files.readString(stderr, StandardCharsets.UTF_8);
            return s.length() <= max ? s : "..." + s.substring(s.length() - max);
        }
        catch (final IOException e)
        {
            return "(stderr unreadable: " + e + ")";
        }
    }

    /**
     * True when a child may run in a private mount namespace with its own tmpfs: the process is root, and
     * {@code unshare --mount --propagation private} can mount a tmpfs that the parent does not see.
     */
    static boolean privateMountNamespaceWorks()
    {
        Boolean works = namespacesWork;
        if (works == null)
        {
            works = false;
            if ("root".equals(System.getProperty("user.name")))
            {
                Path probe = null;
                try
                {
                    // The real thing, small: a private namespace and a tmpfs mounted in it (a container may allow
                    // the first and not the second).
                    probe = Files.createTempDirectory("streamstore-mount-probe");
                    final Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                        "mount -t tmpfs -o size=65536 tmpfs \"$0\" && touch \"$0/x\"", probe.toString())
                        .redirectErrorStream(true).start();
                    p.getInputStream().readAllBytes();
                    works = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 && !Files.exists(probe.resolve("x"));
                }
                catch (final IOException e)
                {
                    works = false;
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                    works = false;
                }
                finally
                {
                    if (probe != null)
                    {
                        try
                        {
                            Files.deleteIfExists(probe.resolve("x"));
                            Files.deleteIfExists(probe);
                        }
                        catch (final IOException ignore)
                        {
                            // a temp directory left behind
                        }
                    }
                }
            }
            namespacesWork = works;
        }
        return works;
    }

    /** Waits for a child to end, killing it after {@code seconds}; returns its exit code (137 when killed). */
    public static int await(final Process p, final long seconds) throws InterruptedException
    {
        if (!p.waitFor(seconds, TimeUnit.SECONDS))
        {
            p.toHandle().destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        return p.exitValue();
    }
}
