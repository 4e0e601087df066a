package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamStoreProvider;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * The child JVM that judges damaged stores for a backend that may crash the JVM on corrupt files (LMDB's
 * native code): reads one mutation per line on stdin, runs {@link CorruptionCase#run} and prints one
 * outcome line ({@code R <outcome>}), so that the parent knows which case a crash belongs to. Other lines on
 * stdout (a JVM's crash banner) are not results.
 *
 * <p>Arguments: provider spec, backend options ({@code -;k=v;…}), seed, pristine directory, work directory.
 */
public final class CaseWorker
{
    private CaseWorker()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final StreamStoreProvider provider = Workload.resolve(args[0]);
        final Map<String, String> options = Workload.decodeOptions(args[1]);
        final long seed = Long.parseLong(args[2]);
        final Path pristine = Path.of(args[3]);
        final Path work = Path.of(args[4]);
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        CrashWorker.line("READY");
        String mutation;
        while ((mutation = in.readLine()) != null && !mutation.isEmpty())
        {
            CrashWorker.line("R " + CorruptionCase.run(provider, pristine, work, options, seed, mutation).line());
        }
        Runtime.getRuntime().halt(0);
    }
}
