package io.streamstore.bench;

import io.streamstore.spi.SyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest
{
    @TempDir
    Path temp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args)
    {
        return Main.execute(new BenchCommand(), args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void unknownFlagGetsAUsageMessageNamingTheFlagAndExitCode2()
    {
        final int code = run("--bogus-flag");

        assertEquals(2, code);
        assertTrue(err.toString().contains("--bogus-flag"), err.toString());
        assertTrue(err.toString().contains("Usage: streamstore-bench"), err.toString());
    }

    @Test
    void nonNumericValueNamesTheOption()
    {
        final int code = run("--messages", "lots");

        assertNotEquals(0, code);
        assertTrue(err.toString().contains("--messages"), err.toString());
        assertTrue(err.toString().contains("lots"), err.toString());
    }

    @Test
    void badSyncPolicyNamesTheOptionAndTheAcceptedForms()
    {
        final int code = run("--sync", "sometimes");

        assertEquals(2, code);
        assertTrue(err.toString().contains("--sync"), err.toString());
        assertTrue(err.toString().contains("every:10ms"), err.toString());
    }

    @Test
    void outOfRangeValueNamesTheOption()
    {
        final int code = run("--payload", "-1", "--results", temp.toString());

        assertEquals(2, code);
        assertTrue(err.toString().contains("--payload must not be negative"), err.toString());
    }

    @Test
    void blockSizeOutsideTheFileBackendsRangeIsRefused()
    {
        final int code = run("--block-size", "1024", "--results", temp.toString());

        assertEquals(2, code);
        assertTrue(err.toString().contains("--block-size"), err.toString());
    }

    @Test
    void unknownWorkloadIsNamedWithTheChoices()
    {
        final int code = run("nosuchworkload", "--results", temp.toString());

        assertEquals(2, code);
        assertTrue(err.toString().contains("nosuchworkload"), err.toString());
        assertTrue(err.toString().contains("remove-random"), err.toString());
    }

    @Test
    void unknownBackendIsNamedWithTheBackendsPresent()
    {
        final int code = run("--backends", "nosuchstore", "--results", temp.toString());

        assertEquals(2, code);
        assertTrue(err.toString().contains("--backends"), err.toString());
        assertTrue(err.toString().contains("nosuchstore"), err.toString());
        assertTrue(err.toString().contains("memory"), err.toString());
    }

    @Test
    void helpPrintsUsageAndExitsZero()
    {
        final int code = run("--help");

        assertEquals(0, code);
        assertTrue(out.toString().contains("--backends"), out.toString());
        assertTrue(out.toString().contains("--iterations"), out.toString());
    }

    @Test
    void brokenBackendSaysWhetherTheKitIsOnTheClassPath()
    {
        if (Backends.brokenAvailable())
        {
            final Backend broken = Backends.resolve("broken-overcompaction:memory");
            assertEquals("broken-overcompaction:memory", broken.name());
        }
        else
        {
            final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Backends.resolve("broken-overcompaction"));
            assertTrue(e.getMessage().contains("not on the class path"), e.getMessage());
            assertTrue(e.getMessage().contains(Backends.BROKEN_PROVIDERS_CLASS), e.getMessage());
        }
    }

    @Test
    void aBrokenBackendRunsWhenTheKitIsPresentAndIsExplainedWhenNot()
    {
        final int code = run("--backends", "broken-overcompaction:memory", "--messages", "100", "--iterations", "200",
            "--warmup", "0", "--results", temp.resolve("results").toString(), "--work-dir", temp.toString(),
            "--progress", "off");

        if (Backends.brokenAvailable())
        {
            assertEquals(0, code, err.toString());
            assertTrue(out.toString().contains("broken-overcompaction:memory"), out.toString());
        }
        else
        {
            assertEquals(2, code);
            assertTrue(err.toString().contains("not on the class path"), err.toString());
            assertTrue(err.toString().contains("nothing to run"), err.toString());
        }
    }

    @Test
    void syncPolicyConverterReadsTheThreeForms()
    {
        final SyncPolicyConverter converter = new SyncPolicyConverter();

        assertEquals(SyncPolicy.never(), converter.convert("never"));
        assertEquals(SyncPolicy.always(), converter.convert("ALWAYS"));
        assertEquals(SyncPolicy.every(Duration.ofMillis(10)), converter.convert("every:10ms"));
        assertEquals(SyncPolicy.every(Duration.ofSeconds(2)), converter.convert("every:2s"));
        assertEquals("every:10ms", SyncPolicyConverter.describe(SyncPolicy.every(Duration.ofMillis(10))));
        assertEquals("every:500us", SyncPolicyConverter.describe(SyncPolicy.every(Duration.ofNanos(500_000))));
    }

    @Test
    void zeroIntervalIsNotASyncPolicy()
    {
        final SyncPolicyConverter converter = new SyncPolicyConverter();

        assertThrows(picocli.CommandLine.TypeConversionException.class, () -> converter.convert("every:0ms"));
    }
}
