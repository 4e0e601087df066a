/**
 * The backend comparison a user runs first: {@code streamstore-bench [workload]} runs one workload over
 * every selected backend, one after another, in one process, and prints a table, a verdict line per
 * backend and reference figures; it writes JSON, CSV, a chart and an HTML page under the results folder.
 *
 * <p>The bench compiles against {@code io.streamstore.spi} only; backends arrive through
 * {@link java.util.ServiceLoader}. The JMH suite lives in {@code io.streamstore.bench.jmh}.
 */
package io.streamstore.bench;
