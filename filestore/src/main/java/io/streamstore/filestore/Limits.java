package io.streamstore.filestore;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StreamConfig;

import java.io.IOException;
import java.util.ArrayList;

/**
 * The stream's limits: which appends are refused ({@link Discard#NEW}, {@code discardNewPerSubject},
 * a message larger than {@code maxBytes} on its own) and which messages go after an append (the
 * subject's oldest for {@code maxMsgsPerSubject}, the stream's oldest for {@code maxMsgs} and
 * {@code maxBytes} under {@link Discard#OLD}). Removals go through the store, so they write tombstones
 * and reach the listeners like any other. Called under the store's lock.
 */
final class Limits
{
    /** Removes a live message for a limit; the store's own removal path. */
    interface Remover
    {
        boolean remove(long seq, RemovalReason reason) throws IOException;
    }

    private final StreamConfig config;
    private final Index index;
    private final Remover remover;

    Limits(final StreamConfig config, final Index index, final Remover remover)
    {
        this.config = config;
        this.index = index;
        this.remover = remover;
    }

    void checkRefusing(final SubjectEntry entry, final long size)
    {
        final long maxPerSubject = config.maxMsgsPerSubject();
        if (config.discardNewPerSubject() && maxPerSubject > 0 && entry != null && entry.live() >= maxPerSubject)
        {
            throw new LimitExceededException(LimitExceededException.Limit.MAX_MSGS_PER_SUBJECT, "subject '" +
                entry.subject + "' already holds " + entry.live() + " messages, its maxMsgsPerSubject limit");
        }
        if (config.discard() == Discard.NEW)
        {
            if (config.maxMsgs() > 0 && index.msgs + 1 > config.maxMsgs())
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_MSGS, "the stream holds " +
                    index.msgs + " messages, its maxMsgs limit (discard NEW)");
            }
            if (config.maxBytes() > 0 && index.bytes + size > config.maxBytes())
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_BYTES, "the stream holds " +
                    index.bytes + " bytes; " + size + " more would exceed its maxBytes " + config.maxBytes() +
                    " (discard NEW)");
            }
        }
        else if (config.maxBytes() > 0 && size > config.maxBytes())
        {
            throw new LimitExceededException(LimitExceededException.Limit.MAX_BYTES, "message of " + size +
                " bytes is larger than maxBytes " + config.maxBytes() + " on its own");
        }
    }

    void enforce(final SubjectEntry entry) throws IOException
    {
        final long maxPerSubject = config.maxMsgsPerSubject();
        if (maxPerSubject > 0 && entry != null)
        {
            while (entry.live() > maxPerSubject)
            {
                remover.remove(entry.first(), RemovalReason.LIMIT_PER_SUBJECT);
            }
        }
        if (config.discard() == Discard.OLD)
        {
            while (config.maxMsgs() > 0 && index.msgs > config.maxMsgs())
            {
                remover.remove(index.firstSeq, RemovalReason.LIMIT_MSGS);
            }
            while (config.maxBytes() > 0 && index.bytes > config.maxBytes())
            {
                remover.remove(index.firstSeq, RemovalReason.LIMIT_BYTES);
            }
        }
    }

    void enforceAll() throws IOException
    {
        final long maxPerSubject = config.maxMsgsPerSubject();
        if (maxPerSubject > 0)
        {
            index.ensureSubjectLists();
            for (final SubjectEntry e : new ArrayList<>(index.subjectMap().values()))
            {
                while (e.live() > maxPerSubject)
                {
                    remover.remove(e.first(), RemovalReason.LIMIT_PER_SUBJECT);
                }
            }
        }
        while (config.maxMsgs() > 0 && index.msgs > config.maxMsgs())
        {
            remover.remove(index.firstSeq, RemovalReason.LIMIT_MSGS);
        }
        while (config.maxBytes() > 0 && index.bytes > config.maxBytes())
        {
            remover.remove(index.firstSeq, RemovalReason.LIMIT_BYTES);
        }
    }
}
