package io.streamstore.lmdbstore;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.CopyFlags;
import org.lmdbjava.Dbi;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Reclaims the space LMDB never gives back (it reuses freed pages but never shrinks {@code data.mdb}), crash-safely:
 * <ol>
 *   <li>{@code mdb_env_copy2(MDB_CP_COMPACT)} writes a packed copy, {@code data.mdb.compact}; the copy names its
 *       snapshot transaction 1 (meta page 1; page 0 is an empty transaction 0), so two small durable commits stamp it
 *       as transactions 2 and 3 (see {@link MetaPages}: an open compares LMDB's transaction id with the stamp inside
 *       the snapshot, and both meta pages then hold stamped snapshots); the copy is forced;</li>
 *   <li>the store closes its environment and renames the copy over {@code data.mdb} in one atomic move, then
 *       forces the directory;</li>
 *   <li>the store reopens the environment.</li>
 * </ol>
 * A crash before the rename leaves the old file whole (the copy is deleted at the next open); after it, the
 * forced, stamped copy is the store.
 */
final class Compactor
{
    private static final System.Logger LOG = System.getLogger(Compactor.class.getName());
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    /** A written copy: its size, and the bytes the stamping commits wrote (measured where possible). */
    record Copy(long size, long stampBytes)
    {
    }

    private Compactor()
    {
    }

    /** Writes, stamps and forces the compacted copy. No copy is left behind on failure. */
    static Copy writeCopy(final Env<DirectBuffer> env, final Path copy, final long mapSize) throws IOException
    {
        Files.deleteIfExists(copy);
        try
        {
            env.copy(copy.toFile(), CopyFlags.MDB_CP_COMPACT);
            final long before = IoCounter.read();
            stamp(copy, Math.max(mapSize, Files.size(copy) * 2));
            final long stampBytes = before >= 0 ? Math.max(0, IoCounter.read() - before) : 0;
            force(copy, false);
            return new Copy(Files.size(copy), stampBytes);
        }
        catch (final RuntimeException | IOException e)
        {
            Files.deleteIfExists(copy);
            throw e;
        }
    }

    /** Two durable commits into the copy, each putting its own transaction id under the {@code txnid} key. */
    private static void stamp(final Path copy, final long mapSize)
    {
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(LmdbStore.TXNID_KEY.length));
        key.putBytes(0, LmdbStore.TXNID_KEY);
        try (Env<DirectBuffer> copyEnv = Env.create(DirectBufferProxy.PROXY_DB)
            .setMapSize((mapSize + 4095) / 4096 * 4096)
            .setMaxDbs(4)
            .setMaxReaders(2)
            .open(copy.toFile(), EnvFlags.MDB_NOSUBDIR, EnvFlags.MDB_NOLOCK, EnvFlags.MDB_NOTLS))
        {
            final Dbi<DirectBuffer> meta = copyEnv.openDbi(LmdbStore.META_DB_NAME);
            for (int i = 0; i < 2; i++)
            {
                try (Txn<DirectBuffer> txn = copyEnv.txnWrite())
                {
                    final MutableDirectBuffer value = (MutableDirectBuffer)meta.reserve(txn, key, 8);
                    value.putLong(0, txn.getId(), ByteOrder.BIG_ENDIAN);
                    txn.commit();
                }
            }
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
            // a POSIX fsync of the directory that fails leaves the rename, and every commit after it, undurable
            if (!directory || POSIX)
            {
                throw e;
            }
            // Windows cannot open a directory as a channel; NTFS journals the rename itself
            LOG.log(System.Logger.Level.DEBUG, "could not force directory " + path, e);
        }
    }
}
