package io.streamstore.lmdbstore;

import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A flipped byte in {@code data.mdb} is caught by the records' CRC32C, never returned as data. The reads run
 * in a child JVM because LMDB may crash on a damaged B-tree: the parent accepts a reported
 * {@code CorruptStoreException} or a dead (or hung, then killed) child, and fails on any wrong answer.
 */
class ChecksumCorruptionTest
{
    private static final int MESSAGES = 200;

    @TempDir
    Path tmp;

    @Test
    void aFlippedPayloadByteIsReportedAsCorruptAndNeverReturnedAsData() throws Exception
    {
        final Path dir = createStore("targeted");
        final long victim = 77;
        final byte[] file = Files.readAllBytes(dir.resolve(LmdbStore.DATA_FILE));
        final int at = indexOf(file, LmdbChild.readPayload(victim));
        assertTrue(at >= 0, "the payload of " + victim + " is in the file as written");
        flip(dir, at + 150, 0x10);

        // A flip inside a value is invisible to LMDB, so the child must live and report exactly this record.
        final ChildResult result = readInChild(dir);
        assertEquals(List.of(), result.wrong, "wrong data was returned");
        assertEquals(List.of(victim), result.corrupt, "the damaged record is reported as corrupt: " + result);
        assertEquals(MESSAGES - 1, result.ok, "every other message still reads back: " + result);
        assertTrue(!result.died, "the child finished: " + result);
    }

    @Test
    void randomByteFlipsAnywhereInTheFileNeverReturnWrongData() throws Exception
    {
        final Random random = new Random(Long.getLong("streamstore.seed", 11L));
        final int trials = Integer.getInteger("lmdbstore.flipTrials", 4);
        for (int trial = 0; trial < trials; trial++)
        {
            final Path dir = createStore("random-" + trial);
            final long size = Files.size(dir.resolve(LmdbStore.DATA_FILE));
            for (int i = 0; i < 8; i++)
            {
                flip(dir, (long)(random.nextDouble() * size), 1 << random.nextInt(8));
            }
            final ChildResult result = readInChild(dir);
            System.out.println("flip trial " + trial + ": died=" + result.died + " ok=" + result.ok + " corrupt=" +
                result.corrupt.size() + " missing=" + result.missing.size() + " other=" + result.other);
            assertEquals(List.of(), result.wrong, "trial " + trial + ": wrong data was returned: " + result);
        }
    }

    private Path createStore(final String name) throws Exception
    {
        final Path dir = tmp.resolve(name);
        try (StreamStore store = new LmdbStoreProvider().open(dir, LmdbChild.config(SyncPolicy.never())))
        {
            for (long seq = 1; seq <= MESSAGES; seq++)
            {
                assertEquals(seq, store.append(LmdbChild.readSubject(seq), null, LmdbChild.readPayload(seq)));
            }
        }
        return dir;
    }

    private static void flip(final Path dir, final long offset, final int mask) throws Exception
    {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(LmdbStore.DATA_FILE).toFile(), "rw"))
        {
            f.seek(offset);
            final int b = f.read();
            f.seek(offset);
            f.write(b ^ mask);
        }
    }

    private static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private record ChildResult(boolean died, int ok, List<Long> corrupt, List<Long> wrong, List<Long> missing,
        List<String> other)
    {
    }

    private ChildResult readInChild(final Path dir) throws Exception
    {
        final Process child = ChildJvm.start(tmp.resolve("child-stderr.txt"), LmdbChild.class,
            "read", dir.toString(), Integer.toString(MESSAGES));
        final List<String> lines = new ArrayList<>();
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = in.readLine()) != null)
                {
                    synchronized (lines)
                    {
                        lines.add(line);
                    }
                }
            }
            catch (final java.io.IOException ignore)
            {
                // the child died
            }
        });
        reader.start();
        if (!child.waitFor(60, TimeUnit.SECONDS))
        {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        reader.join();
        int ok = 0;
        boolean done = false;
        final List<Long> corrupt = new ArrayList<>();
        final List<Long> wrong = new ArrayList<>();
        final List<Long> missing = new ArrayList<>();
        final List<String> other = new ArrayList<>();
        synchronized (lines)
        {
            for (final String line : lines)
            {
                final String[] f = line.split(" ", 2);
                switch (f[0])
                {
                    case "OK" -> ok++;
                    case "CORRUPT" -> corrupt.add(Long.parseLong(f[1]));
                    case "WRONG" -> wrong.add(Long.parseLong(f[1]));
                    case "MISSING" -> missing.add(Long.parseLong(f[1]));
                    case "DONE" -> done = true;
                    default -> other.add(line);
                }
            }
        }
        final boolean died = !done || child.exitValue() != 0;
        return new ChildResult(died, ok, corrupt, wrong, missing, other);
    }
}
