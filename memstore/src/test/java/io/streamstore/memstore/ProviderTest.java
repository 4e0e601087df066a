package io.streamstore.memstore;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStores;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProviderTest
{
    @Test
    void isFoundByNameThroughTheServiceLoader() throws IOException
    {
        assertTrue(StreamStores.providers().contains("memory"));
        try (StreamStore store = StreamStores.open("Memory", Path.of("ignored"), StreamConfig.builder("p").build()))
        {
            assertEquals(1, store.append("a", new byte[1]));
        }
    }

    @Test
    void isNotDurableAndNamedMemory()
    {
        final MemoryStoreProvider provider = new MemoryStoreProvider();
        assertEquals("memory", provider.name());
        assertFalse(provider.durable());
    }

    @Test
    void eachOpenIsANewEmptyStore()
    {
        final MemoryStoreProvider provider = new MemoryStoreProvider();
        final StreamConfig config = StreamConfig.builder("p").build();
        try (StreamStore first = provider.open(null, config); StreamStore second = provider.open(null, config))
        {
            first.append("a", new byte[1]);
            assertEquals(0, second.state().msgs());
            assertEquals(config, first.config());
        }
    }
}
