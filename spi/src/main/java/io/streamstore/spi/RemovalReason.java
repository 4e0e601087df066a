package io.streamstore.spi;

/** Why a message left the store, as reported to {@link StoreListener#onRemoved}. */
public enum RemovalReason
{
    /** {@link StreamStore#remove(long)}: a consumer acknowledged or deleted it. */
    REMOVED,
    /** {@link StreamStore#purge()}. */
    PURGED,
    /** Evicted to keep {@code maxMsgs} under {@link Discard#OLD}. */
    LIMIT_MSGS,
    /** Evicted to keep {@code maxBytes} under {@link Discard#OLD}. */
    LIMIT_BYTES,
    /** Expired: older than {@code maxAge}. */
    LIMIT_AGE,
    /** Evicted to keep {@code maxMsgsPerSubject}. */
    LIMIT_PER_SUBJECT
}
