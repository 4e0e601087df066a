package io.streamstore.lmdbstore;

import org.agrona.DirectBuffer;
import org.lmdbjava.CopyFlags;
import org.lmdbjava.Env;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Reclaims the space LMDB never gives back (it reuses freed pages but never shrinks {@code data.mdb}), crash-safely:
 * <ol>
 *   <li>{@code mdb_env_copy2(MDB_CP_COMPACT)} writes a packed copy, {@code data.mdb.compact}, which is forced;</li>
 *   <li>the store closes its environment and renames the copy over {@code data.mdb} in one atomic move, then
 *       forces the directory;</li>
 *   <li>the store reopens the environment.</li>
 * </ol>
 * A crash before the rename leaves the old file whole (the copy is deleted at the next open); after it, the
 * forced copy is the store.
 */
final class Compactor
{
    private static final System.Logger LOG = System.getLogger(Compactor.class.getName());

    private Compactor()
    {
    }

    /** Writes and forces the compacted copy; returns its size. No copy is left behind on failure. */
    static long writeCopy(final Env<DirectBuffer> env, final Path copy) throws IOException
    {
        Files.deleteIfExists(copy);
        try
        {
            env.copy(copy.toFile(), CopyFlags.MDB_CP_COMPACT);
            force(copy, false);
            return Files.size(copy);
        }
        catch (final RuntimeException | IOException e)
        {
            Files.deleteIfExists(copy);
            throw e;
        }
    }

    /** Renames the forced copy over the data file (its environment closed) and forces the directory. */
    static void swapIn(final Path copy, final Path dataFile) throws IOException
    {
        Files.move(copy, dataFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        force(dataFile.getParent(), true);
    }

    private static void force(final Path path, final boolean directory) throws IOException
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            channel.force(true);
        }
        catch (final IOException e)
        {
            if (!directory)
            {
                throw e;
            }
            // some file systems refuse to open a directory for force; the rename is then as durable as they allow
            LOG.log(System.Logger.Level.DEBUG, "could not force directory " + path, e);
        }
    }
}
