package io.streamstore.lmdbstore;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a test main in a fresh JVM: the same java, the same class path, and the module flags this JVM was
 * started with (Agrona needs {@code --add-exports}, JDK 24+ needs {@code --enable-native-access}).
 */
final class ChildJvm
{
    private ChildJvm()
    {
    }

    static Process start(final Path stderr, final Class<?> main, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final List<String> input = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (int i = 0; i < input.size(); i++)
        {
            final String arg = input.get(i);
            if (arg.startsWith("--add-exports") || arg.startsWith("--enable-native-access"))
            {
                command.add(arg);
                if (!arg.contains("=") && i + 1 < input.size())
                {
                    command.add(input.get(++i));
                }
            }
        }
        command.add("-Xmx256m");
        // a child that LMDB crashes on a damaged file leaves its crash log in the test's temporary directory
        command.add("-XX:ErrorFile=" + stderr.toAbsolutePath().getParent().resolve("hs_err_%p.log"));
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    }
}
