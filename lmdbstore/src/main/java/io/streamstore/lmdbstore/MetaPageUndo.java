package io.streamstore.lmdbstore;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Puts back the meta page a failed commit touched.
 *
 * <p>Why: when LMDB 0.9's write of a commit's meta page fails ({@code mdb_env_write_meta}, an ENOSPC or EIO from
 * {@code pwrite}), it "writes some old data back" through the other descriptor, but only the old txnid and last page:
 * the page then names the failed transaction's trees under the txnid it held before. Its pages were written and
 * forced, so LMDB opens the other page's snapshot without complaint, but {@link MetaPages} rightly cannot tell this
 * page from one whose txnid a flipped bit lowered (the failed transaction's stamp is the successor of the opened
 * snapshot's), and refuses every later open: one transient write error would lock the store out for good. So the
 * store copies the page the commit will overwrite (transaction t writes page t % 2; the {@link MetaPages} layout, up
 * to the txnid) from the map before each commit, and after a commit that failed writes the copy back and forces it.
 * The snapshot it names is still whole: LMDB reuses only pages freed before the previous transaction. Should that
 * write fail too, the disk is gone and the page stays as LMDB left it.
 */
final class MetaPageUndo
{
    /** Page header and meta fields up to the end of the txnid: what {@code mdb_env_write_meta} may change. */
    static final int LENGTH = 16 + 136;

    private static final System.Logger LOG = System.getLogger(MetaPageUndo.class.getName());

    private final byte[] saved = new byte[LENGTH];
    private final UnsafeBuffer map = new UnsafeBuffer(0, 0);
    private long offset = -1;

    /**
     * Before committing transaction {@code txnid}: copies its meta page from the map; nothing when the map's address
     * is unknown (0).
     */
    void save(final long mapAddress, final int pageSize, final long txnid)
    {
        offset = -1;
        if (mapAddress != 0)
        {
            final long at = (txnid & 1) * pageSize;
            map.wrap(mapAddress + at, LENGTH);
            map.getBytes(0, saved);
            offset = at;
        }
    }

    /**
     * After the commit failed: writes the copy back into {@code dataFile} and forces it.
     *
     * @return the bytes written (0 when there was no copy or the write failed)
     */
    long restore(final Path dataFile)
    {
        final long at = offset;
        offset = -1;
        if (at < 0)
        {
            return 0;
        }
        try (FileChannel channel = FileChannel.open(dataFile, StandardOpenOption.WRITE))
        {
            final ByteBuffer b = ByteBuffer.wrap(saved);
            while (b.hasRemaining())
            {
                channel.write(b, at + b.position());
            }
            channel.force(false);
            return LENGTH;
        }
        catch (final IOException e)
        {
            LOG.log(System.Logger.Level.WARNING, "could not put back meta page " + (at == 0 ? 0 : 1) + " of " +
                dataFile + " after a failed commit; the next open may report it as damaged", e);
            return 0;
        }
    }
}
