package io.streamstore.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Figures from another run, shown beside ours and never mixed with them: NATS 2.9.10's Go stores measured
 * through their store API on a 2-core machine of the kind this project runs on
 * (shared/reference/nats-2.9.10-store.md), and one raw-disk ceiling (shared/reference/ceilings.md).
 *
 * @param workload the workload it stands beside
 * @param store    which store or ceiling it is
 * @param value    the figure
 * @param unit     its unit, such as {@code it/s} or {@code ms}
 * @param note     what exactly was measured
 * @param source   the label it is shown under
 */
record Reference(String workload, String store, double value, String unit, String note, String source)
{
    static final String NATS = "reference (NATS 2.9.10, measured in another run on a 2-core machine)";
    static final String CEILING =
        "reference (raw Java write + fdatasync ceiling, measured in another run on a 2-core machine)";

    static final List<Reference> ALL = List.of(
        new Reference("wq", "file", 337_952, "it/s",
            "remove + store, 100k resident, 10 subjects, 100 B; with a load of the oldest 301,714 it/s; " +
                "p50/p99/p99.9 2.55 / 5.24 / 27.9 us", NATS),
        new Reference("wq", "memory", 1_592_229, "it/s",
            "remove + store; with a load of the oldest 1,482,079 it/s; p50/p99/p99.9 0.48 / 2.43 / 5.8 us", NATS),
        new Reference("seed", "file", 4_397, "it/s",
            "end to end through nats-server (Fetch(1), AckSync, Publish), not the store API; batched 64,711 it/s", NATS),
        new Reference("append", "file", 708_405, "msgs/s", "1M x 100 B, default flush; async flush 3,288,719 msgs/s", NATS),
        new Reference("append", "memory", 1_117_384, "msgs/s", "1M x 100 B", NATS),
        new Reference("remove-random", "file", 715_313, "removes/s", "500k of 1M, in random order", NATS),
        new Reference("remove-random", "memory", 2_485_825, "removes/s", "500k of 1M, in random order", NATS),
        new Reference("read", "file", 2_630_000, "msgs/s", "TestFileStorePerf read back of 5.24M x 1 KiB", NATS),
        new Reference("recover", "file", 5.55, "ms", "open 1M messages with index files, warm (cold 21.1 ms)", NATS),
        new Reference("recover", "file", 364, "ms", "open 1M messages by full scan, no index files, warm (cold 531 ms)", NATS),
        new Reference("sync", "disk", 4_211, "ops/s",
            "FileChannel.write of 133 B + force(false), one writer (p50 205 us, p99 736 us)", CEILING));

    /** How the chart's legend names it. */
    String chartLabel()
    {
        final String what = note.startsWith("end to end") ? " store, end to end through nats-server" : " store";
        return (source.equals(NATS) ? "NATS 2.9.10 " : "ceiling: ") + this.store + what;
    }

    /**
     * The rate from another run to show beside a row of ours: NATS's file store (or the disk ceiling) for a
     * durable backend, its memory store otherwise; null when there is none.
     */
    static Reference besideRow(final String workload, final boolean durable)
    {
        for (final Reference r : ALL)
        {
            if (r.workload.equals(workload) && r.unit.endsWith("/s") &&
                (durable ? r.store.equals("file") || r.store.equals("disk") : r.store.equals("memory")))
            {
                return r;
            }
        }
        return null;
    }

    static List<Reference> forWorkload(final String workload)
    {
        final List<Reference> found = new ArrayList<>();
        for (final Reference r : ALL)
        {
            if (r.workload.equals(workload))
            {
                found.add(r);
            }
        }
        return found;
    }
}
