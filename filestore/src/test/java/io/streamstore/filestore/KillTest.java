package io.streamstore.filestore;

import io.streamstore.spi.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 at random moments: a child JVM appends (and removes) under {@code SyncPolicy.always()} and
 * prints each sequence once the call returned; the parent SIGKILLs it, reopens the directory and checks
 * that every printed append reads back with its exact payload and every printed removal stayed removed.
 * The next child continues on the same store. 30 kills by default, 2,000 with {@code -Psoak}.
 */
class KillTest
{
    @TempDir
    Path tmp;

    @Test
    void everyAcknowledgedAppendSurvivesKillNine() throws Exception
    {
        final boolean soak = Boolean.getBoolean("filestore.soak");
        final int kills = soak ? 2000 : 30;
        final long seed = Fixtures.seed();
        final Random random = new Random(seed);
        final Path dir = tmp.resolve("store");
        final Set<Long> acknowledged = new TreeSet<>();
        final Set<Long> removed = new HashSet<>();
        final Set<Long> removing = new HashSet<>();
        long highest = 0;
        for (int k = 0; k < kills; k++)
        {
            final ChildJvm child = ChildJvm.start("append", dir.toString(), Long.toString(random.nextLong()));
            child.await("READY", 120_000);
            Thread.sleep(20 + random.nextInt(300));
            child.kill();
            for (String line; (line = child.lines.poll()) != null; )
            {
                if (line.startsWith("A "))
                {
                    final long seq = Long.parseLong(line.substring(2).trim());
                    acknowledged.add(seq);
                    highest = Math.max(highest, seq);
                }
                else if (line.startsWith("T "))
                {
                    removing.add(Long.parseLong(line.substring(2).trim()));
                }
                else if (line.startsWith("R "))
                {
                    removed.add(Long.parseLong(line.substring(2).trim()));
                }
            }
            try (FileStore s = Fixtures.open(dir, ChildMain.killConfig()))
            {
                final String where = "after kill " + (k + 1) + " (seed " + seed + ")";
                assertTrue(s.state().lastSeq() >= highest, where + ": lastSeq " + s.state().lastSeq() +
                    " below acknowledged " + highest);
                for (final long seq : acknowledged)
                {
                    final StoredMessage m = s.load(seq);
                    if (removed.contains(seq))
                    {
                        assertNull(m, where + ": removed " + seq + " came back");
                    }
                    else if (m == null && removing.contains(seq))
                    {
                        removed.add(seq); // the removal in flight at the kill made it to disk
                    }
                    else
                    {
                        assertNotNull(m, where + ": acknowledged " + seq + " lost");
                        assertEquals("k." + (seq % 7), m.subject(), where);
                        assertArrayEquals(Fixtures.payload(seq, ChildMain.payloadSize(seq)), m.payload(),
                            where + ": payload of " + seq);
                    }
                }
            }
        }
        System.out.println(kills + " kills, " + acknowledged.size() + " acknowledged appends, " + removed.size() +
            " removals checked");
        assertTrue(acknowledged.size() > kills, "the children appended too little to test anything");
    }
}
