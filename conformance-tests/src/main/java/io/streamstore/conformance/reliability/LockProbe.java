package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.SyncPolicy;

import java.nio.file.Path;

/**
 * A child JVM that tries to open a store, and prints {@code OPENED} or the class and message of what the open
 * threw: used where the open must fail for a reason only another process can arrange (the directory held open by
 * the parent, or seen through a read-only mount). Arguments: provider spec, backend options, directory.
 */
public final class LockProbe
{
    private LockProbe()
    {
    }

    public static void main(final String[] args)
    {
        final StreamStoreProvider provider = Workload.resolve(args[0]);
        try (StreamStore s = provider.open(Path.of(args[2]),
            Workload.config("kit", SyncPolicy.never(), Workload.decodeOptions(args[1]))))
        {
            CrashWorker.line("OPENED " + s.state());
        }
        catch (final Throwable e)
        {
            CrashWorker.line(e.getClass().getName() + " " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
        Runtime.getRuntime().halt(0);
    }
}
