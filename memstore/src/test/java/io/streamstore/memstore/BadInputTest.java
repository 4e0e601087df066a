package io.streamstore.memstore;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad arguments: IllegalArgumentException naming the argument, and nothing changes. */
class BadInputTest
{
    private StreamStore store;
    private StreamState before;

    @BeforeEach
    void open()
    {
        store = new MemoryStoreProvider().open(null, StreamConfig.builder("bad").build());
        store.append("a.b", new byte[3]);
        store.append("a.c", new byte[3]);
        store.remove(1);
        before = store.state();
    }

    @AfterEach
    void close()
    {
        assertEquals(before, store.state(), "a refused call changed the store");
        assertEquals(3, store.append("a.b", new byte[1]), "a refused call used up a sequence");
        store.close();
    }

    private static void assertNames(final String argument, final Executable call)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(argument), "message '" + e.getMessage() + "' does not name " + argument);
    }

    @Test
    void appendRefusesBadSubjects()
    {
        for (final String subject : new String[]{null, "", "a..b", ".a", "a.", "a b", "a.*", "a.>", "a\tb", "a/b", "a\u0000b"})
        {
            assertNames("subject", () -> store.append(subject, new byte[1]));
        }
        assertNames("subject", () -> store.append("x".repeat(481), new byte[1]));
    }

    @Test
    void appendRefusesANullPayload()
    {
        assertNames("payload", () -> store.append("a", null, null));
    }

    @Test
    void sequenceArgumentsMustBePositive()
    {
        assertNames("seq", () -> store.load(0));
        assertNames("seq", () -> store.remove(-1));
        assertNames("fromSeq", () -> store.loadNext(">", 0));
    }

    @Test
    void readsRefuseBadFiltersAndSubjects()
    {
        assertNames("filter", () -> store.loadNext(null, 1));
        assertNames("filter", () -> store.loadNext("a.>.b", 1));
        assertNames("filter", () -> store.loadNext("a.b*", 1));
        assertNames("subject", () -> store.loadLast("a.*"));
        assertNames("subject", () -> store.loadLast(null));
        assertNames("subject", () -> store.subjectState("a.>"));
        assertNames("subject", () -> store.subjectState(""));
    }

    @Test
    void addListenerRefusesNull()
    {
        assertNames("listener", () -> store.addListener(null));
    }

    @Test
    void providerRefusesANullConfig()
    {
        assertNames("config", () -> new MemoryStoreProvider().open(null, null));
    }
}
