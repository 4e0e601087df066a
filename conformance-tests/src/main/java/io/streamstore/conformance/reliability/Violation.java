package io.streamstore.conformance.reliability;

/**
 * One broken guarantee the reliability suite found, in Jepsen's vocabulary.
 *
 * @param kind   what kind of guarantee broke
 * @param seq    the sequence concerned, 0 when none
 * @param detail a sentence: what was expected, what was found, and under which seed and case
 */
public record Violation(Kind kind, long seq, String detail)
{
    /** The kinds of violation. */
    public enum Kind
    {
        /** An acknowledged append is missing after recovery, and no acknowledged removal covers it. */
        LOST,
        /** An acknowledged removal (or purge) is undone: the message is back. */
        RESURRECTED,
        /** A message is present that was never appended (or whose append never started). */
        PHANTOM,
        /** A message reads back with other bytes (subject, headers or payload) than were appended. */
        CORRUPT,
        /** lastSeq went below an acknowledged or reported-lost sequence, or the next append does not continue. */
        ROLLBACK,
        /** A message is missing beyond the torn tail and the recovery report does not say so. */
        UNREPORTED,
        /** A second reopen shows another state, or reports a cut again. */
        NOT_IDEMPOTENT,
        /** state() disagrees with what the reads show (counts, first sequence). */
        STATE,
        /** An exception other than the allowed ones (CorruptStoreException on damage, StoreException on I/O). */
        UNEXPECTED_ERROR,
        /** An OutOfMemoryError while opening or reading damaged files. */
        OOM,
        /** Opening or reading did not finish within the case timeout. */
        HANG,
        /** The JVM died (a native crash) where the backend did not declare it may. */
        CRASH,
        /** A refused write was not sticky: a later write succeeded before a reopen. */
        NOT_STICKY
    }

    @Override
    public String toString()
    {
        return kind + (seq > 0 ? " seq " + seq : "") + ": " + detail;
    }
}
