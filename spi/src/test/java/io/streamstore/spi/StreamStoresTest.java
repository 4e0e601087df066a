package io.streamstore.spi;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamStoresTest
{
    /** Registered in this module's test resources; it opens nothing. */
    public static final class AlphaProvider implements StreamStoreProvider
    {
        @Override
        public String name()
        {
            return "Alpha";
        }

        @Override
        public boolean durable()
        {
            return false;
        }

        @Override
        public StreamStore open(final Path directory, final StreamConfig config)
        {
            throw new UnsupportedOperationException("opened " + config.name());
        }
    }

    /** A second provider claiming the name "alpha", only on the class path of the duplicate test. */
    public static final class AlphaImpostor implements StreamStoreProvider
    {
        @Override
        public String name()
        {
            return "ALPHA";
        }

        @Override
        public boolean durable()
        {
            return true;
        }

        @Override
        public StreamStore open(final Path directory, final StreamConfig config)
        {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void providersListsEveryNameInLowerCase()
    {
        assertEquals(Set.of("alpha"), StreamStores.providers());
    }

    @Test
    void providerIsFoundCaseInsensitively()
    {
        assertEquals(AlphaProvider.class, StreamStores.provider("ALPHA").getClass());
        assertEquals(AlphaProvider.class, StreamStores.provider("alpha").getClass());
    }

    @Test
    void openDelegatesToTheProvider(@TempDir final Path dir)
    {
        final UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
            () -> StreamStores.open("Alpha", dir, StreamConfig.builder("orders").build()));
        assertEquals("opened orders", e.getMessage());
    }

    @Test
    void unknownNameListsTheProvidersOnTheClassPath(@TempDir final Path dir)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> StreamStores.open("nosuch", dir, StreamConfig.builder("s").build()));
        assertTrue(e.getMessage().contains("'nosuch'") && e.getMessage().contains("[alpha]"), e.getMessage());
    }

    @Test
    void nullArgumentsAreRejectedByName(@TempDir final Path dir)
    {
        assertEquals("provider must not be null",
            assertThrows(IllegalArgumentException.class, () -> StreamStores.provider(null)).getMessage());
        assertEquals("config must not be null",
            assertThrows(IllegalArgumentException.class, () -> StreamStores.open("alpha", dir, null)).getMessage());
    }

    @Test
    void twoProvidersWithOneNameAreAnError(@TempDir final Path dir) throws IOException
    {
        final Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(StreamStoreProvider.class.getName()), AlphaImpostor.class.getName() + "\n");
        final Thread thread = Thread.currentThread();
        final ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] { dir.toUri().toURL() }, getClass().getClassLoader()))
        {
            thread.setContextClassLoader(loader);
            final IllegalStateException e = assertThrows(IllegalStateException.class, () -> StreamStores.provider("alpha"));
            assertTrue(e.getMessage().contains(AlphaProvider.class.getName()) &&
                e.getMessage().contains(AlphaImpostor.class.getName()), e.getMessage());
        }
        finally
        {
            thread.setContextClassLoader(previous);
        }
        assertSame(AlphaProvider.class, StreamStores.provider("alpha").getClass());
    }
}
