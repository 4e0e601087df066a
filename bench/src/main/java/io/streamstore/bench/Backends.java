package io.streamstore.bench;

import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.StreamStores;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns the names given to {@code --backends} into providers. Real backends come from
 * {@link StreamStores#provider}; {@code broken-<kind>[:inner]} wraps a real one in one of the conformance
 * kit's deliberately broken backends (the kit's test jar), loaded reflectively so that the bench builds
 * and runs without it.
 */
final class Backends
{
    static final String BROKEN_PREFIX = "broken-";
    static final String BROKEN_PROVIDERS_CLASS = "io.streamstore.conformance.broken.BrokenProviders";

    private Backends()
    {
    }

    /** Every real backend on the class path, in name order: the default selection. */
    static List<String> available()
    {
        return new ArrayList<>(StreamStores.providers());
    }

    /**
     * Resolves one name.
     *
     * @throws IllegalArgumentException naming the backend, with what exists or what to add to the class path
     */
    static Backend resolve(final String rawName)
    {
        final String name = rawName.trim().toLowerCase(Locale.ROOT);
        if (name.startsWith(BROKEN_PREFIX))
        {
            return broken(name);
        }
        final Set<String> present = StreamStores.providers();
        if (!present.contains(name))
        {
            throw new IllegalArgumentException("--backends: no backend named '" + rawName + "' on the class path; " +
                "available: " + present + " (build the missing module, e.g. ./mvnw -B -q -DskipTests package, " +
                "so that its jar is in bench/target/streamstore-bench.jar)");
        }
        return new Backend(name, StreamStores.provider(name));
    }

    /** {@code broken-overcompaction} wraps {@code file} when present, else {@code memory}; {@code :inner} picks one. */
    private static Backend broken(final String name)
    {
        final int colon = name.indexOf(':');
        final String kind = colon < 0 ? name.substring(BROKEN_PREFIX.length()) : name.substring(BROKEN_PREFIX.length(), colon);
        final Set<String> present = StreamStores.providers();
        final String innerName = colon >= 0 ? name.substring(colon + 1) : present.contains("file") ? "file" : "memory";
        final Class<?> brokenProviders;
        try
        {
            brokenProviders = Class.forName(BROKEN_PROVIDERS_CLASS);
        }
        catch (final ClassNotFoundException e)
        {
            throw new IllegalArgumentException("--backends: '" + name + "' needs the conformance kit's broken backends (" +
                BROKEN_PROVIDERS_CLASS + " in the test jar of streamstore-conformance-tests), which are not on the " +
                "class path of this bench; run the other backends without it");
        }
        final Method factory = factoryFor(brokenProviders, kind, name);
        final StreamStoreProvider inner = resolve(innerName).provider();
        try
        {
            final StreamStoreProvider wrapped = (StreamStoreProvider)factory.invoke(null, inner);
            return new Backend(colon < 0 ? name + ":" + innerName : name, wrapped);
        }
        catch (final IllegalAccessException | InvocationTargetException e)
        {
            final Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
            throw new IllegalStateException(
                "--backends: could not build '" + name + "' with " + factory + ": " + cause, cause);
        }
    }

    private static Method factoryFor(final Class<?> brokenProviders, final String kind, final String name)
    {
        final String wanted = kind.replace("-", "");
        final List<String> kinds = new ArrayList<>();
        for (final Method m : brokenProviders.getMethods())
        {
            if (Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 1 &&
                m.getParameterTypes()[0] == StreamStoreProvider.class &&
                StreamStoreProvider.class.isAssignableFrom(m.getReturnType()))
            {
                final String methodKind = m.getName().toLowerCase(Locale.ROOT);
                if (methodKind.equals(wanted))
                {
                    return m;
                }
                kinds.add(BROKEN_PREFIX + m.getName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT));
            }
        }
        throw new IllegalArgumentException("--backends: the conformance kit has no broken backend '" + name +
            "'; it has " + kinds);
    }

    /** True when the kit's broken backends can be selected. */
    static boolean brokenAvailable()
    {
        try
        {
            Class.forName(BROKEN_PROVIDERS_CLASS);
            return true;
        }
        catch (final ClassNotFoundException e)
        {
            return false;
        }
    }
}
