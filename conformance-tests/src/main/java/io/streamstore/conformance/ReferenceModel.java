package io.streamstore.conformance;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.Subjects;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A plain, obviously correct model of a store, the oracle of the model-based rules ({@code mdl_*}).
 *
 * <p>Speed is no goal: every query walks a {@link TreeMap} of sequence to message. It keeps the SPI.md
 * §2 rules for sequences, removal, purge and the count limits ({@code maxMsgs}, {@code maxBytes},
 * {@code maxMsgsPerSubject}, {@code maxMsgSize}, {@link Discard}, {@code discardNewPerSubject}); it knows
 * no clock, so {@code maxAge} is not modelled.
 *
 * <p>Under {@link Discard#OLD} an append first stores the message, then evicts the subject's oldest
 * messages while the per-subject limit is broken ({@link RemovalReason#LIMIT_PER_SUBJECT}), then the
 * stream's oldest while {@code maxMsgs} is broken ({@link RemovalReason#LIMIT_MSGS}), then while
 * {@code maxBytes} is broken ({@link RemovalReason#LIMIT_BYTES}): the order that evicts no message a
 * limit does not require to go.
 *
 * <p>Two corners SPI.md leaves open follow the memory store and NATS: a message larger than {@code maxBytes}
 * is refused ({@code MAX_BYTES}) under either discard policy, and under {@link Discard#NEW} an append that a
 * per-subject limit (without {@code discardNewPerSubject}) makes room for replaces the subject's oldest
 * message instead of being refused by {@code maxMsgs}/{@code maxBytes}. No rule of the kit depends on them.
 */
public final class ReferenceModel
{
    /** One message as the model holds it. */
    public record Msg(long seq, String subject, byte[] headers, byte[] payload)
    {
        /** Its size as SPI.md "Sizes" counts it: subject (UTF-8) + headers + payload. */
        public long size()
        {
            return Subjects.utf8Length(subject) + (long)headers.length + payload.length;
        }

        @Override
        public boolean equals(final Object o)
        {
            return o instanceof Msg m && seq == m.seq && subject.equals(m.subject) &&
                Arrays.equals(headers, m.headers) && Arrays.equals(payload, m.payload);
        }

        @Override
        public int hashCode()
        {
            return Long.hashCode(seq) * 31 + subject.hashCode();
        }

        @Override
        public String toString()
        {
            return "Msg{seq=" + seq + ", subject=" + subject + ", headers=" + headers.length + "B, payload=" +
                payload.length + "B}";
        }
    }

    /** A removal the model made, with its reason, in the order it made them. */
    public record Removal(long seq, String subject, RemovalReason reason)
    {
    }

    private final StreamConfig config;
    private final TreeMap<Long, Msg> messages = new TreeMap<>();
    private final List<Removal> lastRemovals = new ArrayList<>();
    private long lastSeq;
    private long bytes;

    public ReferenceModel(final StreamConfig config)
    {
        this.config = config;
    }

    /**
     * Appends as a store must: the message gets {@code lastSeq + 1}, or the append is refused and nothing
     * changes.
     *
     * @return the new sequence
     * @throws LimitExceededException when a refusing limit refuses it
     */
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        lastRemovals.clear();
        final Msg msg = new Msg(lastSeq + 1, subject, headers == null ? new byte[0] : headers.clone(), payload.clone());
        final long size = msg.size();
        if (config.maxMsgSize() > 0 && size > config.maxMsgSize())
        {
            throw new LimitExceededException(LimitExceededException.Limit.MAX_MSG_SIZE, "model: size " + size);
        }
        if (config.discardNewPerSubject() && subjectCount(subject) >= config.maxMsgsPerSubject())
        {
            throw new LimitExceededException(LimitExceededException.Limit.MAX_MSGS_PER_SUBJECT, "model: " + subject);
        }
        if (config.maxBytes() > 0 && size > config.maxBytes())
        {
            // No discard policy can make room for it: it would break maxBytes on its own.
            throw new LimitExceededException(LimitExceededException.Limit.MAX_BYTES, "model: larger than maxBytes");
        }
        if (config.discard() == Discard.NEW)
        {
            // A per-subject limit that evicts (no discardNewPerSubject) makes room first, as in NATS.
            long freedMsgs = 0;
            long freedBytes = 0;
            if (config.maxMsgsPerSubject() > 0 && !config.discardNewPerSubject() &&
                subjectCount(subject) >= config.maxMsgsPerSubject())
            {
                final Msg oldest = firstOn(subject);
                freedMsgs = 1;
                freedBytes = oldest.size();
            }
            if (config.maxMsgs() > 0 && messages.size() - freedMsgs + 1 > config.maxMsgs())
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_MSGS, "model: maxMsgs");
            }
            if (config.maxBytes() > 0 && bytes - freedBytes + size > config.maxBytes())
            {
                throw new LimitExceededException(LimitExceededException.Limit.MAX_BYTES, "model: maxBytes");
            }
        }
        lastSeq = msg.seq();
        messages.put(msg.seq(), msg);
        bytes += size;
        if (config.maxMsgsPerSubject() > 0 && !config.discardNewPerSubject())
        {
            while (subjectCount(subject) > config.maxMsgsPerSubject())
            {
                evict(firstOn(subject), RemovalReason.LIMIT_PER_SUBJECT);
            }
        }
        if (config.discard() == Discard.OLD)
        {
            while (config.maxMsgs() > 0 && messages.size() > config.maxMsgs())
            {
                evict(messages.firstEntry().getValue(), RemovalReason.LIMIT_MSGS);
            }
            while (config.maxBytes() > 0 && bytes > config.maxBytes())
            {
                evict(messages.firstEntry().getValue(), RemovalReason.LIMIT_BYTES);
            }
        }
        return msg.seq();
    }

    /** Loads a saved state: the kit's own test stores use it to reopen. */
    void restore(final long savedLastSeq, final List<Msg> saved)
    {
        messages.clear();
        bytes = 0;
        for (final Msg msg : saved)
        {
            messages.put(msg.seq(), msg);
            bytes += msg.size();
        }
        lastSeq = savedLastSeq;
        lastRemovals.clear();
    }

    /** Removes one message; true when it was live. */
    public boolean remove(final long seq)
    {
        lastRemovals.clear();
        final Msg msg = messages.get(seq);
        if (msg == null)
        {
            return false;
        }
        evict(msg, RemovalReason.REMOVED);
        return true;
    }

    /** Removes every message; returns how many. {@code lastSeq} stays. */
    public long purge()
    {
        lastRemovals.clear();
        final long n = messages.size();
        for (final Msg msg : new ArrayList<>(messages.values()))
        {
            evict(msg, RemovalReason.PURGED);
        }
        return n;
    }

    /** The removals made by the last append, remove or purge, in order. */
    public List<Removal> lastRemovals()
    {
        return List.copyOf(lastRemovals);
    }

    public Msg load(final long seq)
    {
        return messages.get(seq);
    }

    public Msg loadNext(final String filter, final long fromSeq)
    {
        for (final Msg msg : messages.tailMap(fromSeq, true).values())
        {
            if (Subjects.matches(filter, msg.subject()))
            {
                return msg;
            }
        }
        return null;
    }

    public Msg loadLast(final String subject)
    {
        for (final Msg msg : messages.descendingMap().values())
        {
            if (msg.subject().equals(subject))
            {
                return msg;
            }
        }
        return null;
    }

    public StreamState state()
    {
        final long msgs = messages.size();
        final long firstSeq = msgs == 0 ? lastSeq + 1 : messages.firstKey();
        final long numDeleted = msgs == 0 ? 0 : lastSeq - firstSeq + 1 - msgs;
        final long numSubjects = messages.values().stream().map(Msg::subject).distinct().count();
        return new StreamState(msgs, bytes, firstSeq, lastSeq, numDeleted, numSubjects);
    }

    public SubjectState subjectState(final String subject)
    {
        long n = 0;
        long first = 0;
        long last = 0;
        for (final Msg msg : messages.values())
        {
            if (msg.subject().equals(subject))
            {
                n++;
                if (first == 0)
                {
                    first = msg.seq();
                }
                last = msg.seq();
            }
        }
        return new SubjectState(subject, n, first, last);
    }

    /** Every live message, by sequence. */
    public Map<Long, Msg> messages()
    {
        return java.util.Collections.unmodifiableMap(messages);
    }

    public long lastSeq()
    {
        return lastSeq;
    }

    private long subjectCount(final String subject)
    {
        long n = 0;
        for (final Msg msg : messages.values())
        {
            if (msg.subject().equals(subject))
            {
                n++;
            }
        }
        return n;
    }

    private Msg firstOn(final String subject)
    {
        for (final Msg msg : messages.values())
        {
            if (msg.subject().equals(subject))
            {
                return msg;
            }
        }
        throw new IllegalStateException("no message on " + subject);
    }

    private void evict(final Msg msg, final RemovalReason reason)
    {
        messages.remove(msg.seq());
        bytes -= msg.size();
        lastRemovals.add(new Removal(msg.seq(), msg.subject(), reason));
    }
}
