package io.streamstore.bench;

import java.util.List;
import java.util.Map;

/**
 * One workload's results over every backend, as written to the results folder.
 *
 * @param workload    the workload's command-line name
 * @param description what it measured, with the sizes used
 * @param startedAt   when the workload started (ISO-8601, UTC)
 * @param settings    the command-line settings in force
 * @param machine     cores, JVM, OS: what the figures depend on
 * @param results     one per backend and variant, in run order
 */
record Report(
    String workload,
    String description,
    String startedAt,
    Map<String, Object> settings,
    Map<String, Object> machine,
    List<RunResult> results)
{
    List<Reference> references()
    {
        return Reference.forWorkload(workload);
    }
}
