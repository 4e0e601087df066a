package io.streamstore.lmdbstore;

import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lmdbjava.Dbi;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A flipped bit in one of LMDB's two meta pages must not make LMDB open another snapshot silently (a rollback
 * without a report): the store refuses such a file. Each damaged copy only changes which intact snapshot LMDB opens,
 * so these cases run in this JVM.
 */
class MetaPageDamageTest
{
    private static final int PAGE = 4096;
    private static final int TXNID = 144;

    @TempDir
    Path tmp;

    @Test
    void aStaleMetaPageMadeNewerByAFlippedBitIsRefusedNamingThePage() throws IOException
    {
        final Path pristine = storeWithCommits(6);
        final MetaPages.Page stale = pages(pristine).passedOver();
        final long current = pages(pristine).chosen().txnid();
        int cases = 0;
        for (int bit = 1; bit < 64; bit++)
        {
            if (Long.compareUnsigned(stale.txnid() ^ (1L << bit), current) <= 0)
            {
                continue;
            }
            final Path copy = damagedCopy(pristine, "stale-" + bit, stale.index() * PAGE + TXNID, bit);
            final CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(copy).close(),
                "bit " + bit + " of the stale page's txnid");
            assertEquals(copy.resolve(LmdbStore.DATA_FILE).toString(), e.file(), e.getMessage());
            assertEquals((long)stale.index() * PAGE, e.offset(), e.getMessage());
            cases++;
        }
        assertTrue(cases > 50, "bits tried: " + cases);
    }

    @Test
    void theCurrentMetaPageMadeOlderByAFlippedBitIsRefused() throws IOException
    {
        final Path pristine = storeWithCommits(6);
        final MetaPages.Page current = pages(pristine).chosen();
        final long stale = pages(pristine).passedOver().txnid();
        final List<Integer> bits = new ArrayList<>();
        for (int bit = 0; bit < 64; bit++)
        {
            if (Long.compareUnsigned(current.txnid() ^ (1L << bit), stale) < 0 || bit == 0)
            {
                bits.add(bit);
            }
        }
        assertTrue(bits.size() >= 2, "the current txnid " + current.txnid() + " has bits to clear: " + bits);
        for (final int bit : bits)
        {
            final Path copy = damagedCopy(pristine, "current-" + bit, current.index() * PAGE + TXNID, bit);
            final CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(copy).close(),
                "bit " + bit + " of the current page's txnid " + current.txnid());
            assertEquals(copy.resolve(LmdbStore.DATA_FILE).toString(), e.file(), e.getMessage());
        }
    }

    @Test
    void aFlipInTheCurrentTxnidThatLmdbStillPrefersIsRefused() throws IOException
    {
        final Path pristine = storeWithCommits(6);
        final MetaPages.Page current = pages(pristine).chosen();
        final Path copy = damagedCopy(pristine, "current-up", current.index() * PAGE + TXNID, 20);
        final CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(copy).close());
        assertTrue(e.getMessage().contains("replica or backup"), e.getMessage());
    }

    @Test
    void aHealthyStoreReopensUnderEveryPolicyAndAfterCompaction() throws IOException
    {
        final Path dir = tmp.resolve("healthy");
        for (final SyncPolicy policy : List.of(SyncPolicy.always(), SyncPolicy.never(),
            SyncPolicy.every(java.time.Duration.ofMillis(5))))
        {
            for (int round = 0; round < 3; round++)
            {
                try (StreamStore s = new LmdbStoreProvider().open(dir, LmdbChild.config(policy)))
                {
                    final long seq = s.append("a.b", null, new byte[]{(byte)round});
                    if (round == 1)
                    {
                        s.remove(seq);
                        s.compact();
                    }
                }
            }
        }
        try (StreamStore s = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.never())))
        {
            assertEquals(9, s.state().lastSeq());
            assertEquals(6, s.state().msgs());
        }
        final MetaPages pages = pages(dir);
        assertEquals(pages.chosen().txnid(), stamp(dir), "the opened snapshot carries its own id");
        assertEquals(pages.passedOver().txnid(), pages.stampOf(dir.resolve(LmdbStore.DATA_FILE), pages.passedOver()),
            "so does the previous one");
    }

    @Test
    void aCompactedCopyIsStampedSoThatItReopens() throws IOException
    {
        final Path dir = tmp.resolve("compacted");
        try (StreamStore s = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.always())))
        {
            for (int i = 0; i < 50; i++)
            {
                s.append("c.d", null, new byte[100]);
            }
            s.compact();
        }
        final MetaPages pages = pages(dir);
        assertEquals(pages.chosen().txnid(), stamp(dir));
        try (StreamStore s = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.always())))
        {
            assertEquals(50, s.state().msgs());
        }
    }

    @Test
    void aStoreWithoutAStampFromAnOlderBuildOpensAndIsStampedAtOnce() throws IOException
    {
        final Path dir = tmp.resolve("older");
        try (StreamStore s = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.never())))
        {
            s.append("x.y", null, new byte[]{7});
        }
        removeStamp(dir);
        assertNull(stampOrNull(dir), "the stamp is gone, as in a store of an older build");
        try (StreamStore s = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.never())))
        {
            final StoredMessage m = s.load(1);
            assertNotNull(m);
            assertArrayEquals(new byte[]{7}, m.payload());
        }
        assertEquals(pages(dir).chosen().txnid(), stamp(dir), "the open stamped it");
    }

    @Test
    void aCatalogPageWhoseNumberDoesNotMatchIsRefusedBeforeLmdbFollowsIt() throws IOException
    {
        final Path pristine = storeWithCommits(2);
        final MetaPages.Page current = pages(pristine).chosen();
        final Path copy = damagedCopy(pristine, "catalog", current.mainRoot() * PAGE, 3);
        final CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(copy).close());
        assertEquals(current.mainRoot() * PAGE, e.offset(), e.getMessage());
    }

    @Test
    void aFileShorterThanItsLastPageIsRefused() throws IOException
    {
        final Path pristine = storeWithCommits(2);
        final Path copy = tmp.resolve("short");
        Files.createDirectories(copy);
        final byte[] file = Files.readAllBytes(pristine.resolve(LmdbStore.DATA_FILE));
        Files.write(copy.resolve(LmdbStore.DATA_FILE), java.util.Arrays.copyOf(file, file.length - 100));
        final CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(copy).close());
        assertTrue(e.getMessage().contains("as the last in use"), e.getMessage());
    }

    @Test
    void aFileThatEndsBeforeItsLastPageInUseOpensWhenNoTreeNeedsThosePages() throws IOException
    {
        // what a commit whose highest pages were freed again in the same transaction leaves: LMDB never writes them
        final Path dir = storeWithCommits(2);
        final MetaPages.Page current = pages(dir).chosen();
        final long lastPageField = (long)current.index() * PAGE + 16 + 120;
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(LmdbStore.DATA_FILE).toFile(), "rw"))
        {
            f.seek(lastPageField);
            f.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(current.lastPage() + 3).array());
        }
        try (StreamStore s = open(dir))
        {
            assertEquals(4, s.state().msgs());
            assertArrayEquals(new byte[]{1}, s.load(4).payload());
        }
    }

    @Test
    void aSequenceKeyRewrittenInPlaceIsRefusedAtOpen() throws IOException
    {
        final Path dir = tmp.resolve("keys");
        try (StreamStore s = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.never())))
        {
            for (int i = 0; i < 20; i++)
            {
                s.append("k." + i, null, new byte[]{(byte)i});
            }
            s.remove(8);
        }
        // the msgs key of sequence 9 (8 bytes big-endian) becomes 8, which was removed: the keys stay in order, so
        // neither LMDB nor the order check sees anything wrong
        final byte[] file = Files.readAllBytes(dir.resolve(LmdbStore.DATA_FILE));
        final byte[] key = {0, 0, 0, 0, 0, 0, 0, 9};
        int at = -1;
        for (int i = 0; i + 8 < file.length && at < 0; i++)
        {
            if (java.util.Arrays.equals(file, i, i + 8, key, 0, 8) && file[i - 2] == 8 && file[i - 1] == 0)
            {
                at = i;
            }
        }
        assertTrue(at > 0, "the key of sequence 9 is in the file");
        file[at + 7] = 8;
        Files.write(dir.resolve(LmdbStore.DATA_FILE), file);
        final CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(dir).close());
        assertTrue(e.getMessage().contains("different sequences"), e.getMessage());
    }

    private Path storeWithCommits(final int opens) throws IOException
    {
        final Path dir = tmp.resolve("pristine");
        for (int i = 0; i < opens; i++)
        {
            try (StreamStore s = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.never())))
            {
                s.append("m.n", null, new byte[]{(byte)i});
                s.sync();
                s.append("m.n", null, new byte[]{(byte)i});
            }
        }
        return dir;
    }

    private static StreamStore open(final Path dir) throws IOException
    {
        final StreamStore s = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.never()));
        s.loadNext(">", 1);
        return s;
    }

    private static MetaPages pages(final Path dir) throws IOException
    {
        return MetaPages.read(dir.resolve(LmdbStore.DATA_FILE), PAGE);
    }

    private Path damagedCopy(final Path pristine, final String name, final long offset, final int bit)
        throws IOException
    {
        final Path copy = tmp.resolve(name);
        Files.createDirectories(copy);
        Files.copy(pristine.resolve(LmdbStore.DATA_FILE), copy.resolve(LmdbStore.DATA_FILE));
        try (RandomAccessFile f = new RandomAccessFile(copy.resolve(LmdbStore.DATA_FILE).toFile(), "rw"))
        {
            final long at = offset + bit / 8;
            f.seek(at);
            final int b = f.read();
            f.seek(at);
            f.write(b ^ (1 << (bit % 8)));
        }
        return copy;
    }

    private static long stamp(final Path dir)
    {
        final Long stamp = stampOrNull(dir);
        assertNotNull(stamp, "the store has a txnid stamp");
        return stamp;
    }

    private static Long stampOrNull(final Path dir)
    {
        try (Env<DirectBuffer> env = rawEnv(dir); Txn<DirectBuffer> txn = env.txnRead())
        {
            final Dbi<DirectBuffer> meta = env.openDbi(txn, LmdbStore.META_DB_NAME, null, false);
            final DirectBuffer value = meta.get(txn, key());
            return value == null ? null : value.getLong(0, ByteOrder.BIG_ENDIAN);
        }
    }

    private static void removeStamp(final Path dir)
    {
        try (Env<DirectBuffer> env = rawEnv(dir))
        {
            final Dbi<DirectBuffer> meta = env.openDbi(LmdbStore.META_DB_NAME);
            try (Txn<DirectBuffer> txn = env.txnWrite())
            {
                assertTrue(meta.delete(txn, key()));
                txn.commit();
            }
            try (Txn<DirectBuffer> txn = env.txnWrite())
            {
                // a second commit, so that neither meta page's snapshot holds a stamp
                meta.put(txn, metaKey("other"), key());
                txn.commit();
            }
        }
    }

    private static Env<DirectBuffer> rawEnv(final Path dir)
    {
        return Env.create(DirectBufferProxy.PROXY_DB).setMapSize(64L << 20).setMaxDbs(4)
            .open(dir.resolve(LmdbStore.DATA_FILE).toFile(), EnvFlags.MDB_NOSUBDIR, EnvFlags.MDB_NOLOCK);
    }

    private static DirectBuffer key()
    {
        return metaKey(LmdbStore.TXNID_NAME);
    }

    private static DirectBuffer metaKey(final String name)
    {
        final UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(name.length()));
        b.putStringWithoutLengthAscii(0, name);
        return b;
    }
}
