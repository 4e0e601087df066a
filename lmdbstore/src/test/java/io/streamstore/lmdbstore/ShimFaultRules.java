package io.streamstore.lmdbstore;

import io.streamstore.spi.StoreException;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The LMDB store under single, chosen I/O errors that the kit's {@code fault_01} hits only among hundreds of others:
 * each rule pins down one bug the shim found, so that it names itself if it comes back. They need the preloaded
 * {@link IoShim}, so they run in the child JVM of {@link LmdbStoreFaultInjectionTest} (tag {@value #TAG}, which the
 * module's surefire configuration excludes from its own run).
 */
@Tag(ShimFaultRules.TAG)
class ShimFaultRules
{
    static final String TAG = "shim-child";

    @TempDir
    Path tmp;

    @BeforeEach
    void needsTheShim()
    {
        assumeTrue(IoShim.available(), "runs in the child JVM of LmdbStoreFaultInjectionTest, with the I/O fault " +
            "shim preloaded: " + IoShim.unavailableReason());
    }

    /**
     * LMDB 0.9, when the meta page write of a commit fails, writes the page back with the failed transaction's trees
     * under the old txnid, which the store's meta page checks then took for a damaged txnid at every later open.
     */
    @Test
    void failedMetaPageWriteLeavesTheStoreOpenableWithEverythingAcknowledged() throws IOException
    {
        final Path dir = tmp.resolve("meta");
        final Path dataFile = dir.resolve(LmdbStore.DATA_FILE);
        final StreamStore store = open(dir);
        for (int i = 1; i <= 5; i++)
        {
            assertEquals(i, store.append("meta." + i, null, payload(i)));
        }
        // under always, a commit writes its pages, forces them, then writes the meta page (with O_DSYNC)
        final AtomicBoolean forced = new AtomicBoolean();
        final AtomicReference<String> failed = new AtomicReference<>();
        IoShim.arm(dir, (operation, file) ->
        {
            if (file.endsWith(LmdbStore.DATA_FILE) && failed.get() == null)
            {
                if (operation.equals("force"))
                {
                    forced.set(true);
                }
                else if (operation.equals("write") && forced.get())
                {
                    failed.set(operation + " " + file);
                    throw new IOException("Input/output error [injected at the meta page write]");
                }
            }
        });
        try
        {
            assertThrows(StoreException.class, () -> store.append("meta.6", null, payload(6)));
            assertNotNull(failed.get(), "the append's commit wrote no meta page after forcing " + dataFile);
            assertThrows(StoreException.class, () -> store.append("meta.7", null, payload(7)),
                "a store whose commit failed must refuse the next append");
        }
        finally
        {
            IoShim.disarm();
            closeQuietly(store);
        }
        try (StreamStore again = open(dir))
        {
            for (int i = 1; i <= 5; i++)
            {
                assertPayload(again, i);
            }
            assertTrue(again.append("meta.after", null, payload(8)) > 5, "sequences must continue after 5");
        }
    }

    /**
     * A compaction renames its copy over the data file and forces the directory; a failed force left the rename,
     * and every commit into the new file, without durability while the store carried on as if nothing happened.
     */
    @Test
    void failedDirectoryForceAfterCompactionIsStickyAndKeepsEverything() throws IOException
    {
        final Path dir = tmp.resolve("compact");
        final StreamStore store = open(dir);
        for (int i = 1; i <= 6; i++)
        {
            assertEquals(i, store.append("compact." + i, null, payload(i)));
        }
        assertTrue(store.remove(2));
        final Path real = dir.toRealPath();
        final AtomicReference<String> failed = new AtomicReference<>();
        IoShim.arm(dir, (operation, file) ->
        {
            if (operation.equals("force") && file.equals(real) && failed.get() == null)
            {
                failed.set(operation + " " + file);
                throw new IOException("Input/output error [injected at the directory force]");
            }
        });
        try
        {
            assertThrows(StoreException.class, store::compact,
                "compact() must fail when the directory could not be forced after the rename");
            assertNotNull(failed.get(), "the compaction forced no directory");
            assertThrows(StoreException.class, () -> store.append("compact.7", null, payload(7)),
                "a store whose compaction failed must refuse the next append");
        }
        finally
        {
            IoShim.disarm();
            closeQuietly(store);
        }
        try (StreamStore again = open(dir))
        {
            for (final int seq : new int[]{1, 3, 4, 5, 6})
            {
                assertPayload(again, seq);
            }
            assertNull(again.load(2), "removed before the compaction, back after reopen");
        }
    }

    /**
     * Under {@code never} the store commits without forcing and forces on {@code sync()} ({@code env.sync}), a path
     * the kit's {@code fault_01} (which runs under {@code always}) does not take: a failed force there must stop the
     * store too, and what earlier syncs made durable must survive.
     */
    @Test
    void failedForceOfSyncUnderSyncNeverIsStickyAndKeepsWhatEarlierSyncsCovered() throws IOException
    {
        final Path dir = tmp.resolve("never");
        final StreamStore store = open(dir, SyncPolicy.never());
        for (int i = 1; i <= 5; i++)
        {
            assertEquals(i, store.append("never." + i, null, payload(i)));
        }
        store.sync();
        assertEquals(6, store.append("never.6", null, payload(6)));
        final AtomicReference<String> failed = new AtomicReference<>();
        IoShim.arm(dir, (operation, file) ->
        {
            if (operation.equals("force") && file.endsWith(LmdbStore.DATA_FILE) && failed.get() == null)
            {
                failed.set(operation + " " + file);
                throw new IOException("Input/output error [injected at the force of sync()]");
            }
        });
        try
        {
            assertThrows(StoreException.class, store::sync, "sync() must fail when its force failed");
            assertNotNull(failed.get(), "sync() forced nothing");
            assertThrows(StoreException.class, () -> store.append("never.7", null, payload(7)),
                "a store whose force failed must refuse the next append");
            assertThrows(StoreException.class, store::sync, "a store whose force failed must not report a later " +
                "sync as durable");
        }
        finally
        {
            IoShim.disarm();
            closeQuietly(store);
        }
        try (StreamStore again = open(dir, SyncPolicy.never()))
        {
            for (int i = 1; i <= 5; i++)
            {
                assertPayload(again, i);
            }
            assertTrue(again.append("never.after", null, payload(8)) > 5, "sequences must continue after 5");
        }
    }

    private static StreamStore open(final Path dir) throws IOException
    {
        return open(dir, SyncPolicy.always());
    }

    private static StreamStore open(final Path dir, final SyncPolicy policy) throws IOException
    {
        return new LmdbStoreProvider().open(dir, StreamConfig.builder("faults").sync(policy).build());
    }

    private static byte[] payload(final long seq)
    {
        return ("payload-of-" + seq).getBytes(StandardCharsets.UTF_8);
    }

    private static void assertPayload(final StreamStore store, final long seq)
    {
        final StoredMessage m = store.load(seq);
        assertNotNull(m, "acknowledged sequence " + seq + " is missing after reopen");
        assertArrayEquals(payload(seq), m.payload(), "sequence " + seq + " reads back with other bytes");
    }

    private static void closeQuietly(final StreamStore store)
    {
        try
        {
            store.close();
        }
        catch (final StoreException ignore)
        {
            // a failed store may refuse to close cleanly
        }
    }
}
