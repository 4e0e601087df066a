/**
 * The reliability suite: {@link io.streamstore.conformance.reliability.DurableStoreReliability}, which any
 * durable backend extends to prove it survives process kills, torn writes, bit rot, hostile files, a full disk,
 * I/O errors, races and bad input; its child-JVM workers ({@code CrashWorker}, {@code CaseWorker},
 * {@code FullDiskWorker}, {@code LockProbe}); and the optional fault-injection seam
 * ({@link io.streamstore.conformance.reliability.FaultInjectable}). See the module's {@code RELIABILITY.md}.
 */
package io.streamstore.conformance.reliability;
