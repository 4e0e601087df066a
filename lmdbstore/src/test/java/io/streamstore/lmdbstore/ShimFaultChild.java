package io.streamstore.lmdbstore;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import io.streamstore.conformance.reliability.IoFaults;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/**
 * The child JVM of {@link LmdbStoreFaultInjectionTest}, started with the I/O fault shim preloaded: runs the kit's
 * {@code fault_01} of {@link LmdbStoreReliabilityTest} (whose provider is {@link ShimFaultProvider} here, because
 * {@value #CHILD_PROPERTY} is set) and the {@link ShimFaultRules} through the JUnit Platform launcher and reports on
 * stdout:
 * <pre>
 * shim-child: selftest ok|FAILED &lt;what&gt;                                    (before the rule)
 * shim-child: result SUCCESSFUL|FAILED|ABORTED &lt;test&gt; [&lt;throwable&gt;]   (one per test that ran)
 * shim-child: summary found=F started=S succeeded=K failed=X aborted=A skipped=P calls=C
 * </pre>
 * plus the test's own lines ({@code [reliability] faults lmdb: ...}). Failures' stack traces go to stderr.
 * Exit status 0 when the launcher ran, 3 when the shim is not active in this JVM, 4 when its self-test failed:
 * a shim that counted calls but let them through would leave the rule nothing to catch, so it must first fail a
 * Java write and an LMDB commit under an armed directory, and pass them once disarmed.
 */
public final class ShimFaultChild
{
    /** Set (true) in the child JVM only: {@link LmdbStoreReliabilityTest} then tests the store through the shim. */
    static final String CHILD_PROPERTY = "lmdbstore.shim.child";
    static final String FAULT_RULE = "fault_01_ioErrorAtEveryCallIndexIsStickyAndKeepsAcknowledged";
    static final String PREFIX = "shim-child: ";

    private ShimFaultChild()
    {
    }

    static boolean inChild()
    {
        return Boolean.getBoolean(CHILD_PROPERTY);
    }

    public static void main(final String[] args)
    {
        if (!inChild() || !IoShim.available())
        {
            System.out.println(PREFIX + "unavailable " + (inChild() ? IoShim.unavailableReason() :
                "-D" + CHILD_PROPERTY + "=true is not set"));
            System.out.flush();
            System.exit(3);
        }
        final String selfTest = selfTest();
        System.out.println(PREFIX + "selftest " + selfTest);
        if (!selfTest.startsWith("ok"))
        {
            System.out.flush();
            System.exit(4);
        }
        final LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
            .selectors(selectMethod(LmdbStoreReliabilityTest.class, FAULT_RULE, "org.junit.jupiter.api.TestInfo"),
                selectClass(ShimFaultRules.class))
            .build();
        final Launcher launcher = LauncherFactory.create();
        final SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary, new TestExecutionListener()
        {
            @Override
            public void executionFinished(final TestIdentifier test, final TestExecutionResult result)
            {
                if (test.isTest())
                {
                    System.out.println(PREFIX + "result " + result.getStatus() + " " + test.getDisplayName() +
                        result.getThrowable().map(t -> " " + oneLine(t.toString())).orElse(""));
                }
            }

            @Override
            public void executionSkipped(final TestIdentifier test, final String reason)
            {
                System.out.println(PREFIX + "result SKIPPED " + test.getDisplayName() + " " + oneLine(reason));
            }
        });
        final TestExecutionSummary s = summary.getSummary();
        final PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        s.printFailuresTo(err, 40);
        err.flush();
        System.out.println(PREFIX + "summary found=" + s.getTestsFoundCount() + " started=" + s.getTestsStartedCount() +
            " succeeded=" + s.getTestsSucceededCount() + " failed=" + s.getTestsFailedCount() + " aborted=" +
            s.getTestsAbortedCount() + " skipped=" + s.getTestsSkippedCount() + " calls=" + IoShim.callsSeen());
        System.out.flush();
        System.exit(0);
    }

    /** "ok ..." when an armed shim fails a Java write with ENOSPC and an LMDB commit with EIO, else what went wrong. */
    static String selfTest()
    {
        try
        {
            final Path dir = Files.createTempDirectory("shim-selftest");
            final Path file = dir.resolve("probe");
            Files.write(file, new byte[]{0});
            final String java;
            IoShim.arm(dir, new IoFaults(1, true, IoFaults.Kind.NO_SPACE));
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
            {
                channel.write(ByteBuffer.wrap(new byte[]{1}), 0);
                return "FAILED: a Java write under the armed directory went through";
            }
            catch (final IOException e)
            {
                if (!String.valueOf(e.getMessage()).contains("No space left on device"))
                {
                    return "FAILED: a Java write under the armed directory failed with " + e + ", not ENOSPC";
                }
                java = e.getMessage();
            }
            finally
            {
                IoShim.disarm();
            }
            final String lmdb;
            try (Env<DirectBuffer> env = probeEnv(dir.resolve("probe.mdb")))
            {
                final Dbi<DirectBuffer> db = env.openDbi("probe", DbiFlags.MDB_CREATE);
                IoShim.arm(dir, new IoFaults(1, true, IoFaults.Kind.IO_ERROR));
                try (Txn<DirectBuffer> txn = env.txnWrite())
                {
                    db.put(txn, probeBuffer(1), probeBuffer(2));
                    txn.commit();
                    return "FAILED: an LMDB commit under the armed directory went through";
                }
                catch (final LmdbException e)
                {
                    if (!String.valueOf(e.getMessage()).contains("EIO"))
                    {
                        return "FAILED: an LMDB commit under the armed directory failed with " + e + ", not EIO";
                    }
                    lmdb = e.getMessage();
                }
                finally
                {
                    IoShim.disarm();
                }
            }
            // disarmed, the same calls go through
            Files.write(file, new byte[]{2});
            try (Env<DirectBuffer> env = probeEnv(dir.resolve("probe2.mdb")))
            {
                final Dbi<DirectBuffer> db = env.openDbi("probe", DbiFlags.MDB_CREATE);
                try (Txn<DirectBuffer> txn = env.txnWrite())
                {
                    db.put(txn, probeBuffer(1), probeBuffer(2));
                    txn.commit();
                }
            }
            return "ok (java: " + oneLine(java) + "; lmdb: " + oneLine(lmdb) + ")";
        }
        catch (final IOException | RuntimeException e)
        {
            IoShim.disarm();
            return "FAILED: " + e;
        }
    }

    private static Env<DirectBuffer> probeEnv(final Path file)
    {
        return Env.create(DirectBufferProxy.PROXY_DB).setMapSize(1 << 20).setMaxDbs(1)
            .open(file.toFile(), EnvFlags.MDB_NOSUBDIR, EnvFlags.MDB_NOLOCK);
    }

    private static DirectBuffer probeBuffer(final long value)
    {
        final UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(8));
        b.putLong(0, value);
        return b;
    }

    private static String oneLine(final String text)
    {
        final String s = String.valueOf(text).replace('\n', ' ').replace('\r', ' ');
        return s.length() <= 2000 ? s : s.substring(0, 2000) + "...";
    }
}
