package io.streamstore.filestore;

import io.streamstore.spi.StoreLockedException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on {@code <dir>/LOCK}, held while a store is open. Another process gets
 * {@code tryLock() == null}; this process is guarded by a set of open directories, since a second
 * {@code tryLock} in one JVM throws {@link OverlappingFileLockException} instead.
 */
final class DirectoryLock implements AutoCloseable
{
    static final String FILE_NAME = "LOCK";
    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(final Path key, final FileChannel channel, final FileLock lock)
    {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    static DirectoryLock acquire(final Path directory) throws IOException
    {
        final Path key = directory.toRealPath();
        if (!OPEN.add(key))
        {
            throw locked(directory, "this process");
        }
        FileChannel channel = null;
        try
        {
            channel = DefaultFileIo.createFileNoTruncate(key.resolve(FILE_NAME));
            final FileLock lock;
            try
            {
                lock = channel.tryLock();
            }
            catch (final OverlappingFileLockException e)
            {
                throw locked(directory, "this process");
            }
            if (lock == null)
            {
                throw locked(directory, "another process");
            }
            return new DirectoryLock(key, channel, lock);
        }
        catch (final IOException | RuntimeException e)
        {
            OPEN.remove(key);
            if (channel != null)
            {
                channel.close();
            }
            throw e;
        }
    }

    private static StoreLockedException locked(final Path directory, final String who)
    {
        return new StoreLockedException("the file store in " + directory + " is already open in " + who +
            "; close that store first (two writers on one directory would corrupt it)");
    }

    @Override
    public void close()
    {
        try
        {
            lock.release();
        }
        catch (final IOException ignored)
        {
            // closing the channel releases it too
        }
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // nothing left to release
        }
        finally
        {
            OPEN.remove(key);
        }
    }
}
