package io.streamstore.spi;

/** What happens when an append would break {@code maxMsgs} or {@code maxBytes}. */
public enum Discard
{
    /** The oldest messages are removed (reason {@link RemovalReason#LIMIT_MSGS} or {@link RemovalReason#LIMIT_BYTES}). */
    OLD,
    /** The append is refused with {@link LimitExceededException} and nothing changes. */
    NEW
}
