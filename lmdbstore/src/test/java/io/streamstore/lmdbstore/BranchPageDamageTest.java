package io.streamstore.lmdbstore;

import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A walk of LMDB's leaves (the open-time scan) never reads the separator keys of branch pages, yet those route every
 * lookup. A damaged separator must be refused at open, not leave messages that the counts include but that
 * {@code load} and {@code loadNext} no longer find (found by the reliability suite's bit flips: one bit of a branch
 * node's key size, seed 100115458240134367).
 */
class BranchPageDamageTest
{
    private static final int PAGE = 4096;
    /** LMDB page header: flags at 10, lower at 12, upper at 14 (all 16-bit, native order); node pointers from 16. */
    private static final int P_BRANCH = 0x01;

    @TempDir
    Path tmp;

    private static StreamConfig config()
    {
        return StreamConfig.builder("b").sync(SyncPolicy.never()).build();
    }

    @Test
    void aBranchSeparatorDamagedToTheSmallestKeyIsRefusedAtOpen() throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (StreamStore s = new LmdbStoreProvider().open(dir, config()))
        {
            for (int i = 0; i < 400; i++)
            {
                s.append("b." + (i % 10), null, new byte[100]);
            }
        }
        final Path file = dir.resolve(LmdbStore.DATA_FILE);
        final ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.nativeOrder());
        int damaged = 0;
        for (int page = 2; (page + 1) * PAGE <= data.capacity(); page++)
        {
            final int base = page * PAGE;
            final int flags = data.getShort(base + 10) & 0xffff;
            final int lower = data.getShort(base + 12) & 0xffff;
            final int keys = (lower - 16) / 2;
            if (flags == P_BRANCH && keys >= 2 && lower < PAGE)
            {
                // the second node's key size (node: 6 bytes of child page number, then 2 bytes of key size) to 0:
                // its separator becomes the smallest key, so lookups left of it go right
                final int node = data.getShort(base + 16 + 2) & 0xffff;
                data.putShort(base + node + 6, (short)0);
                damaged++;
            }
        }
        assertTrue(damaged > 0, "400 messages should need branch pages in both trees");
        Files.write(file, data.array());
        final CorruptStoreException e =
            assertThrows(CorruptStoreException.class, () -> new LmdbStoreProvider().open(dir, config()).close());
        assertTrue(e.getMessage().contains("routes lookups to the wrong leaf"), e.getMessage());
    }

    @Test
    void anIntactStoreWithManyLeavesOpensAndFindsEveryMessage() throws IOException
    {
        final Path dir = tmp.resolve("intact");
        try (StreamStore s = new LmdbStoreProvider().open(dir, config()))
        {
            for (int i = 0; i < 3000; i++)
            {
                s.append("b." + (i % 10), null, new byte[100]);
            }
            for (long seq = 1; seq <= 3000; seq += 3)
            {
                s.remove(seq);
            }
        }
        try (StreamStore s = new LmdbStoreProvider().open(dir, config()))
        {
            assertEquals(2000, s.state().msgs());
            int found = 0;
            for (long seq = 1; seq <= 3000; seq++)
            {
                if (s.load(seq) != null)
                {
                    found++;
                }
            }
            assertEquals(2000, found);
        }
    }
}
