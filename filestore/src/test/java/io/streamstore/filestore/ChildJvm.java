package io.streamstore.filestore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A {@link ChildMain} in a new JVM (started by the kit's {@link io.streamstore.conformance.reliability.ChildJvm},
 * so with the same java, class path and module flags as this one), with its stdout read into lines.
 */
final class ChildJvm
{
    final Process process;
    final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    private ChildJvm(final Process process)
    {
        this.process = process;
        reader = new Thread(() ->
        {
            try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    lines.add(line);
                }
            }
            catch (final IOException ignored)
            {
                // the child is gone
            }
            lines.add("EOF");
        }, "child-reader");
        reader.setDaemon(true);
        reader.start();
    }

    static ChildJvm start(final String... args) throws IOException
    {
        final List<String> command = io.streamstore.conformance.reliability.ChildJvm.command(ChildMain.class,
            List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return new ChildJvm(pb.start());
    }

    /** Waits for a line starting with {@code prefix}; fails on EOF or timeout. */
    String await(final String prefix, final long timeoutMillis) throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true)
        {
            final String line = lines.poll(Math.max(1, deadline - System.currentTimeMillis()),
                java.util.concurrent.TimeUnit.MILLISECONDS);
            if (line == null)
            {
                throw new AssertionError("child printed no '" + prefix + "' within " + timeoutMillis + " ms");
            }
            if (line.startsWith(prefix))
            {
                return line;
            }
            if (line.equals("EOF"))
            {
                throw new AssertionError("child exited before printing '" + prefix + "'");
            }
        }
    }

    /** SIGKILL, through the handle so that the pipe stays readable for the lines already written. */
    void kill() throws InterruptedException
    {
        process.toHandle().destroyForcibly();
        process.waitFor();
        reader.join(10_000);
    }

    void closeInput() throws IOException
    {
        process.getOutputStream().close();
    }
}
