package io.streamstore.conformance.reliability;

import io.streamstore.spi.StoreException;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.SyncPolicy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of the full-disk test, run inside a private mount namespace on a small tmpfs: appends under
 * {@link SyncPolicy#always()} until the store refuses, checks that writes stay refused, closes, reopens (freeing
 * a 64 KiB filler file if the reopen itself needs room) and checks every acknowledged append. Prints
 * {@code A <seq>} per acknowledged append, {@code F <exception>} for the refusal, {@code V <kind> <detail>} per
 * violation, {@code N <figure> <value>} for figures and {@code DONE} at the end.
 *
 * <p>Arguments: provider spec, backend options, seed, mount directory.
 */
public final class FullDiskWorker
{
    private FullDiskWorker()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final StreamStoreProvider provider = Workload.resolve(args[0]);
        final var config = Workload.config("full", SyncPolicy.always(), Workload.decodeOptions(args[1]));
        final long seed = Long.parseLong(args[2]);
        final Path mount = Path.of(args[3]);
        final Path filler = mount.resolve("filler");
        Files.write(filler, new byte[64 * 1024]);
        final Path dir = mount.resolve("store");
        final List<Long> acked = new ArrayList<>();
        StreamStore s = provider.open(dir, config);
        Throwable refusal = null;
        for (long i = 1; i < 10_000_000 && refusal == null; i++)
        {
            final long expected = s.state().lastSeq() + 1;
            try
            {
                final long seq = s.append(Workload.subject(seed, expected), Workload.headers(seed, expected),
                    Workload.payload(seed, expected));
                acked.add(seq);
                CrashWorker.line("A " + seq);
            }
            catch (final Throwable e)
            {
                refusal = e;
            }
        }
        CrashWorker.line("F " + oneLine(refusal));
        if (!(refusal instanceof StoreException))
        {
            CrashWorker.line("V UNEXPECTED_ERROR a full disk must raise a StoreException, got " + oneLine(refusal));
        }
        for (int i = 0; i < 3; i++)
        {
            try
            {
                final long seq = s.append("rel.after", null, new byte[100]);
                CrashWorker.line("V NOT_STICKY append " + seq + " succeeded after the store refused a write");
            }
            catch (final StoreException expected)
            {
                CrashWorker.line("N refusedAfter 1");
            }
            catch (final Throwable e)
            {
                CrashWorker.line("V UNEXPECTED_ERROR a write after the refusal threw " + oneLine(e));
            }
        }
        try
        {
            s.close();
        }
        catch (final StoreException e)
        {
            CrashWorker.line("N closeRefused 1");
        }
        try
        {
            s = provider.open(dir, config);
        }
        catch (final StoreException e)
        {
            CrashWorker.line("N reopenNeededSpace 1");
            Files.delete(filler);
            s = provider.open(dir, config);
        }
        long checked = 0;
        for (final long seq : acked)
        {
            final StoredMessage m = s.load(seq);
            checked++;
            if (m == null)
            {
                CrashWorker.line("V LOST " + seq + " acknowledged before the disk filled, missing after reopen");
            }
            else if (Workload.mismatch(seed, m, false) != null)
            {
                CrashWorker.line("V CORRUPT " + seq + " " + Workload.mismatch(seed, m, false));
            }
        }
        CrashWorker.line("N checked " + checked);
        s.close();
        CrashWorker.line("DONE");
        Runtime.getRuntime().halt(0);
    }

    private static String oneLine(final Throwable e)
    {
        return e == null ? "none" : (e.getClass().getName() + ": " + e.getMessage()).replace('\n', ' ');
    }
}
