package io.streamstore.filestore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/** Starts {@link ChildMain} in a new JVM: same java binary, class path and module flags as this one. */
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
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final List<String> input = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (int i = 0; i < input.size(); i++)
        {
            final String a = input.get(i);
            if (a.startsWith("--add-exports") || a.startsWith("--add-opens") || a.startsWith("--enable-native-access"))
            {
                command.add(a);
                if (!a.contains("=") && i + 1 < input.size())
                {
                    command.add(input.get(++i));
                }
            }
        }
        command.add("-Xmx256m");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ChildMain.class.getName());
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command);
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
