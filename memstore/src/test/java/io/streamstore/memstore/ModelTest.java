package io.streamstore.memstore;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.Subjects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random appends, removals, purges and compactions, checked after every step against a plain
 * {@link TreeMap} model. Exercises the ring's growth, wrap, spill and shrink and the subject indexes'
 * lazy removal and compaction far beyond what hand-written cases reach. A failure names its seed.
 */
class ModelTest
{
    private static final String[] SUBJECTS = {"s.0", "s.1", "s.2", "s.3", "s.4", "t.a.0", "t.a.1", "t.b.2"};
    private static final String[] FILTERS = {">", "s.*", "s.1", "t.>", "t.*.1", "*.a.*", "t.b.2", "none"};

    record Msg(long seq, String subject, long size)
    {
    }

    static Stream<Arguments> runs()
    {
        final List<StreamConfig> configs = List.of(
            StreamConfig.builder("plain").build(),
            StreamConfig.builder("maxmsgs").maxMsgs(40).build(),
            StreamConfig.builder("persubject").maxMsgsPerSubject(3).build(),
            StreamConfig.builder("bytesnew").maxBytes(600).discard(Discard.NEW).maxMsgsPerSubject(5).build(),
            StreamConfig.builder("msgsnew").maxMsgs(30).discard(Discard.NEW).maxMsgsPerSubject(4)
                .discardNewPerSubject(true).build(),
            // removes nearly every message right after its append, so a few old ones outlive thousands: the ring spills
            StreamConfig.builder("churn").build());
        return LongStream.rangeClosed(1, 6).boxed()
            .flatMap(seed -> configs.stream().map(c -> Arguments.of(c.name(), seed, c)))
            .filter(a -> !a.get()[0].equals("churn") || (long)a.get()[1] <= 2);
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("runs")
    void matchesTheModelAfterEveryStep(final String name, final long seed, final StreamConfig config)
    {
        final Random random = new Random(seed);
        final boolean churn = name.equals("churn");
        final TreeMap<Long, Msg> model = new TreeMap<>();
        final List<Long> live = new ArrayList<>();
        long lastSeq = 0;
        try (StreamStore store = new MemoryStoreProvider().open(null, config))
        {
            for (int step = 0; step < (churn ? 20_000 : 6000); step++)
            {
                final String where = name + " seed " + seed + " step " + step;
                final int op = random.nextInt(100);
                if (op < (churn ? 99 : 52))
                {
                    final String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
                    final int payload = random.nextInt(40);
                    final long size = subject.length() + payload;
                    final LimitExceededException.Limit refusal = modelAppend(config, model, live, subject, size, lastSeq + 1);
                    if (refusal == null)
                    {
                        lastSeq++;
                        assertEquals(lastSeq, store.append(subject, new byte[payload]), where);
                        if (churn && random.nextInt(100) < 97)
                        {
                            model.remove(lastSeq);
                            live.remove(lastSeq);
                            assertEquals(true, store.remove(lastSeq), where);
                        }
                    }
                    else
                    {
                        try
                        {
                            store.append(subject, new byte[payload]);
                            throw new AssertionError(where + ": expected refusal by " + refusal);
                        }
                        catch (final LimitExceededException e)
                        {
                            assertEquals(refusal, e.limit(), where);
                        }
                    }
                }
                else if (op < 97)
                {
                    final long seq;
                    if (!live.isEmpty() && random.nextInt(10) < 8)
                    {
                        seq = random.nextInt(4) == 0 ? model.firstKey() : live.get(random.nextInt(live.size()));
                    }
                    else
                    {
                        seq = 1 + random.nextInt((int)lastSeq + 2);
                    }
                    final boolean removed = model.remove(seq) != null;
                    if (removed)
                    {
                        live.remove(seq);
                    }
                    assertEquals(removed, store.remove(seq), where + " remove " + seq);
                }
                else if (op < 98 && !churn)
                {
                    assertEquals(model.size(), store.purge(), where);
                    model.clear();
                    live.clear();
                }
                else
                {
                    store.compact();
                }
                if (!churn || step % 10 == 0)
                {
                    assertEquals(modelState(model, lastSeq), store.state(), where);
                }
                if (step % (churn ? 500 : 50) == 0 || op >= 97)
                {
                    checkReads(store, model, lastSeq, random, where);
                }
            }
            checkReads(store, model, lastSeq, random, name + " seed " + seed + " at the end");
            if (churn)
            {
                assertTrue(((MemoryStore)store).ringForTests().spills() > 0, "the churn run spilled nothing");
            }
        }
    }

    /** The model's append: evicts as the rules say and returns null, or returns the refusing limit. */
    private static LimitExceededException.Limit modelAppend(
        final StreamConfig config, final TreeMap<Long, Msg> model, final List<Long> live, final String subject,
        final long size, final long seq)
    {
        final List<Msg> ofSubject = model.values().stream().filter(m -> m.subject.equals(subject)).toList();
        int evict = 0;
        long evictBytes = 0;
        if (config.maxMsgsPerSubject() > 0 && ofSubject.size() >= config.maxMsgsPerSubject())
        {
            if (config.discardNewPerSubject())
            {
                return LimitExceededException.Limit.MAX_MSGS_PER_SUBJECT;
            }
            evict = (int)(ofSubject.size() - config.maxMsgsPerSubject() + 1);
            for (int i = 0; i < evict; i++)
            {
                evictBytes += ofSubject.get(i).size;
            }
        }
        final long bytes = model.values().stream().mapToLong(Msg::size).sum();
        if (config.maxBytes() > 0 && size > config.maxBytes())
        {
            return LimitExceededException.Limit.MAX_BYTES;
        }
        if (config.discard() == Discard.NEW)
        {
            if (config.maxMsgs() > 0 && model.size() - evict + 1 > config.maxMsgs())
            {
                return LimitExceededException.Limit.MAX_MSGS;
            }
            if (config.maxBytes() > 0 && bytes - evictBytes + size > config.maxBytes())
            {
                return LimitExceededException.Limit.MAX_BYTES;
            }
        }
        for (int i = 0; i < evict; i++)
        {
            model.remove(ofSubject.get(i).seq);
            live.remove(ofSubject.get(i).seq);
        }
        if (config.discard() == Discard.OLD)
        {
            while (config.maxMsgs() > 0 && model.size() >= config.maxMsgs())
            {
                live.remove(model.pollFirstEntry().getKey());
            }
            while (config.maxBytes() > 0 && model.values().stream().mapToLong(Msg::size).sum() + size > config.maxBytes())
            {
                live.remove(model.pollFirstEntry().getKey());
            }
        }
        model.put(seq, new Msg(seq, subject, size));
        live.add(seq);
        return null;
    }

    private static StreamState modelState(final TreeMap<Long, Msg> model, final long lastSeq)
    {
        final long msgs = model.size();
        final long first = model.isEmpty() ? lastSeq + 1 : model.firstKey();
        final long bytes = model.values().stream().mapToLong(Msg::size).sum();
        final long subjects = model.values().stream().map(Msg::subject).distinct().count();
        return new StreamState(msgs, bytes, first, lastSeq, msgs == 0 ? 0 : lastSeq - first + 1 - msgs, subjects);
    }

    private static void checkReads(
        final StreamStore store, final TreeMap<Long, Msg> model, final long lastSeq, final Random random, final String where)
    {
        final List<Long> probes = new ArrayList<>(model.keySet());
        for (int i = 0; i < 300; i++)
        {
            probes.add(1L + random.nextInt((int)lastSeq + 2));
        }
        for (final long seq : probes)
        {
            final Msg expected = model.get(seq);
            final StoredMessage actual = store.load(seq);
            if (expected == null)
            {
                assertNull(actual, where + " load " + seq);
            }
            else
            {
                assertEquals(expected.subject, actual.subject(), where + " load " + seq);
                assertEquals(expected.size, actual.size(), where + " load " + seq);
            }
        }
        for (final String subject : SUBJECTS)
        {
            final List<Long> seqs = model.values().stream().filter(m -> m.subject.equals(subject)).map(Msg::seq).toList();
            assertEquals(seqs.isEmpty() ? SubjectState.empty(subject) :
                new SubjectState(subject, seqs.size(), seqs.get(0), seqs.get(seqs.size() - 1)), store.subjectState(subject), where);
            final StoredMessage lastOne = store.loadLast(subject);
            assertEquals(seqs.isEmpty() ? null : seqs.get(seqs.size() - 1), lastOne == null ? null : lastOne.seq(),
                where + " loadLast " + subject);
        }
        for (final String filter : FILTERS)
        {
            for (int i = 0; i < 5; i++)
            {
                final long from = 1 + random.nextInt((int)lastSeq + 2);
                final Long expected = model.tailMap(from, true).entrySet().stream()
                    .filter(e -> Subjects.matches(filter, e.getValue().subject))
                    .map(Map.Entry::getKey).findFirst().orElse(null);
                final StoredMessage actual = store.loadNext(filter, from);
                assertEquals(expected, actual == null ? null : actual.seq(), where + " loadNext " + filter + " from " + from);
            }
        }
    }
}
