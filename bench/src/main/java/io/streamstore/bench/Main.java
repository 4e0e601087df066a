package io.streamstore.bench;

import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * {@code streamstore-bench}: the entry point of the runnable jar. Run it through the {@code bench/streamstore-bench}
 * script, which passes the JVM flags the backends need.
 */
public final class Main
{
    private Main()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(execute(new BenchCommand(), args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Parses and runs {@code args} on {@code command}; returns the exit code. */
    static int execute(final BenchCommand command, final String[] args, final PrintWriter out, final PrintWriter err)
    {
        final CommandLine commandLine = new CommandLine(command)
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setOut(out)
            .setErr(err);
        return commandLine.execute(args);
    }
}
