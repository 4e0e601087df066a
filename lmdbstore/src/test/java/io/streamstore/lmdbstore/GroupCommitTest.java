package io.streamstore.lmdbstore;

import io.streamstore.conformance.KitThreads;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Group commit under {@code SyncPolicy.always()}: writers that change the store at the same time share one durable
 * commit, a lone writer is never held back for company, and every change is durable when its call returns.
 */
class GroupCommitTest
{
    private static final int WRITERS = 16;

    @TempDir
    Path tmp;

    private static StreamStore open(final Path dir) throws IOException
    {
        return open(dir, LmdbStoreProvider.DEFAULT_SPIN_WAIT_MICROS);
    }

    /** Writers that park and queue at once (0) and writers that yield and try for the lock first (the default). */
    private static StreamStore open(final Path dir, final long spinMicros) throws IOException
    {
        return new LmdbStoreProvider().open(dir, StreamConfig.builder("g").sync(SyncPolicy.always())
            .option(LmdbStoreProvider.SPIN_WAIT_MICROS, String.valueOf(spinMicros)).build());
    }

    private static byte[] payload(final long salt)
    {
        final byte[] b = new byte[100];
        for (int i = 0; i < b.length; i++)
        {
            b[i] = (byte)(salt * 31 + i);
        }
        return b;
    }

    /** Runs {@code body(writer)} on {@code writers} threads started together; fails on the first failure. */
    private static void runWriters(final int writers, final KitThreads.Worker body)
    {
        KitThreads.runConcurrently("group-commit writers", writers, Duration.ofMinutes(1), body);
    }

    @ParameterizedTest(name = "spin-wait {0} us")
    @ValueSource(longs = {0, LmdbStoreProvider.DEFAULT_SPIN_WAIT_MICROS})
    void sixteenConcurrentWritersShareEachCommitAmongSeveralOfThem(final long spinMicros) throws Exception
    {
        final int each = 50;
        try (StreamStore s = open(tmp.resolve("shared"), spinMicros))
        {
            final long syncsBefore = s.stats().syncs();
            runWriters(WRITERS, id ->
            {
                for (int i = 0; i < each; i++)
                {
                    s.append("w." + id, null, payload(i));
                }
            });
            final long commits = s.stats().syncs() - syncsBefore;
            assertEquals(WRITERS * each, s.state().msgs());
            // the leader gathers as many writers as the last commit released: about 16 a commit when all keep
            // writing; 4 leaves room for a loaded machine on which writers come back late
            assertTrue(commits * 4 <= WRITERS * each, commits + " durable commits for " + WRITERS * each +
                " appends by " + WRITERS + " writers: the writers do not share commits");
        }
    }

    @Test
    void aSpinWaitOutOfRangeIsRefusedByNameBeforeAnythingIsCreated()
    {
        final Path dir = tmp.resolve("refused");
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(dir, 10_001));
        assertTrue(e.getMessage().contains(LmdbStoreProvider.SPIN_WAIT_MICROS), e.getMessage());
        assertTrue(!dir.toFile().exists(), "the directory was created for a refused configuration");
    }

    @Test
    void aWriterLeftAloneAfterOthersStoppedGetsACommitPerAppendAndEveryAppendSurvivesReopen() throws Exception
    {
        final Path dir = tmp.resolve("alone");
        final List<Long> alone = new ArrayList<>();
        try (StreamStore s = open(dir))
        {
            runWriters(WRITERS, id ->
            {
                for (int i = 0; i < 20; i++)
                {
                    s.append("w." + id, null, payload(i));
                }
            });
            final long syncsBefore = s.stats().syncs();
            for (int i = 0; i < 30; i++)
            {
                alone.add(s.append("alone", null, payload(i)));
            }
            assertEquals(30, s.stats().syncs() - syncsBefore, "each append of a lone writer is its own commit");
        }
        try (StreamStore reopened = open(dir))
        {
            assertEquals(WRITERS * 20 + 30, reopened.state().msgs());
            for (int i = 0; i < alone.size(); i++)
            {
                final StoredMessage m = reopened.load(alone.get(i));
                assertNotNull(m, "sequence " + alone.get(i) + " returned before close is gone after reopen");
                assertArrayEquals(payload(i), m.payload());
            }
        }
    }

    @Test
    void everyWriterReadsItsOwnAppendBackAsSoonAsTheCallReturns() throws Exception
    {
        try (StreamStore s = open(tmp.resolve("own")))
        {
            runWriters(WRITERS, id ->
            {
                for (int i = 0; i < 30; i++)
                {
                    final long seq = s.append("w." + id, null, payload(i));
                    final StoredMessage m = s.load(seq);
                    assertNotNull(m, "writer " + id + " cannot read its own sequence " + seq);
                    assertEquals("w." + id, m.subject());
                    assertEquals(seq, s.loadLast("w." + id).seq(), "loadLast of writer " + id);
                    assertTrue(s.state().lastSeq() >= seq, "state() lags behind a returned append");
                }
            });
            assertEquals(WRITERS * 30, s.state().msgs());
        }
    }

    @Test
    void interruptedWritersStillWaitForDurabilityAndKeepTheirInterruptStatus() throws Exception
    {
        final Path dir = tmp.resolve("interrupted");
        final ConcurrentLinkedQueue<Long> seqs = new ConcurrentLinkedQueue<>();
        try (StreamStore s = open(dir))
        {
            runWriters(8, id ->
            {
                for (int i = 0; i < 25; i++)
                {
                    Thread.currentThread().interrupt();
                    seqs.add(s.append("w." + id, null, payload(i)));
                    assertTrue(Thread.interrupted(), "append cleared the interrupt status of writer " + id);
                }
            });
        }
        try (StreamStore reopened = open(dir))
        {
            assertEquals(8 * 25, seqs.size());
            for (final long seq : seqs)
            {
                assertNotNull(reopened.load(seq), "sequence " + seq + " was returned but is gone after reopen");
            }
        }
    }

    @Test
    void republishingFromOnRemovedOnManyThreadsLandsEveryMessageDurably() throws Exception
    {
        final Path dir = tmp.resolve("ack");
        final int each = 20;
        final AtomicLong republished = new AtomicLong();
        try (StreamStore s = open(dir))
        {
            s.addListener(new StoreListener()
            {
                @Override
                public void onRemoved(final long seq, final String subject, final RemovalReason reason)
                {
                    // the ack-commit pattern: the next message on the subject is appended from the hook
                    s.append(subject, null, payload(seq));
                    republished.incrementAndGet();
                }
            });
            for (int id = 0; id < WRITERS; id++)
            {
                s.append("q." + id, null, payload(id));
            }
            runWriters(WRITERS, id ->
            {
                for (int i = 0; i < each; i++)
                {
                    final StoredMessage head = s.loadNext("q." + id, 1);
                    assertNotNull(head, "subject q." + id + " lost its message");
                    assertTrue(s.remove(head.seq()), "remove of " + head.seq());
                }
            });
            assertEquals(WRITERS * each, republished.get());
            assertEquals(WRITERS, s.state().msgs(), "one message per subject after every ack and republish");
        }
        try (StreamStore reopened = open(dir))
        {
            assertEquals(WRITERS, reopened.state().msgs());
            assertEquals(WRITERS + WRITERS * each, reopened.state().lastSeq());
        }
    }
}
