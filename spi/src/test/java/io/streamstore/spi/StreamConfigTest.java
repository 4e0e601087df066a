package io.streamstore.spi;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamConfigTest
{
    @Test
    void defaultsAreLimitsNoLimitsDiscardOldAndSyncAlways()
    {
        final StreamConfig c = StreamConfig.builder("orders").build();
        assertEquals("orders", c.name());
        assertEquals(Retention.LIMITS, c.retention());
        assertEquals(0, c.maxMsgs());
        assertEquals(0, c.maxBytes());
        assertEquals(Duration.ZERO, c.maxAge());
        assertEquals(0, c.maxMsgsPerSubject());
        assertEquals(0, c.maxMsgSize());
        assertEquals(Discard.OLD, c.discard());
        assertFalse(c.discardNewPerSubject());
        assertEquals(SyncPolicy.always(), c.sync());
        assertTrue(c.options().isEmpty());
    }

    @Test
    void everySetterIsKept()
    {
        final StreamConfig c = StreamConfig.builder("wq")
            .retention(Retention.WORK_QUEUE).maxMsgs(10).maxBytes(1000).maxAge(Duration.ofSeconds(5))
            .maxMsgsPerSubject(1).maxMsgSize(100).discard(Discard.NEW).discardNewPerSubject(true)
            .sync(SyncPolicy.never()).option("file.block-size", "65536").build();
        assertEquals(Retention.WORK_QUEUE, c.retention());
        assertEquals(10, c.maxMsgs());
        assertEquals(1000, c.maxBytes());
        assertEquals(Duration.ofSeconds(5), c.maxAge());
        assertEquals(1, c.maxMsgsPerSubject());
        assertEquals(100, c.maxMsgSize());
        assertEquals(Discard.NEW, c.discard());
        assertTrue(c.discardNewPerSubject());
        assertEquals(SyncPolicy.never(), c.sync());
        assertEquals("65536", c.options().get("file.block-size"));
        assertEquals(c, c.toBuilder().build());
    }

    @Test
    void optionsAreUnmodifiable()
    {
        final StreamConfig c = StreamConfig.builder("s").option("k", "v").build();
        assertThrows(UnsupportedOperationException.class, () -> c.options().put("x", "y"));
    }

    @Test
    void negativeLimitsAreRejectedNamingTheField()
    {
        assertMessageStartsWith("maxMsgs", () -> StreamConfig.builder("s").maxMsgs(-1).build());
        assertMessageStartsWith("maxBytes", () -> StreamConfig.builder("s").maxBytes(-1).build());
        assertMessageStartsWith("maxMsgsPerSubject", () -> StreamConfig.builder("s").maxMsgsPerSubject(-1).build());
        assertMessageStartsWith("maxMsgSize", () -> StreamConfig.builder("s").maxMsgSize(-1).build());
        assertMessageStartsWith("maxAge", () -> StreamConfig.builder("s").maxAge(Duration.ofSeconds(-1)).build());
    }

    @Test
    void nullFieldsAreRejectedNamingTheField()
    {
        assertMessageStartsWith("retention", () -> StreamConfig.builder("s").retention(null).build());
        assertMessageStartsWith("maxAge", () -> StreamConfig.builder("s").maxAge(null).build());
        assertMessageStartsWith("discard", () -> StreamConfig.builder("s").discard(null).build());
        assertMessageStartsWith("sync", () -> StreamConfig.builder("s").sync(null).build());
    }

    @Test
    void badNamesAreRejected()
    {
        assertMessageStartsWith("name", () -> StreamConfig.builder(null).build());
        assertMessageStartsWith("name", () -> StreamConfig.builder(" ").build());
        assertMessageStartsWith("name", () -> StreamConfig.builder("a.b").build());
        assertMessageStartsWith("name", () -> StreamConfig.builder("a/b").build());
        assertMessageStartsWith("name", () -> StreamConfig.builder("a b").build());
        assertMessageStartsWith("name", () -> StreamConfig.builder("x".repeat(256)).build());
    }

    @Test
    void discardNewPerSubjectNeedsDiscardNew()
    {
        assertMessageStartsWith("discardNewPerSubject",
            () -> StreamConfig.builder("s").maxMsgsPerSubject(1).discardNewPerSubject(true).build());
    }

    @Test
    void discardNewPerSubjectNeedsAPerSubjectLimit()
    {
        assertMessageStartsWith("discardNewPerSubject",
            () -> StreamConfig.builder("s").discard(Discard.NEW).discardNewPerSubject(true).build());
    }

    @Test
    void badOptionKeysAndValuesAreRejectedAtTheSetter()
    {
        assertMessageStartsWith("option key", () -> StreamConfig.builder("s").option(" ", "v"));
        assertMessageStartsWith("option k", () -> StreamConfig.builder("s").option("k", null));
    }

    @Test
    void longOptionParsesChecksRangeAndNamesTheKey()
    {
        final StreamConfig c = StreamConfig.builder("s")
            .option("a", "65_536").option("b", "12x").option("c", "10").build();
        assertEquals(65536, c.longOption("a", 1, 0, 100_000));
        assertEquals(7, c.longOption("missing", 7, 0, 10));
        assertMessageStartsWith("option b", () -> c.longOption("b", 1, 0, 100));
        assertMessageStartsWith("option c", () -> c.longOption("c", 1, 11, 100));
    }

    @Test
    void syncPolicyEveryNeedsAPositiveInterval()
    {
        assertEquals(SyncPolicy.Kind.EVERY, SyncPolicy.every(Duration.ofMillis(10)).kind());
        assertEquals(Duration.ofMillis(10), SyncPolicy.every(Duration.ofMillis(10)).interval());
        assertMessageStartsWith("interval", () -> SyncPolicy.every(Duration.ZERO));
        assertMessageStartsWith("interval", () -> SyncPolicy.every(Duration.ofMillis(-1)));
        assertMessageStartsWith("interval", () -> SyncPolicy.every(null));
        assertEquals("every(PT0.01S)", SyncPolicy.every(Duration.ofMillis(10)).toString());
        assertEquals("always()", SyncPolicy.always().toString());
    }

    private static void assertMessageStartsWith(final String prefix, final org.junit.jupiter.api.function.Executable call)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(prefix), () -> "expected a message starting with '" + prefix + "': " + e.getMessage());
    }
}
