package io.streamstore.spi;

/**
 * Hooks a store calls after changes. They run on the thread that made the change, after the change is
 * visible to every reader and limit check, one at a time and in the order of the changes they report,
 * even when the changes come from different threads. A hook may call back into the store; the hooks of
 * a change it makes run after the current hook returns. An exception from a hook is logged and does not
 * undo the change.
 */
public interface StoreListener
{
    /** A message was stored under {@code seq}. */
    default void onAppended(final long seq, final String subject)
    {
    }

    /**
     * The ack-commit hook: the message is gone, as every read and limit sees it, and under
     * {@link SyncPolicy#always()} the removal is durable. A broker sends the ack reply from here, so an
     * append on the same subject made now or later never fails a {@code maxMsgsPerSubject} limit
     * because of this message.
     */
    default void onRemoved(final long seq, final String subject, final RemovalReason reason)
    {
    }

    /** A compaction finished. */
    default void onCompacted(final CompactionResult result)
    {
    }

    /**
     * Every change up to and including {@code upToSeq} (appends and removals alike) is on stable storage
     * and survives a process kill. Fires under every sync policy of a durable store; {@code upToSeq} never
     * goes down (a force that covered only removals may report the same value again). A memory store never
     * calls it. A broker acknowledges a publish from here
     * when it wants the acknowledgement to mean "durable".
     */
    default void onDurable(final long upToSeq)
    {
    }
}
