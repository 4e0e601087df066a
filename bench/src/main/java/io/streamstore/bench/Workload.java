package io.streamstore.bench;

import java.util.List;

/** One workload of the bench: runs on one backend at a time, on fresh directories it deletes afterwards. */
interface Workload
{
    /** The name it is selected by on the command line, such as {@code wq}. */
    String name();

    /** The messages it fills (or appends) with these settings: {@code --messages}, or its own default. */
    long messages(BenchSettings settings);

    /** One line for the table's heading: what is measured, with the sizes used. */
    String describe(BenchSettings settings);

    /**
     * Runs on one backend.
     *
     * @return one result per variant (most workloads have one)
     * @throws Exception when the backend fails; the bench reports it and goes on with the next backend
     */
    List<RunResult> run(Backend backend, BenchSettings settings) throws Exception;
}
