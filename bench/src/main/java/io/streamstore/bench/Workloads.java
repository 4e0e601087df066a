package io.streamstore.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The workloads by command-line name, in the order {@code all} runs them. */
final class Workloads
{
    static final String ALL = "all";

    private static final Map<String, Workload> BY_NAME = new LinkedHashMap<>();

    static
    {
        for (final Workload w : List.of(
            new WqWorkload(), new SeedWorkload(), new AppendWorkload(), new RemoveRandomWorkload(),
            new ReadWorkload(), new RecoverWorkload(), new SyncWorkload()))
        {
            BY_NAME.put(w.name(), w);
        }
    }

    private Workloads()
    {
    }

    static List<String> names()
    {
        return new ArrayList<>(BY_NAME.keySet());
    }

    /** The workloads a command-line name selects: one, or every one for {@code all}; null when unknown. */
    static List<Workload> select(final String name)
    {
        if (ALL.equals(name))
        {
            return new ArrayList<>(BY_NAME.values());
        }
        final Workload w = BY_NAME.get(name);
        return w == null ? null : List.of(w);
    }
}
