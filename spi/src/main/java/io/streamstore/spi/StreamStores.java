package io.streamstore.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Opens stores by backend name, through the providers on the class path. */
public final class StreamStores
{
    private StreamStores()
    {
    }

    /**
     * Opens a store with the provider named {@code provider} (case-insensitive).
     *
     * @throws IllegalArgumentException when no provider has that name (the message lists those that exist),
     *                                  or for a null argument
     * @throws IllegalStateException    when two providers on the class path share the name
     */
    public static StreamStore open(final String provider, final Path directory, final StreamConfig config)
        throws IOException
    {
        Arguments.requireNonNull(config, "config");
        return provider(provider).open(directory, config);
    }

    /** The names of every provider on the class path, in lower case. */
    public static Set<String> providers()
    {
        return new TreeSet<>(byName().keySet());
    }

    /**
     * The provider named {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException when there is none, listing the names that exist
     * @throws IllegalStateException    when two providers share the name
     */
    public static StreamStoreProvider provider(final String name)
    {
        Arguments.requireNonNull(name, "provider");
        final StreamStoreProvider found = byName().get(name.toLowerCase(Locale.ROOT));
        if (found == null)
        {
            throw new IllegalArgumentException("no stream store provider named '" + name + "' on the class path; " +
                "available: " + providers() + " (add the backend's jar, e.g. streamstore-filestore, to the class path)");
        }
        return found;
    }

    private static Map<String, StreamStoreProvider> byName()
    {
        final Map<String, StreamStoreProvider> byName = new TreeMap<>();
        for (final StreamStoreProvider p : ServiceLoader.load(StreamStoreProvider.class, classLoader()))
        {
            final String key = p.name().toLowerCase(Locale.ROOT);
            final StreamStoreProvider previous = byName.putIfAbsent(key, p);
            if (previous != null)
            {
                throw new IllegalStateException("two stream store providers are named '" + key + "': " +
                    previous.getClass().getName() + " and " + p.getClass().getName() + "; remove one from the class path");
            }
        }
        return byName;
    }

    private static ClassLoader classLoader()
    {
        final ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : StreamStores.class.getClassLoader();
    }
}
