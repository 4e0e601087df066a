package io.streamstore.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fresh directory for one store, deleted with everything in it on close, or when the JVM exits early
 * (Ctrl-C during a long run), so that an interrupted bench leaves no store behind.
 */
final class TempDirectory implements AutoCloseable
{
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

    static
    {
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            for (final Path left : LIVE)
            {
                try
                {
                    deleteRecursively(left);
                }
                catch (final IOException | RuntimeException e)
                {
                    System.err.println("streamstore-bench: could not delete " + left + ": " + e);
                }
            }
        }, "streamstore-bench-cleanup"));
    }

    private final Path path;

    private TempDirectory(final Path path)
    {
        this.path = path;
    }

    static TempDirectory create(final Path parent, final String label) throws IOException
    {
        Files.createDirectories(parent);
        final String safe = label.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        final Path path = Files.createTempDirectory(parent, "streamstore-bench-" + safe + "-");
        LIVE.add(path);
        return new TempDirectory(path);
    }

    Path path()
    {
        return path;
    }

    /** Bytes in regular files under {@code directory}, as the file system sees them (apparent size). */
    static long sizeOf(final Path directory)
    {
        final long[] total = {0};
        try
        {
            Files.walkFileTree(directory, new SimpleFileVisitor<>()
            {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs)
                {
                    total[0] += attrs.size();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(final Path file, final IOException e)
                {
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("could not measure " + directory, e);
        }
        return total[0];
    }

    static void deleteRecursively(final Path directory) throws IOException
    {
        if (!Files.exists(directory))
        {
            return;
        }
        Files.walkFileTree(directory, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
            {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(final Path file, final IOException e) throws IOException
            {
                if (e instanceof NoSuchFileException)
                {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path dir, final IOException e) throws IOException
            {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Override
    public void close() throws IOException
    {
        deleteRecursively(path);
        LIVE.remove(path);
    }
}
