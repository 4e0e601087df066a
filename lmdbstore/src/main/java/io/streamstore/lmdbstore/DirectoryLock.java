package io.streamstore.lmdbstore;

import io.streamstore.spi.StoreLockedException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes a directory belong to one store: one per JVM (a process-wide set of real paths, because LMDB
 * must never open one file twice in a process) and one per machine (an OS lock on {@code lmdbstore.lock},
 * held with {@link FileChannel#tryLock()}, which the OS drops when the process dies, even on kill -9).
 * The environment runs with {@code MDB_NOLOCK}, so this lock is what keeps a second process out.
 */
final class DirectoryLock
{
    static final String FILE_NAME = "lmdbstore.lock";

    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(final Path directory, final FileChannel channel, final FileLock lock)
    {
        this.directory = directory;
        this.channel = channel;
        this.lock = lock;
    }

    static DirectoryLock acquire(final Path dir) throws IOException
    {
        final Path real = dir.toRealPath();
        if (!OPEN.add(real))
        {
            throw new StoreLockedException("the LMDB store in " + real + " is already open in this process; " +
                "close that store before opening it again");
        }
        FileChannel channel = null;
        try
        {
            channel = FileChannel.open(real.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            final FileLock lock;
            try
            {
                lock = channel.tryLock();
            }
            catch (final OverlappingFileLockException e)
            {
                throw new StoreLockedException("the LMDB store in " + real + " is already open in this process");
            }
            if (lock == null)
            {
                throw new StoreLockedException("the LMDB store in " + real + " is open in another process (it holds " +
                    real.resolve(FILE_NAME) + "); close it there first");
            }
            return new DirectoryLock(real, channel, lock);
        }
        catch (final IOException | RuntimeException e)
        {
            if (channel != null)
            {
                try
                {
                    channel.close();
                }
                catch (final IOException suppressed)
                {
                    e.addSuppressed(suppressed);
                }
            }
            OPEN.remove(real);
            throw e;
        }
    }

    Path directory()
    {
        return directory;
    }

    void release()
    {
        try
        {
            lock.release();
            channel.close();
        }
        catch (final IOException ignore)
        {
            // closing the channel drops the lock whatever release() said
        }
        finally
        {
            OPEN.remove(directory);
        }
    }
}
