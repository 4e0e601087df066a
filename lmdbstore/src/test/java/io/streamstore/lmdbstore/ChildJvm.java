package io.streamstore.lmdbstore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts a test main in a fresh JVM through the kit's {@link io.streamstore.conformance.reliability.ChildJvm}
 * (the same java, class path and module flags: Agrona needs {@code --add-exports}, JDK 24+ needs
 * {@code --enable-native-access}), with stderr appended to a file and stdin piped.
 */
final class ChildJvm
{
    private ChildJvm()
    {
    }

    static Process start(final Path stderr, final Class<?> main, final String... args) throws IOException
    {
        final List<String> command = io.streamstore.conformance.reliability.ChildJvm.command(main, List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
            .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        return pb.start();
    }
}
