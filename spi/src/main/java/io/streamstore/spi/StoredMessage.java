package io.streamstore.spi;

/**
 * One stored message, as a read returns it.
 *
 * <p>The arrays it returns must be treated as read-only: a memory store hands out the bytes it keeps
 * rather than copying them on every read. No store ever changes them after the append returned.
 */
public interface StoredMessage
{
    /** The sequence the append returned. */
    long seq();

    /** The exact subject it was appended on. */
    String subject();

    /** Headers as appended; an empty array when the append passed {@code null}. */
    byte[] headers();

    /** Payload as appended. */
    byte[] payload();

    /** When it was appended, in nanoseconds since the epoch; never less than an earlier sequence's. */
    long timestamp();

    /** Its size as limits and {@link StreamState#bytes()} count it: subject (UTF-8) + headers + payload bytes. */
    default long size()
    {
        return Subjects.utf8Length(subject()) + (long)headers().length + payload().length;
    }
}
