package io.streamstore.lmdbstore;

import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of a JVM appending under {@code always} from four threads (so group commits are in flight):
 * every sequence an append returned must read back exactly after the kill, and the next append continues
 * after every one of them; the same with kills landing inside compactions. {@code -Dlmdbstore.kills=N} and
 * {@code -Dlmdbstore.compactionKills=N} change the number of kills (defaults 20 and 5).
 */
class KillDuringAppendsTest
{
    private static final int KILLS = Integer.getInteger("lmdbstore.kills", 20);
    private static final int COMPACTION_KILLS = Integer.getInteger("lmdbstore.compactionKills", 5);

    private record Acked(long seq, int round, int thread, long counter)
    {
    }

    @TempDir
    Path tmp;

    @Test
    void everyAppendThatReturnedUnderAlwaysSurvivesKillDashNine() throws Exception
    {
        killRounds("append", 4, KILLS);
    }

    @Test
    void aKillDuringCompactionLosesNothing() throws Exception
    {
        killRounds("append-compact", 1, COMPACTION_KILLS);
    }

    private void killRounds(final String mode, final int threads, final int kills) throws Exception
    {
        final Path dir = tmp.resolve(mode);
        final Random random = new Random(Long.getLong("streamstore.seed", 7L));
        final List<Acked> acked = new ArrayList<>();
        long highest = 0;
        for (int round = 0; round < kills; round++)
        {
            final Process child = ChildJvm.start(tmp.resolve("child-stderr.txt"), LmdbChild.class,
                mode, dir.toString(), Integer.toString(round), Integer.toString(threads));
            final List<String> lines = new ArrayList<>();
            final Thread reader = new Thread(() -> drain(child, lines));
            reader.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (count(lines) < 20 && System.nanoTime() < deadline && child.isAlive())
            {
                Thread.sleep(5);
            }
            final int r = round;
            assertTrue(child.isAlive(), () -> "the appender died by itself in round " + r + "; see child-stderr.txt");
            Thread.sleep(random.nextInt(150));
            // SIGKILL through the handle: Process.destroyForcibly() would also close our end of the pipe and
            // lose the last lines the child flushed, the appends acknowledged just before the kill
            child.toHandle().destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            reader.join();
            synchronized (lines)
            {
                for (final String line : lines)
                {
                    final String[] f = line.split(" ");
                    if (f.length == 3)
                    {
                        final Acked a = new Acked(Long.parseLong(f[0]), round, Integer.parseInt(f[1]), Long.parseLong(f[2]));
                        acked.add(a);
                        highest = Math.max(highest, a.seq);
                    }
                }
            }
            try (StreamStore store = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.always())))
            {
                assertTrue(!java.nio.file.Files.exists(dir.resolve(LmdbStore.COMPACT_FILE)),
                    "a compaction copy left by the kill is discarded at open");
                assertTrue(store.state().lastSeq() >= highest, "round " + round + ": lastSeq " +
                    store.state().lastSeq() + " is below the acknowledged " + highest);
                for (final Acked a : acked)
                {
                    final StoredMessage m = store.load(a.seq);
                    assertNotNull(m, "round " + round + ": acknowledged sequence " + a.seq + " is gone");
                    assertEquals("k." + a.thread, m.subject(), "subject of " + a.seq);
                    assertArrayEquals(LmdbChild.appendPayload(a.round, a.thread, a.counter), m.payload(),
                        "payload of " + a.seq);
                }
                final long next = store.append("after.kill", null, new byte[]{1});
                assertEquals(store.state().lastSeq(), next);
                assertTrue(next > highest);
                store.remove(next);
            }
        }
        assertTrue(acked.size() >= kills * 20, "the appenders acknowledged " + acked.size() + " appends");
    }

    private static int count(final List<String> lines)
    {
        synchronized (lines)
        {
            return lines.size();
        }
    }

    /** Keeps whole lines only: a line the kill cut short was never fully acknowledged. */
    private static void drain(final Process child, final List<String> lines)
    {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII)))
        {
            final StringBuilder current = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0)
            {
                if (c == '\n')
                {
                    synchronized (lines)
                    {
                        lines.add(current.toString());
                    }
                    current.setLength(0);
                }
                else
                {
                    current.append((char)c);
                }
            }
        }
        catch (final java.io.IOException ignore)
        {
            // the pipe breaks when the child is killed
        }
    }
}
