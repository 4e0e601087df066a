/**
 * The JMH suite: per-operation costs of each backend with payloads of 16 B, 100 B and 4 KiB. Run from the
 * runnable jar (see {@link io.streamstore.bench.jmh.StoreBenchmark}).
 */
package io.streamstore.bench.jmh;
