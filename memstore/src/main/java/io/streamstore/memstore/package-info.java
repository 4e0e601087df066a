/**
 * The memory backend (provider {@code memory}): every message on the heap, not durable.
 *
 * <p>Only {@link io.streamstore.memstore.MemoryStoreProvider} is public. Inside:
 * <ul>
 *   <li>{@code MemoryStore}: the {@link io.streamstore.spi.StreamStore}; one read/write lock orders every
 *       change, hooks go through {@link io.streamstore.spi.ListenerFanout} after the lock is released.</li>
 *   <li>{@code SeqRing}: messages by sequence, a power-of-two ring plus a sparse side table for old
 *       survivors, so memory follows the live count rather than the sequence span.</li>
 *   <li>{@code SubjectIndex}: one subject's live sequences, oldest first; per-subject reads and limits
 *       never scan the stream.</li>
 *   <li>{@code Expiry}: {@code maxAge} on one daemon thread shared by every memory store in the JVM.</li>
 *   <li>{@code MemoryMessage}: the stored message, handed out as is by reads.</li>
 * </ul>
 *
 * <p>Costs per call, with {@code n} live messages and {@code s} subjects: append, remove and load O(1)
 * amortised; {@code loadNext} on a literal subject and {@code loadLast} O(log n); {@code loadNext} with a
 * wildcard at most about O(s log n); {@code subjectState} and {@code state} O(1); purge O(n).
 */
package io.streamstore.memstore;
