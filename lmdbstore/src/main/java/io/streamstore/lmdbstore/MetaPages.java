package io.streamstore.lmdbstore;

import io.streamstore.spi.CorruptStoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * LMDB's two meta pages, read from {@code data.mdb} with plain file I/O, and the checks that catch a damaged one.
 *
 * <p>Why: LMDB checksums nothing, and it opens the snapshot of whichever meta page holds the larger txnid. One flipped
 * bit in the txnid of the stale page makes it "newer", and LMDB then silently opens the previous snapshot: a rollback
 * with no report. The store therefore stamps every transaction it commits with the transaction's own id (meta key
 * {@code txnid}); at open the id of the snapshot LMDB chose must equal the stamp inside it ({@link #checkStamp}).
 * A flip in the current page's txnid that makes it look older than the stale one is caught by the parity of the
 * page (LMDB writes transaction t into page t % 2) or, for a higher bit, by reading the stamp of the snapshot LMDB
 * passed over ({@link #checkPassedOver}): if that one is stamped as the chosen snapshot's successor, it is the real
 * latest and its page is damaged. The opened page must also name only pages the file has, and the catalog tree
 * (the main database) must hold together down to the root pages of the named databases ({@link #read}).
 *
 * <p>Meta page layout (little-endian on the platforms LMDBJava ships for, 64-bit), offsets from the page start:
 * <pre>
 * | offset | size | field                                                                  |
 * |--------|------|------------------------------------------------------------------------|
 * | 0      | 16   | page header: pgno (8), pad (2), flags (2, P_META = 0x08), lower, upper |
 * | 16     | 4    | magic 0xBEEFC0DE                                                       |
 * | 20     | 4    | version (1)                                                            |
 * | 24     | 8    | fixed map address                                                      |
 * | 32     | 8    | map size                                                               |
 * | 40     | 48   | MDB_db of the free-page database (its pad holds the page size)         |
 * | 88     | 48   | MDB_db of the main database: pad 4, flags 2, depth 2, branch, leaf,    |
 * |        |      | overflow pages, entries (at +32), root page (at +40), 8 bytes each     |
 * | 136    | 8    | last page used                                                         |
 * | 144    | 8    | txnid                                                                  |
 * </pre>
 */
final class MetaPages
{
    static final int MAGIC = 0xBEEFC0DE;
    static final long INVALID_PAGE = -1L;
    private static final int META = 16;
    private static final int MAIN_DB = META + 72;
    private static final int LAST_PAGE = META + 120;
    private static final int TXNID = META + 128;
    private static final int META_END = TXNID + 8;

    /** One meta page's fields the checks use. */
    /** How many pages past a healthy file's end the last page in use may lie (loose pages of the last commit). */
    static final long UNWRITTEN_PAGES_SLACK = 1024;

    record Page(int index, long txnid, long lastPage, long mainRoot, long mainEntries, int mainDepth)
    {
    }

    private final String file;
    private final int pageSize;
    private final Page[] pages = new Page[2];

    private MetaPages(final String file, final int pageSize)
    {
        this.file = file;
        this.pageSize = pageSize;
    }

    /**
     * Reads both meta pages of {@code dataFile} and checks them (LMDB has validated their magic and version when
     * it opened the file).
     *
     * @throws CorruptStoreException when a page is cut short, the opened one names pages the file lacks or a damaged
     *                               catalog tree, or a page's txnid has the wrong parity
     */
    static MetaPages read(final Path dataFile, final int pageSize) throws IOException
    {
        final MetaPages m = new MetaPages(dataFile.toString(), pageSize);
        try (FileChannel channel = FileChannel.open(dataFile, StandardOpenOption.READ))
        {
            for (int i = 0; i < 2; i++)
            {
                final ByteBuffer b = ByteBuffer.allocate(META_END).order(ByteOrder.LITTLE_ENDIAN);
                final long at = (long)i * pageSize;
                while (b.hasRemaining())
                {
                    if (channel.read(b, at + b.position()) < 0)
                    {
                        throw m.corrupt(at, "meta page " + i + " is cut short (the file has " + channel.size() +
                            " bytes)");
                    }
                }
                m.pages[i] = new Page(i, b.getLong(TXNID), b.getLong(LAST_PAGE), b.getLong(MAIN_DB + 40),
                    b.getLong(MAIN_DB + 32), b.getShort(MAIN_DB + 6) & 0xFFFF);
                if (b.getInt(META) != MAGIC)
                {
                    throw m.corrupt(at, "meta page " + i + " lacks LMDB's magic number");
                }
            }
        }
        try (FileChannel channel = FileChannel.open(dataFile, StandardOpenOption.READ))
        {
            m.checkChosen(channel);
        }
        for (final Page p : m.pages)
        {
            // both pages of a new environment hold txnid 0
            if (p.txnid != 0 && (p.txnid & 1) != p.index)
            {
                throw m.corrupt(m.offset(p), "meta page " + p.index + " holds txnid " + p.txnid + ", but LMDB writes " +
                    "transaction t into page t % 2");
            }
            if (p.txnid == 0 && (p.mainRoot != INVALID_PAGE || p.mainEntries != 0))
            {
                throw m.corrupt(m.offset(p), "meta page " + p.index + " holds txnid 0, which only an empty " +
                    "environment has, but names a main database root");
            }
        }
        return m;
    }

    /**
     * The page LMDB opens must name pages the file has, and its main tree (the catalog of named databases, a page or
     * two) must hold together, down to the root pages of the named databases: LMDB follows page numbers without
     * checking that it arrived where it meant to, and a cycle there makes it loop forever inside native code.
     */
    private void checkChosen(final FileChannel channel) throws IOException
    {
        final Page c = chosen();
        final long size = channel.size();
        final long filePages = size / pageSize;
        // A healthy file may end before the last page in use: LMDB does not write a page it allocated and freed again
        // in the same transaction ("loose", kept for reuse), so a commit's highest pages can be missing. No tree
        // links to them; but should a damaged one, LMDB's read past the end would be a SIGBUS inside native code, so
        // the file is extended with zeros (a sparse extension, no data), which LMDB reads as a damaged page instead.
        // A file cut inside a page, or a count far past the end, is damage.
        if (c.lastPage >= filePages && size % pageSize == 0 && c.lastPage < filePages + UNWRITTEN_PAGES_SLACK)
        {
            try (FileChannel w = FileChannel.open(Path.of(file), StandardOpenOption.WRITE))
            {
                w.write(ByteBuffer.allocate(1), (c.lastPage + 1) * pageSize - 1);
            }
        }
        else if (c.lastPage < 1 || c.lastPage >= filePages)
        {
            throw corrupt(offset(c), "meta page " + c.index + " names page " + c.lastPage + " as the last in use, " +
                "but the file has " + filePages + " pages" + (size % pageSize == 0 ? "" : " and ends inside a page"));
        }
        if (c.mainRoot != INVALID_PAGE)
        {
            checkTree(channel, c.mainRoot, c.mainDepth, c.lastPage, true, c.mainDepth);
        }
    }

    private void checkTree(final FileChannel channel, final long pgno, final int depth, final long lastPage,
        final boolean main, final int levelsLeft) throws IOException
    {
        final long at = pgno * pageSize;
        if (pgno < 2 || pgno > lastPage || levelsLeft < 1 || depth > 64)
        {
            throw corrupt(at, "a B-tree links to page " + pgno + " (pages in use: 2 to " + lastPage + ", " +
                levelsLeft + " levels left)");
        }
        final ByteBuffer p = ByteBuffer.allocate(main ? pageSize : 16).order(ByteOrder.LITTLE_ENDIAN);
        while (p.hasRemaining())
        {
            if (channel.read(p, at + p.position()) < 0)
            {
                throw corrupt(at, "page " + pgno + " is beyond the end of the file");
            }
        }
        final int flags = p.getShort(10) & 0xFFFF;
        final int lower = p.getShort(12) & 0xFFFF;
        final int upper = p.getShort(14) & 0xFFFF;
        final boolean leaf = (flags & 0x02) != 0;
        final boolean branch = (flags & 0x01) != 0;
        if (p.getLong(0) != pgno || leaf == branch || (flags & ~0x33) != 0 || lower < 16 || lower > upper ||
            upper > pageSize || leaf != (levelsLeft == 1))
        {
            throw corrupt(at, "page " + pgno + " has a damaged header (number " + p.getLong(0) + ", flags " +
                Integer.toHexString(flags) + ", lower " + lower + ", upper " + upper + ", " + levelsLeft +
                " levels expected)");
        }
        if (!main)
        {
            return;
        }
        final int n = (lower - 16) >> 1;
        for (int i = 0; i < n; i++)
        {
            final int node = p.getShort(16 + 2 * i) & 0xFFFF;
            final int ksize = node + 8 <= pageSize ? p.getShort(node + 6) & 0xFFFF : 0;
            if (node < upper || node + 8 + ksize > pageSize)
            {
                throw corrupt(at, "node " + i + " of page " + pgno + " lies outside the page");
            }
            if (branch)
            {
                final long child = (p.getShort(node) & 0xFFFFL) | (p.getShort(node + 2) & 0xFFFFL) << 16 |
                    (p.getShort(node + 4) & 0xFFFFL) << 32;
                checkTree(channel, child, depth, lastPage, true, levelsLeft - 1);
                continue;
            }
            final int nodeFlags = p.getShort(node + 4) & 0xFFFF;
            final int size = (p.getShort(node) & 0xFFFF) | (p.getShort(node + 2) & 0xFFFF) << 16;
            if ((nodeFlags & 0x02) != 0)
            {
                if (size != 48 || node + 8 + ksize + 48 > pageSize)
                {
                    throw corrupt(at, "the record of a named database on page " + pgno + " is damaged");
                }
                final int db = node + 8 + ksize;
                final int dbDepth = p.getShort(db + 6) & 0xFFFF;
                final long root = p.getLong(db + 40);
                if (root != INVALID_PAGE || dbDepth != 0)
                {
                    checkTree(channel, root, dbDepth, lastPage, false, dbDepth);
                }
            }
        }
    }

    /** The page LMDB opens: the larger txnid, page 0 on a tie. */
    Page chosen()
    {
        // txnids are unsigned in LMDB
        return Long.compareUnsigned(pages[1].txnid, pages[0].txnid) > 0 ? pages[1] : pages[0];
    }

    Page passedOver()
    {
        return chosen() == pages[0] ? pages[1] : pages[0];
    }

    long offset(final Page p)
    {
        return (long)p.index * pageSize;
    }

    /**
     * The snapshot LMDB opened (its txnid {@code chosenTxnid}) must carry its own id as stamp. A store written by
     * an older build has no stamp: accepted when its config is there (the first commit of every build writes it).
     *
     * @param stamp the {@code txnid} meta entry of the opened snapshot, or -1 when it has none
     */
    void checkStamp(final long chosenTxnid, final long stamp, final boolean hasConfig)
    {
        final Page c = chosen();
        if (c.txnid != chosenTxnid)
        {
            throw corrupt(offset(c), "LMDB opened transaction " + chosenTxnid + " but meta page " + c.index +
                " names " + c.txnid + " (the file changed under the store?)");
        }
        if (stamp >= 0 ? stamp != chosenTxnid : chosenTxnid != 0 && !hasConfig)
        {
            throw corrupt(offset(c), "meta page " + c.index + " names transaction " + chosenTxnid + " but the " +
                "snapshot it points to " +
                (stamp >= 0 ? "was written by transaction " + stamp : "holds no data of this store") +
                ": the page's txnid is damaged and LMDB picked the wrong snapshot");
        }
    }

    /**
     * The other page must not be the real latest: when its snapshot is stamped as the successor of the chosen one,
     * its txnid was damaged downwards and LMDB rolled back. Only a stamp read without error counts; a snapshot LMDB
     * passed over may legitimately be stale or half-overwritten after a power loss under {@code MDB_NOSYNC}.
     */
    void checkPassedOver(final long passedOverStamp)
    {
        final Page c = chosen();
        final Page p = passedOver();
        if (passedOverStamp == c.txnid + 1)
        {
            throw corrupt(offset(p), "meta page " + p.index + " names transaction " + p.txnid + " but its snapshot " +
                "was written by transaction " + passedOverStamp + ", the latest: the page's txnid is damaged and " +
                "LMDB opened the older snapshot " + c.txnid);
        }
    }

    /**
     * The {@code txnid} stamp in the snapshot of {@code page}, found by walking its B-trees in the file with plain
     * reads (main database to the {@code meta} database to the key), or -1 when it cannot be read: any page that does
     * not look right ends the walk, so a stale or damaged snapshot costs nothing but a few reads.
     */
    long stampOf(final Path dataFile, final Page page)
    {
        if (page.mainRoot == INVALID_PAGE)
        {
            return -1;
        }
        try (FileChannel channel = FileChannel.open(dataFile, StandardOpenOption.READ))
        {
            final ByteBuffer db = find(channel, page.mainRoot, page.mainDepth, LmdbStore.META_DB_NAME, true);
            if (db == null || db.remaining() != 48)
            {
                return -1;
            }
            final long root = db.getLong(db.position() + 40);
            final int depth = db.getShort(db.position() + 6) & 0xFFFF;
            final ByteBuffer value = find(channel, root, depth, LmdbStore.TXNID_KEY, false);
            return value == null || value.remaining() != 8 ? -1 :
                value.order(ByteOrder.BIG_ENDIAN).getLong(value.position());
        }
        catch (final IOException | RuntimeException e)
        {
            return -1;
        }
    }

    /** The value of {@code key} in the tree under {@code root}, or null. */
    private ByteBuffer find(final FileChannel channel, final long root, final int depth, final byte[] key,
        final boolean subDatabase) throws IOException
    {
        final long pages = channel.size() / pageSize;
        long pgno = root;
        for (int level = 0; level < Math.min(depth, 16); level++)
        {
            if (pgno < 2 || pgno >= pages)
            {
                return null;
            }
            final ByteBuffer p = ByteBuffer.allocate(pageSize).order(ByteOrder.LITTLE_ENDIAN);
            while (p.hasRemaining())
            {
                if (channel.read(p, pgno * pageSize + p.position()) < 0)
                {
                    return null;
                }
            }
            final int flags = p.getShort(10) & 0xFFFF;
            final int lower = p.getShort(12) & 0xFFFF;
            if (p.getLong(0) != pgno || lower < 16 || lower > pageSize)
            {
                return null;
            }
            final int n = (lower - 16) >> 1;
            final boolean leaf = (flags & 0x02) != 0;
            if (!leaf && (flags & 0x01) == 0 || (flags & 0x20) != 0)
            {
                return null;
            }
            long next = -1;
            for (int i = 0; i < n; i++)
            {
                final int node = p.getShort(16 + 2 * i) & 0xFFFF;
                if (node + 8 > pageSize)
                {
                    return null;
                }
                final int ksize = p.getShort(node + 6) & 0xFFFF;
                if (node + 8 + ksize > pageSize)
                {
                    return null;
                }
                final int cmp = i == 0 && !leaf ? -1 : compare(p, node + 8, ksize, key);
                if (leaf)
                {
                    if (cmp == 0)
                    {
                        final int nodeFlags = p.getShort(node + 4) & 0xFFFF;
                        final int size = (p.getShort(node) & 0xFFFF) | (p.getShort(node + 2) & 0xFFFF) << 16;
                        // F_BIGDATA values live on overflow pages; F_SUBDATA marks a named database
                        if ((nodeFlags & 0x01) != 0 || ((nodeFlags & 0x02) != 0) != subDatabase ||
                            node + 8 + ksize + size > pageSize)
                        {
                            return null;
                        }
                        return p.slice(node + 8 + ksize, size).order(ByteOrder.LITTLE_ENDIAN);
                    }
                }
                else if (cmp <= 0)
                {
                    next = (p.getShort(node) & 0xFFFFL) | (p.getShort(node + 2) & 0xFFFFL) << 16 |
                        (p.getShort(node + 4) & 0xFFFFL) << 32;
                }
            }
            if (leaf || next < 0)
            {
                return null;
            }
            pgno = next;
        }
        return null;
    }

    /** memcmp order, shorter first on a common prefix: LMDB's default key order. */
    private static int compare(final ByteBuffer page, final int at, final int length, final byte[] key)
    {
        for (int i = 0; i < Math.min(length, key.length); i++)
        {
            final int c = (page.get(at + i) & 0xFF) - (key[i] & 0xFF);
            if (c != 0)
            {
                return c;
            }
        }
        return length - key.length;
    }

    private CorruptStoreException corrupt(final long offset, final String what)
    {
        return new CorruptStoreException("in " + file + " at offset " + offset + " " + what + "; the file is " +
            "damaged: restore it from a replica or backup, or move it away to accept the loss of the stream", file,
            offset, null);
    }
}
