package io.streamstore.lmdbstore;

import org.agrona.DirectBuffer;

/**
 * The live messages of one subject, kept in memory (rebuilt from the subject index at open) so that
 * {@code subjectState}, {@code loadLast} and per-subject limits need no scan.
 */
final class SubjectInfo
{
    final String subject;
    final byte[] bytes;
    long msgs;
    long first;
    long last;

    SubjectInfo(final String subject, final byte[] bytes)
    {
        this.subject = subject;
        this.bytes = bytes;
    }

    /** True when {@code key}, a key of the subject index (subject + 8-byte sequence), is on {@code subject}. */
    static boolean isKeyOf(final DirectBuffer key, final byte[] subject)
    {
        if (key.capacity() != subject.length + 8)
        {
            return false;
        }
        for (int i = 0; i < subject.length; i++)
        {
            if (key.getByte(i) != subject[i])
            {
                return false;
            }
        }
        return true;
    }
}
