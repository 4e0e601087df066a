package io.streamstore.spi;

/**
 * An ordered log of messages: the storage of one stream. Obtained from {@link StreamStores#open} or a
 * {@link StreamStoreProvider}.
 *
 * <p>Every method may be called from any number of threads at once, and each call is atomic: it
 * happens entirely before or entirely after any other, and no reader sees a half-written message.
 * Every call after {@link #close()}, except {@code close()} itself, throws {@link StoreClosedException}.
 * Bad arguments throw {@link IllegalArgumentException} naming the argument, and change nothing. No
 * failure leaves the store in a state that a reopen would see differently from what the caller was told.
 */
public interface StreamStore extends AutoCloseable
{
    /** The configuration the store was opened with. */
    StreamConfig config();

    /**
     * Appends a message and returns its sequence: 1 for the first append ever, else the previous
     * {@code lastSeq} + 1. Sequences have no gaps and are never reused, not after removes, purge,
     * compaction, or close and reopen. Timestamps never go backwards along sequences.
     *
     * <p>Every limit holds when it returns: under {@link Discard#OLD} (and per subject without
     * {@code discardNewPerSubject}) the oldest messages are removed first and reported to
     * {@link StoreListener#onRemoved} with their limit reason; otherwise an append that would break a
     * limit throws {@link LimitExceededException} and nothing changes, no sequence used up. Under
     * {@link SyncPolicy#always()} the message is durable when this returns.
     *
     * <p>Where the SPI leaves a choice, every backend makes the same one (the kit checks it):
     * <ul>
     *   <li>the subject's own limit acts first: without {@code discardNewPerSubject} its oldest message goes
     *       (reason {@link RemovalReason#LIMIT_PER_SUBJECT}) under either {@link Discard} policy, and that
     *       removal counts toward {@code maxMsgs}/{@code maxBytes} before they evict or refuse anything;</li>
     *   <li>a message larger than {@code maxBytes} on its own is refused ({@link LimitExceededException.Limit#MAX_BYTES})
     *       under either policy, since evicting everything would not make it fit;</li>
     *   <li>the store keeps its own copy: changing the caller's arrays after the call changes nothing stored.</li>
     * </ul>
     *
     * @param subject a valid subject (see {@link Subjects}): no wildcards, whitespace or empty tokens
     * @param headers header bytes, or null for none
     * @param payload payload bytes, not null (may be empty)
     * @return the new message's sequence
     * @throws IllegalArgumentException naming the argument, for a bad subject or a null payload
     * @throws LimitExceededException   when a refusing limit or {@code maxMsgSize} refuses the message
     */
    long append(String subject, byte[] headers, byte[] payload);

    /** Appends a message without headers; see {@link #append(String, byte[], byte[])}. */
    default long append(final String subject, final byte[] payload)
    {
        return append(subject, null, payload);
    }

    /**
     * The message stored under {@code seq}, or null when that sequence was never stored, or was removed,
     * purged or expired.
     *
     * @throws IllegalArgumentException if {@code seq} is below 1
     */
    StoredMessage load(long seq);

    /**
     * The first live message with sequence {@code >= fromSeq} whose subject matches {@code filter}
     * ({@code *} matches one token, a trailing {@code >} one or more; {@link Subjects#ALL} matches all),
     * or null when there is none.
     *
     * @throws IllegalArgumentException for a bad filter or {@code fromSeq} below 1
     */
    StoredMessage loadNext(String filter, long fromSeq);

    /**
     * The newest live message on exactly {@code subject}, or null when it has none.
     *
     * @throws IllegalArgumentException for a bad subject (wildcards are not allowed)
     */
    StoredMessage loadLast(String subject);

    /**
     * Removes the message under {@code seq}. The removal is visible when this returns: {@link #load}
     * returns null, {@link #state()} and {@link #subjectState} no longer count it, and every limit check
     * already sees it gone. Only then, and under {@link SyncPolicy#always()} only once the removal is
     * durable, does {@link StoreListener#onRemoved} run with {@link RemovalReason#REMOVED}: the
     * ack-commit hook.
     *
     * @return true when it removed a live message; false when there was none under {@code seq}
     * @throws IllegalArgumentException if {@code seq} is below 1
     */
    boolean remove(long seq);

    /**
     * Removes every message ({@link RemovalReason#PURGED}). {@code lastSeq} stays: the next append
     * returns {@code lastSeq + 1}, also after a reopen.
     *
     * @return how many messages it removed
     */
    long purge();

    /**
     * Reclaims the space of removed messages now, rather than when the backend's thresholds say so.
     * Never changes what any read returns, before or after a reopen. Afterwards {@code bytesOnDisk} is
     * bounded by the live bytes plus a bounded overhead.
     */
    CompactionResult compact();

    /** A consistent snapshot: counts, bytes, first and last sequence. */
    StreamState state();

    /**
     * The live messages on exactly {@code subject}; never null: {@code (subject, 0, 0, 0)} when none.
     *
     * @throws IllegalArgumentException for a bad subject (wildcards are not allowed)
     */
    SubjectState subjectState(String subject);

    /** What the store has written and holds; see {@link StoreStats}. */
    StoreStats stats();

    /**
     * What the last open found and repaired; {@link RecoveryReport#CLEAN} when nothing was cut (and always
     * for a store that is not durable). A durable backend overrides it and, like every call, throws
     * {@link StoreClosedException} after {@link #close()}; this default, for stores that never cut anything,
     * cannot tell and returns {@link RecoveryReport#CLEAN}.
     */
    default RecoveryReport recoveryReport()
    {
        return RecoveryReport.CLEAN;
    }

    /** Returns once everything accepted so far is durable (a no-op for a store that is not durable). */
    void sync();

    /**
     * Adds a hook that sees every change made from now on; see {@link StoreListener} for when hooks run.
     *
     * @throws IllegalArgumentException if {@code listener} is null
     */
    void addListener(StoreListener listener);

    /**
     * Makes everything accepted durable (for a durable store), waits for calls in flight, and releases
     * files and memory. Idempotent; every other call afterwards throws {@link StoreClosedException}.
     */
    @Override
    void close();
}
