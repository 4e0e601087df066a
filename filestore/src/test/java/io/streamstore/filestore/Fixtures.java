package io.streamstore.filestore;

import io.streamstore.spi.Retention;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.SyncPolicy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Shared helpers of the file store's own tests. */
final class Fixtures
{
    private Fixtures()
    {
    }

    static StreamConfig.Builder config()
    {
        return StreamConfig.builder("test").sync(SyncPolicy.never());
    }

    static StreamConfig smallBlocks()
    {
        return config().option("file.block-size", "65536").build();
    }

    static StreamConfig workQueue(final int blockSize)
    {
        return config().retention(Retention.WORK_QUEUE).option("file.block-size", Integer.toString(blockSize)).build();
    }

    static FileStore open(final Path dir, final StreamConfig config) throws IOException
    {
        return FileStore.open(dir, config, DefaultFileIo.INSTANCE);
    }

    /** Deterministic payload of {@code size} bytes for {@code seq}, so that a mix-up shows. */
    static byte[] payload(final long seq, final int size)
    {
        final byte[] b = new byte[size];
        long x = seq * 0x9E3779B97F4A7C15L + 7;
        for (int i = 0; i < size; i++)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte)x;
        }
        return b;
    }

    static long seed()
    {
        final String s = System.getProperty("streamstore.seed");
        final long seed = s == null || s.isBlank() ? System.nanoTime() : Long.parseLong(s.trim());
        System.out.println("seed " + seed + " (replay with -Dstreamstore.seed=" + seed + ")");
        return seed;
    }

    static void copyDirectory(final Path from, final Path to)
    {
        try (Stream<Path> files = Files.list(from))
        {
            Files.createDirectories(to);
            for (final Path p : (Iterable<Path>)files::iterator)
            {
                if (!p.getFileName().toString().equals(DirectoryLock.FILE_NAME))
                {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteDirectory(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(dir))
        {
            files.sorted(Comparator.reverseOrder()).forEach(p ->
            {
                try
                {
                    Files.delete(p);
                }
                catch (final IOException e)
                {
                    throw new UncheckedIOException(e);
                }
            });
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    static Path lastBlock(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(p -> p.getFileName().toString().matches("\\d+\\.blk"))
                .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().replace(".blk", ""))))
                .orElseThrow();
        }
    }

    static long blockCount(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(p -> p.getFileName().toString().matches("\\d+\\.blk")).count();
        }
    }
}
