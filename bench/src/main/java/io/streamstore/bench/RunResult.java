package io.streamstore.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one workload measured on one backend (one row of the table). Filled in by the workload as it
 * runs; figures that do not apply stay at their "not applicable" value (NaN, -1 or null), which the
 * writers print as an empty cell or {@code null}.
 */
final class RunResult
{
    final String workload;
    final String backend;
    final String variant;

    long ops;
    double seconds = Double.NaN;
    Latency latency;
    long bytesAppended = -1;
    long bytesWritten = -1;
    long compactions = -1;
    long bytesOnDisk = -1;
    long heapBytesPerMillionMsgs = -1;
    long errors;
    String skipped;
    String failure;
    /** Whether the backend keeps its data across close: picks the reference figure shown beside this row. */
    boolean durable;
    /** A sentence printed under the table, for figures that have no column. */
    String note;
    /** True when {@code --time-limit} stopped the loop before all its iterations ran. */
    boolean stoppedByTimeLimit;
    List<Timeline.Sample> timeline = List.of();
    double firstTenthOpsPerSec = Double.NaN;
    double lastTenthOpsPerSec = Double.NaN;
    final Map<String, Object> extra = new LinkedHashMap<>();
    final List<Verdict> verdicts = new ArrayList<>();

    RunResult(final String workload, final String backend, final String variant)
    {
        this.workload = workload;
        this.backend = backend;
        this.variant = variant;
    }

    static RunResult skipped(final String workload, final String backend, final String variant, final String reason)
    {
        final RunResult r = new RunResult(workload, backend, variant);
        r.skipped = reason;
        return r;
    }

    /** Operations per second, or NaN when the run did not time anything. */
    double opsPerSec()
    {
        return seconds > 0 ? ops / seconds : Double.NaN;
    }

    /** Bytes the store wrote per byte of message appended (subject + headers + payload), or NaN. */
    double writeAmplification()
    {
        return bytesAppended > 0 && bytesWritten >= 0 ? (double)bytesWritten / bytesAppended : Double.NaN;
    }

    boolean ran()
    {
        return skipped == null && failure == null;
    }

    List<Verdict> verdicts()
    {
        return Collections.unmodifiableList(verdicts);
    }

    /**
     * One goal checked against one run.
     *
     * @param check  what was checked, such as {@code flatness}
     * @param pass   whether the goal was met
     * @param detail the figures behind it, for a person
     */
    record Verdict(String check, boolean pass, String detail)
    {
    }
}
