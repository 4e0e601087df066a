package io.streamstore.spi;

/**
 * A consistent snapshot of a stream.
 *
 * @param msgs        live messages
 * @param bytes       their total size: subject (UTF-8) + headers + payload bytes
 * @param firstSeq    the lowest live sequence; {@code lastSeq + 1} when the store is empty
 * @param lastSeq     the highest sequence ever assigned (0 before the first append); never goes down
 * @param numDeleted  {@code lastSeq - firstSeq + 1 - msgs}: interior gaps left by removals (0 when empty)
 * @param numSubjects distinct subjects with at least one live message
 */
public record StreamState(long msgs, long bytes, long firstSeq, long lastSeq, long numDeleted, long numSubjects)
{
}
