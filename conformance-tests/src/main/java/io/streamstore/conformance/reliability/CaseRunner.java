package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamStoreProvider;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs corruption cases one at a time with a timeout, in this JVM or, for a backend that may crash on
 * corrupt files, in a {@link CaseWorker} child JVM (restarted after a crash, which is reported as such).
 */
abstract class CaseRunner implements AutoCloseable
{
    final StreamStoreProvider provider;
    final Path pristine;
    final Path work;
    final Map<String, String> options;
    final long seed;
    final long timeoutSeconds;

    CaseRunner(final StreamStoreProvider provider, final Path pristine, final Path work,
        final Map<String, String> options, final long seed, final long timeoutSeconds)
    {
        this.provider = provider;
        this.pristine = pristine;
        this.work = work;
        this.options = options;
        this.seed = seed;
        this.timeoutSeconds = timeoutSeconds;
    }

    abstract CorruptionCase.Outcome run(String mutation) throws Exception;

    @Override
    public abstract void close() throws IOException;

    static CaseRunner create(final boolean child, final StreamStoreProvider provider, final String spec,
        final Path pristine, final Path work, final Map<String, String> options, final long seed, final long timeout)
    {
        return child ? new InChild(provider, spec, pristine, work, options, seed, timeout) :
            new InProcess(provider, pristine, work, options, seed, timeout);
    }

    /** Cases run on a daemon thread of this JVM; a case that outlives the timeout is a HANG. */
    static final class InProcess extends CaseRunner
    {
        private ExecutorService executor = newExecutor();

        InProcess(final StreamStoreProvider provider, final Path pristine, final Path work,
            final Map<String, String> options, final long seed, final long timeout)
        {
            super(provider, pristine, work, options, seed, timeout);
        }

        private static ExecutorService newExecutor()
        {
            return Executors.newSingleThreadExecutor(r ->
            {
                final Thread t = new Thread(r, "reliability-case");
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        CorruptionCase.Outcome run(final String mutation) throws Exception
        {
            final Future<CorruptionCase.Outcome> f =
                executor.submit(() -> CorruptionCase.run(provider, pristine, work, options, seed, mutation));
            try
            {
                return f.get(timeoutSeconds, TimeUnit.SECONDS);
            }
            catch (final TimeoutException e)
            {
                f.cancel(true);
                executor.shutdownNow();
                executor = newExecutor();
                return CorruptionCase.Outcome.violation(Violation.Kind.HANG, 0,
                    "open or reads did not finish within " + timeoutSeconds + " s");
            }
        }

        @Override
        public void close()
        {
            executor.shutdownNow();
        }
    }

    /** Cases run in a child JVM; a child that dies mid-case is a CRASH of that case. */
    static final class InChild extends CaseRunner
    {
        private final String spec;
        private Process process;
        private OutputStream toChild;
        private BlockingQueue<String> fromChild;
        private int started;

        InChild(final StreamStoreProvider provider, final String spec, final Path pristine, final Path work,
            final Map<String, String> options, final long seed, final long timeout)
        {
            super(provider, pristine, work, options, seed, timeout);
            this.spec = spec;
        }

        private void start() throws Exception
        {
            final Path stderr = work.resolveSibling(work.getFileName() + "-child-" + started++ + ".err");
            process = ChildJvm.start(ChildJvm.command(CaseWorker.class, List.of(spec, Workload.encodeOptions(options),
                Long.toString(seed), pristine.toString(), work.toString())), stderr);
            toChild = process.getOutputStream();
            fromChild = new LinkedBlockingQueue<>();
            final BlockingQueue<String> q = fromChild;
            final BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.US_ASCII));
            final Thread reader = new Thread(() ->
            {
                try
                {
                    String line;
                    while ((line = in.readLine()) != null)
                    {
                        q.add(line);
                    }
                }
                catch (final IOException ignore)
                {
                    // the child is gone
                }
                q.add("");
            }, "case-child-reader");
            reader.setDaemon(true);
            reader.start();
            final String ready = fromChild.poll(120, TimeUnit.SECONDS);
            if (!"READY".equals(ready))
            {
                throw new AssertionError("case worker did not start: " + ChildJvm.tail(stderr, 3000));
            }
        }

        @Override
        CorruptionCase.Outcome run(final String mutation) throws Exception
        {
            if (process == null || !process.isAlive())
            {
                start();
            }
            toChild.write((mutation + "\n").getBytes(StandardCharsets.UTF_8));
            toChild.flush();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            String line;
            do
            {
                // Lines other than results (a JVM crash banner) are skipped; the end of the stream is "".
                line = fromChild.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            while (line != null && !line.isEmpty() && !line.startsWith("R "));
            if (line == null)
            {
                process.toHandle().destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
                process = null;
                return CorruptionCase.Outcome.violation(Violation.Kind.HANG, 0,
                    "open or reads did not finish within " + timeoutSeconds + " s");
            }
            if (line.isEmpty())
            {
                process.waitFor(30, TimeUnit.SECONDS);
                final int exit = process.exitValue();
                process = null;
                return CorruptionCase.Outcome.violation(Violation.Kind.CRASH, 0, "the JVM died (exit " + exit + ")");
            }
            return CorruptionCase.Outcome.parse(line.substring(2));
        }

        @Override
        public void close() throws IOException
        {
            if (process != null)
            {
                toChild.close();
                try
                {
                    ChildJvm.await(process, 30);
                }
                catch (final InterruptedException e)
                {
                    Thread.currentThread().interrupt();
                    process.toHandle().destroyForcibly();
                }
            }
        }
    }
}
