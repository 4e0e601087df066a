package io.streamstore.filestore;

import io.streamstore.spi.StoreLockedException;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.SyncPolicy;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Random;

/**
 * The child side of the multi-process tests.
 * <ul>
 *   <li>{@code hold <dir>}: opens the store, prints {@code READY}, holds it until stdin closes.</li>
 *   <li>{@code try <dir>}: tries to open the store, prints {@code LOCKED} or {@code OPENED}.</li>
 *   <li>{@code append <dir> <seed>}: under {@code always}, appends (and now and then removes the oldest
 *       or a random message, or compacts) forever,
 *       printing {@code A <seq>} after each append returns, {@code T <seq>} before a removal and
 *       {@code R <seq>} after it returned.</li>
 * </ul>
 */
public final class ChildMain
{
    private ChildMain()
    {
    }

    static StreamConfig killConfig()
    {
        return StreamConfig.builder("kill").sync(SyncPolicy.always()).option("file.block-size", "65536").build();
    }

    static int payloadSize(final long seq)
    {
        return (int)(seq * 7919 % 5) == 0 ? 3000 : (int)(seq % 200);
    }

    public static void main(final String[] args) throws Exception
    {
        final PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
        final Path dir = Path.of(args[1]);
        switch (args[0])
        {
            case "hold" ->
            {
                try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
                {
                    s.append("held", new byte[]{1});
                    out.println("READY");
                    while (System.in.read() >= 0)
                    {
                        Thread.onSpinWait();
                    }
                }
            }
            case "try" ->
            {
                try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
                {
                    out.println("OPENED " + s.state().msgs());
                }
                catch (final StoreLockedException e)
                {
                    out.println("LOCKED " + e.getMessage());
                }
            }
            case "append" ->
            {
                final Random random = new Random(Long.parseLong(args[2]));
                try (FileStore s = Fixtures.open(dir, killConfig()))
                {
                    out.println("READY " + s.state().lastSeq());
                    long oldest = s.state().firstSeq();
                    while (true)
                    {
                        final long expected = s.state().lastSeq() + 1;
                        final long seq = s.append("k." + (expected % 7), Fixtures.payload(expected, payloadSize(expected)));
                        out.println("A " + seq);
                        if (random.nextInt(4) == 0 && s.state().msgs() > 50)
                        {
                            oldest = Math.max(oldest, s.state().firstSeq());
                            final long victim = random.nextBoolean() ? oldest :
                                oldest + random.nextInt((int)Math.min(Integer.MAX_VALUE, seq - oldest + 1));
                            out.println("T " + victim);
                            if (s.remove(victim))
                            {
                                out.println("R " + victim);
                            }
                        }
                        if (random.nextInt(300) == 0)
                        {
                            s.compact();
                        }
                    }
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
