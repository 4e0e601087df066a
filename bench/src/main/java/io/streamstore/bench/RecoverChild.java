package io.streamstore.bench;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SyncPolicy;

import java.nio.file.Path;

/**
 * The writer of {@code recover}'s SIGKILL variant, run in a child JVM: appends N messages, syncs, prints
 * {@code READY <lastSeq>}, appends {@link RecoverWorkload#UNSYNCED_TAIL} more without syncing, prints
 * {@code KILL-ME} and waits to be killed. It never closes the store.
 *
 * <p>Arguments: backend, directory, messages, payload bytes, subjects, then backend options as {@code key=value}.
 */
public final class RecoverChild
{
    private RecoverChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length < 5)
        {
            System.err.println("usage: RecoverChild <backend> <directory> <messages> <payload> <subjects> [key=value ...]");
            System.exit(2);
        }
        Logging.quiet();
        final Backend backend = Backends.resolve(args[0]);
        final Path dir = Path.of(args[1]);
        final long messages = Long.parseLong(args[2]);
        final Feed feed = new Feed("q", Integer.parseInt(args[4]), Integer.parseInt(args[3]));
        final StreamConfig.Builder builder = StreamConfig.builder("recover").sync(SyncPolicy.never());
        for (int i = 5; i < args.length; i++)
        {
            final int eq = args[i].indexOf('=');
            builder.option(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        @SuppressWarnings("resource") // never closed on purpose: the parent kills this JVM
        final StreamStore store = backend.open(dir, builder.build());
        for (long i = 0; i < messages; i++)
        {
            store.append(feed.subject(i), null, feed.payload());
            if ((i & 0xFFFF) == 0)
            {
                System.out.println("PROGRESS " + i);
            }
        }
        store.sync();
        System.out.println(RecoverWorkload.READY + " " + store.state().lastSeq());
        for (long i = 0; i < RecoverWorkload.UNSYNCED_TAIL; i++)
        {
            store.append(feed.subject(i), null, feed.payload());
        }
        System.out.println(RecoverWorkload.KILL_ME);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
