package io.streamstore.bench;

import java.util.Locale;
import java.util.Map;

/**
 * Judges runs against the project's goals: the loop stays flat (the last tenth of its iterations at least
 * {@link #FLATNESS_GOAL} of the first tenth's pace), its write amplification stays within the backend's
 * documented constant, nothing fails, and a store that forces shares its forces among concurrent durable
 * writers (the N-writer sync rate at least {@link #GROUP_COMMIT_GOAL} times the 1-writer rate).
 */
final class Verdicts
{
    static final double FLATNESS_GOAL = 0.90;
    /** Group commit: N concurrent writers under {@code always} at least this many times one writer's rate. */
    static final double GROUP_COMMIT_GOAL = 8.0;
    static final double DEFAULT_WRITE_AMPLIFICATION_LIMIT = 2.0;

    /**
     * The bytes-written-per-appended-byte constant each backend documents for the steady work-queue loop
     * (SPI.md §2, "Work is bounded"): 2 unless the backend says otherwise. {@code --wa-limit name=x}
     * overrides an entry.
     */
    static final Map<String, Double> DOCUMENTED_WRITE_AMPLIFICATION = Map.of(
        "memory", 2.0, // the SPI's default bound (MemoryStore counts the message bytes it copies: 1.0)
        "file", 2.0,   // FileStoreProvider: "about 1.45 ... within the SPI's documented bound of 2"
        "lmdb", 3.0);  // LmdbStore: "the backend's constant: 3" (whole 4 KiB copy-on-write pages per commit)

    private Verdicts()
    {
    }

    /** The limit for {@code backend}; a broken backend is held to the constant of the one it wraps. */
    static double writeAmplificationLimit(final String backend, final Map<String, Double> overrides)
    {
        final String key = backend.toLowerCase(Locale.ROOT);
        if (overrides.containsKey(key))
        {
            return overrides.get(key);
        }
        final int colon = key.indexOf(':');
        final String documentedName = colon >= 0 ? key.substring(colon + 1) : key;
        if (overrides.containsKey(documentedName))
        {
            return overrides.get(documentedName);
        }
        return DOCUMENTED_WRITE_AMPLIFICATION.getOrDefault(documentedName, DEFAULT_WRITE_AMPLIFICATION_LIMIT);
    }

    /** Adds the verdicts that apply to {@code r}. */
    static void judge(final RunResult r, final Map<String, Double> overrides)
    {
        if (!r.ran())
        {
            return;
        }
        final boolean loop = "wq".equals(r.workload) || "seed".equals(r.workload);
        if (r.stoppedByTimeLimit)
        {
            r.verdicts.add(new RunResult.Verdict("finished", false, String.format(Locale.ROOT,
                "stopped by --time-limit after %s with %,d iterations done", Format.seconds(r.seconds), r.ops)));
        }
        if (loop && !Double.isNaN(r.firstTenthOpsPerSec) && !Double.isNaN(r.lastTenthOpsPerSec))
        {
            final double ratio = r.lastTenthOpsPerSec / r.firstTenthOpsPerSec;
            r.verdicts.add(new RunResult.Verdict("flatness", ratio >= FLATNESS_GOAL, String.format(Locale.ROOT,
                "last 10 %% of iterations at %s it/s = %.0f %% of the first 10 %% (%s it/s; " +
                    "80th percentile of 1 %% slices); " +
                    "goal >= %.0f %%",
                Format.rate(r.lastTenthOpsPerSec), ratio * 100, Format.rate(r.firstTenthOpsPerSec), FLATNESS_GOAL * 100)));
        }
        if (loop && !Double.isNaN(r.writeAmplification()))
        {
            final double limit = writeAmplificationLimit(r.backend, overrides);
            final double wa = r.writeAmplification();
            r.verdicts.add(new RunResult.Verdict("write amplification", wa <= limit, String.format(Locale.ROOT,
                "%.2f bytes written per appended byte; goal <= %s (the backend's documented constant)",
                wa, Format.decimal(limit))));
        }
        if ("sync".equals(r.workload) && r.extra.get(SyncWorkload.SPEEDUP) instanceof Double speedup &&
            r.extra.get(SyncWorkload.APPENDS_PER_SYNC) instanceof Double perSync)
        {
            // only for stores that force (a memory store has no syncs to share)
            final String cpu = r.extra.get(SyncWorkload.CORES_BUSY) instanceof Double many &&
                r.extra.get(SyncWorkload.ONE_WRITER_CORES_BUSY) instanceof Double one ?
                String.format(Locale.ROOT, ", %.1f cores busy (1 writer: %.1f)", many, one) : "";
            r.verdicts.add(new RunResult.Verdict("group commit", speedup >= GROUP_COMMIT_GOAL, String.format(Locale.ROOT,
                "%s at %.1f x the 1-writer rate, %.1f appends per force%s; goal >= %s x",
                r.variant, speedup, perSync, cpu, Format.decimal(GROUP_COMMIT_GOAL))));
        }
        if (r.errors > 0 || "seed".equals(r.workload))
        {
            final Object error = r.extra.get("error");
            r.verdicts.add(new RunResult.Verdict("errors", r.errors == 0,
                r.errors + " errors; goal 0" + (error != null ? " (" + error + ")" : "")));
        }
    }

    /** True when every verdict of every run passed and no run failed. */
    static boolean allPass(final Iterable<RunResult> results)
    {
        for (final RunResult r : results)
        {
            if (r.failure != null)
            {
                return false;
            }
            for (final RunResult.Verdict v : r.verdicts)
            {
                if (!v.pass())
                {
                    return false;
                }
            }
        }
        return true;
    }
}
