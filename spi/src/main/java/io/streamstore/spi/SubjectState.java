package io.streamstore.spi;

/**
 * The live messages on one exact subject.
 *
 * @param subject  the subject asked for
 * @param msgs     live messages on it
 * @param firstSeq the lowest of their sequences, 0 when none
 * @param lastSeq  the highest of their sequences, 0 when none
 */
public record SubjectState(String subject, long msgs, long firstSeq, long lastSeq)
{
    /** The state of a subject with no live message. */
    public static SubjectState empty(final String subject)
    {
        return new SubjectState(subject, 0, 0, 0);
    }
}
