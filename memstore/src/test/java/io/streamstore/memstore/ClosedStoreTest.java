package io.streamstore.memstore;

import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** After close(), every call but close() is a StoreClosedException. */
class ClosedStoreTest
{
    @Test
    void everyCallButCloseThrowsStoreClosed()
    {
        final StreamStore store =
            new MemoryStoreProvider().open(null, StreamConfig.builder("closed").maxAge(Duration.ofMinutes(1)).build());
        store.append("a", new byte[1]);
        store.close();
        store.close(); // idempotent
        final Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("config", store::config);
        calls.put("append", () -> store.append("a", new byte[1]));
        calls.put("append(headers)", () -> store.append("a", new byte[1], new byte[1]));
        calls.put("load", () -> store.load(1));
        calls.put("loadNext", () -> store.loadNext(">", 1));
        calls.put("loadLast", () -> store.loadLast("a"));
        calls.put("remove", () -> store.remove(1));
        calls.put("purge", store::purge);
        calls.put("compact", store::compact);
        calls.put("state", store::state);
        calls.put("subjectState", () -> store.subjectState("a"));
        calls.put("stats", store::stats);
        calls.put("sync", store::sync);
        calls.put("addListener", () -> store.addListener(new Recorder()));
        calls.forEach((name, call) -> assertThrows(StoreClosedException.class, call, name));
        store.close();
    }
}
