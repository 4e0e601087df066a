package io.streamstore.conformance.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The figures of each suite and backend (kills, acknowledged operations checked, violations, flips, seeds),
 * written after every test to {@code <streamstore.reliability.dir>/<suite>-<backend>.json} (default
 * {@code target/reliability}), so that runs can be compared.
 */
final class Figures
{
    private static final Map<String, Map<String, Object>> ALL = new TreeMap<>();

    private Figures()
    {
    }

    private static Map<String, Object> of(final String suite, final String backend)
    {
        return ALL.computeIfAbsent(suite + "-" + backend, k ->
        {
            final Map<String, Object> m = new TreeMap<>();
            m.put("suite", suite);
            m.put("backend", backend);
            m.put("violations", 0L);
            return m;
        });
    }

    static synchronized void add(final String suite, final String backend, final String key, final long delta)
    {
        of(suite, backend).merge(key, delta, (a, b) -> (Long)a + (Long)b);
    }

    static synchronized void put(final String suite, final String backend, final String key, final Object value)
    {
        of(suite, backend).put(key, value);
    }

    @SuppressWarnings("unchecked")
    static synchronized void append(final String suite, final String backend, final String key, final Object value)
    {
        ((List<Object>)of(suite, backend).computeIfAbsent(key, k -> new ArrayList<>())).add(value);
    }

    /** Writes the figures of one suite and backend; returns the file. */
    static synchronized Path write(final String suite, final String backend)
    {
        final Path dir = Path.of(System.getProperty("streamstore.reliability.dir", "target/reliability"));
        final Path file = dir.resolve(suite + "-" + backend.replaceAll("[^A-Za-z0-9_.-]", "_") + ".json");
        try
        {
            Files.createDirectories(dir);
            Files.writeString(file, json(of(suite, backend), "") + "\n", StandardCharsets.UTF_8);
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException("cannot write reliability figures to " + file, e);
        }
        return file;
    }

    private static String json(final Object v, final String indent)
    {
        if (v instanceof Map<?, ?> m)
        {
            final StringBuilder sb = new StringBuilder("{");
            String sep = "\n";
            for (final Map.Entry<?, ?> e : m.entrySet())
            {
                sb.append(sep).append(indent).append("  ").append(quote(String.valueOf(e.getKey()))).append(": ")
                    .append(json(e.getValue(), indent + "  "));
                sep = ",\n";
            }
            return sb.append('\n').append(indent).append('}').toString();
        }
        if (v instanceof List<?> l)
        {
            final StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++)
            {
                sb.append(i == 0 ? "" : ", ").append(json(l.get(i), indent + "  "));
            }
            return sb.append(']').toString();
        }
        if (v instanceof Number || v instanceof Boolean)
        {
            return String.valueOf(v);
        }
        return quote(String.valueOf(v));
    }

    private static String quote(final String s)
    {
        final StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default ->
                {
                    if (c < 0x20)
                    {
                        sb.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
