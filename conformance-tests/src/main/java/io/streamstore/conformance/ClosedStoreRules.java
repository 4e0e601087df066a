package io.streamstore.conformance;

import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StreamStore;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.streamstore.conformance.KitPayloads.payload;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The {@code cls_*} rules: closed store. {@link StreamStoreConformance} runs them as its nested class
 * {@code ClosedStore}; the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 */
abstract class ClosedStoreRules extends KitArea
{
    private StreamStore closed()
    {
        final StreamStore s = open();
        s.append("c", null, payload(3, 1));
        s.close();
        return s;
    }

    @Test
    void cls_01_closeIsIdempotent()
    {
        final StreamStore s = open();
        s.append("c", null, payload(3, 1));
        s.close();
        assertDoesNotThrow(s::close);
        assertDoesNotThrow(s::close);
    }

    @Test
    void cls_02_appendAfterCloseThrowsStoreClosed()
    {
        final StreamStore s = closed();
        assertThrows(StoreClosedException.class, () -> s.append("c", null, payload(3, 2)));
        assertThrows(StoreClosedException.class, () -> s.append("c", payload(3, 2)));
    }

    @Test
    void cls_03_readsAfterCloseThrowStoreClosed()
    {
        final StreamStore s = closed();
        assertAll(
            () -> assertThrows(StoreClosedException.class, () -> s.load(1), "load"),
            () -> assertThrows(StoreClosedException.class, () -> s.loadNext(">", 1), "loadNext"),
            () -> assertThrows(StoreClosedException.class, () -> s.loadLast("c"), "loadLast"),
            () -> assertThrows(StoreClosedException.class, s::state, "state"),
            () -> assertThrows(StoreClosedException.class, () -> s.subjectState("c"), "subjectState"),
            () -> assertThrows(StoreClosedException.class, s::stats, "stats"),
            () -> assertThrows(StoreClosedException.class, s::config, "config"));
    }

    @Test
    void cls_04_changesAfterCloseThrowStoreClosed()
    {
        final StreamStore s = closed();
        assertAll(
            () -> assertThrows(StoreClosedException.class, () -> s.remove(1), "remove"),
            () -> assertThrows(StoreClosedException.class, s::purge, "purge"),
            () -> assertThrows(StoreClosedException.class, s::compact, "compact"),
            () -> assertThrows(StoreClosedException.class, s::sync, "sync"),
            () -> assertThrows(StoreClosedException.class, () -> s.addListener(new HookRecorder()), "addListener"));
    }

    @Test
    void cls_05_closeFiresNoRemovalHook()
    {
        final StreamStore s = open();
        final HookRecorder hooks = new HookRecorder();
        s.addListener(hooks);
        s.append("c", null, payload(3, 1));
        hooks.clear();
        s.close();
        assertEquals(List.of(), hooks.changes(), "close removes nothing, so it reports no removal");
    }
}
