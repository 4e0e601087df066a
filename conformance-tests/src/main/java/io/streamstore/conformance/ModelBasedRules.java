package io.streamstore.conformance;

import io.streamstore.spi.Discard;
import io.streamstore.spi.LimitExceededException;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.streamstore.conformance.KitAssertions.assertMessage;
import static io.streamstore.conformance.KitAssertions.state;
import static io.streamstore.conformance.ModelSeeds.longProperty;
import static io.streamstore.conformance.ModelSeeds.seeds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The {@code mdl_*} rules: model-based. {@link StreamStoreConformance} runs them as its nested class
 * {@code ModelBased}; the module's {@code RULES.md} lists each with the SPI.md line it enforces.
 * {@code -Dstreamstore.seed=N} replays one seed (see {@link ModelSeeds}).
 */
abstract class ModelBasedRules extends KitArea
{
    static final String[] MODEL_SUBJECTS = {"m.a", "m.b", "m.c.x", "m.c.y", "n.a", "n.b.c", "o"};
    static final String[] MODEL_FILTERS = {">", "m.>", "m.*", "m.c.*", "*.a", "m.a", "n.>", "*.*.*", "*", "o", "x.>",
        "m.c.>", "*.b.>"};
    /** Steps per seed; {@code -Dstreamstore.model.steps=N} changes it (the soak profile runs more). */
    static final int MODEL_STEPS = (int)longProperty("streamstore.model.steps", 250);

    @Test
    void mdl_01_randomOperationsMatchTheModel()
    {
        runModel("mdl_01", cfg().build(), false);
    }

    @Test
    void mdl_02_randomOperationsWithDiscardOldLimitsMatchTheModel()
    {
        runModel("mdl_02", cfg().maxMsgs(25).maxBytes(2500).maxMsgsPerSubject(6).build(), false);
    }

    @Test
    void mdl_03_randomOperationsWithDiscardNewLimitsMatchTheModel()
    {
        runModel("mdl_03", cfg().discard(Discard.NEW).maxMsgs(25).maxBytes(2500).maxMsgsPerSubject(6)
            .discardNewPerSubject(true).maxMsgSize(200).build(), false);
    }

    @Test
    void mdl_04_randomOperationsWithReopenMatchTheModel()
    {
        assumeDurable("mdl_04");
        runModel("mdl_04", cfg().maxMsgs(30).maxMsgsPerSubject(8).build(), true);
    }

    void runModel(final String rule, final StreamConfig config, final boolean reopens)
    {
        for (final long seed : seeds())
        {
            final ArrayDeque<String> trail = new ArrayDeque<>();
            try
            {
                runModelSeed(config, reopens, seed, trail);
            }
            catch (final Throwable e)
            {
                throw new AssertionFailedError(rule + " failed with seed " + seed + " (replay: -Dstreamstore.seed=" + seed +
                    "); last operations " + trail + ": " + e, e);
            }
        }
    }

    private void runModelSeed(final StreamConfig config, final boolean reopens, final long seed,
        final ArrayDeque<String> trail)
    {
        final Random r = new Random(seed);
        final ReferenceModel model = new ReferenceModel(config);
        final List<String> removals = Collections.synchronizedList(new ArrayList<>());
        final StoreListener listener = new StoreListener()
        {
            @Override
            public void onRemoved(final long seq, final String subject, final RemovalReason reason)
            {
                removals.add(seq + " " + subject + " " + reasonClass(reason));
            }
        };
        StreamStore s = open(config);
        s.addListener(listener);
        for (int step = 0; step < MODEL_STEPS; step++)
        {
            final int op = r.nextInt(100);
            final long last = model.lastSeq();
            removals.clear();
            if (op < 45)
            {
                final String subject = MODEL_SUBJECTS[r.nextInt(MODEL_SUBJECTS.length)];
                final byte[] headers = r.nextInt(4) == 0 ? null : randomBytes(r, r.nextInt(8));
                final byte[] p = randomBytes(r, r.nextInt(r.nextInt(12) == 0 ? 300 : 60));
                trail(trail, "append(" + subject + ", " + (headers == null ? "null" : headers.length + "B") + ", " +
                    p.length + "B)");
                String expected;
                try
                {
                    expected = "seq " + model.append(subject, headers, p);
                }
                catch (final LimitExceededException e)
                {
                    expected = "refused " + e.limit();
                }
                String actual;
                try
                {
                    actual = "seq " + s.append(subject, headers, p);
                }
                catch (final LimitExceededException e)
                {
                    actual = "refused " + (expected.startsWith("refused") ? e.limit() : e.getMessage());
                }
                if (expected.startsWith("refused") && actual.startsWith("refused"))
                {
                    actual = expected; // which limit refused it is not compared when several apply
                }
                assertEquals(expected, actual, "append outcome");
                assertEquals(expectedRemovals(model), sorted(removals), "onRemoved hooks of the append");
            }
            else if (op < 65)
            {
                final long seq;
                final int kind = r.nextInt(10);
                if (kind < 7 && !model.messages().isEmpty())
                {
                    final List<Long> keys = new ArrayList<>(model.messages().keySet());
                    seq = keys.get(r.nextInt(keys.size()));
                }
                else if (kind < 9 && last > 0)
                {
                    seq = 1 + (long)r.nextInt((int)last);
                }
                else
                {
                    seq = last + 1 + r.nextInt(5);
                }
                trail(trail, "remove(" + seq + ")");
                assertEquals(model.remove(seq), s.remove(seq), "remove(" + seq + ")");
                assertEquals(expectedRemovals(model), sorted(removals), "onRemoved hooks of the remove");
            }
            else if (op < 67)
            {
                trail(trail, "purge()");
                assertEquals(model.purge(), s.purge(), "purge()");
                assertEquals(expectedRemovals(model), sorted(removals), "onRemoved hooks of the purge");
            }
            else if (op < 72)
            {
                trail(trail, "compact()");
                assertNotNull(s.compact());
            }
            else if (op < 80)
            {
                final String filter = MODEL_FILTERS[r.nextInt(MODEL_FILTERS.length)];
                final long from = 1 + r.nextInt((int)last + 2);
                trail(trail, "loadNext(" + filter + ", " + from + ")");
                assertMessage("loadNext(" + filter + ", " + from + ")", model.loadNext(filter, from), s.loadNext(filter, from));
            }
            else if (op < 86)
            {
                final String subject = MODEL_SUBJECTS[r.nextInt(MODEL_SUBJECTS.length)];
                trail(trail, "loadLast(" + subject + ")");
                assertMessage("loadLast(" + subject + ")", model.loadLast(subject), s.loadLast(subject));
            }
            else if (op < 92)
            {
                final long seq = 1 + r.nextInt((int)last + 2);
                trail(trail, "load(" + seq + ")");
                assertMessage("load(" + seq + ")", model.load(seq), s.load(seq));
            }
            else if (op < 96)
            {
                final String subject = MODEL_SUBJECTS[r.nextInt(MODEL_SUBJECTS.length)];
                trail(trail, "subjectState(" + subject + ")");
                assertEquals(model.subjectState(subject), s.subjectState(subject));
            }
            else if (reopens)
            {
                trail(trail, "close+reopen");
                s = reopen(s);
                s.addListener(listener);
            }
            else
            {
                trail(trail, "sync()");
                s.sync();
            }
            assertEquals(model.state(), s.state(), "state() after step " + step);
            if (step % 25 == 24 || step == MODEL_STEPS - 1)
            {
                compareEverything(model, s);
            }
        }
    }

    private static void compareEverything(final ReferenceModel model, final StreamStore s)
    {
        final StreamState st = model.state();
        for (long seq = Math.max(1, st.firstSeq() - 2); seq <= st.lastSeq() + 1; seq++)
        {
            assertMessage("full check load(" + seq + ")", model.load(seq), s.load(seq));
        }
        for (final String subject : MODEL_SUBJECTS)
        {
            assertEquals(model.subjectState(subject), s.subjectState(subject), "full check subjectState");
            assertMessage("full check loadLast(" + subject + ")", model.loadLast(subject), s.loadLast(subject));
        }
    }

    private static void trail(final ArrayDeque<String> trail, final String op)
    {
        if (trail.size() == 12)
        {
            trail.removeFirst();
        }
        trail.addLast(op);
    }

    /** LIMIT_MSGS and LIMIT_BYTES both evict the oldest; when one append breaks both, either reason is right. */
    static String reasonClass(final RemovalReason reason)
    {
        return reason == RemovalReason.LIMIT_MSGS || reason == RemovalReason.LIMIT_BYTES ? "LIMIT_MSGS|BYTES" :
            reason.name();
    }

    private static List<String> expectedRemovals(final ReferenceModel model)
    {
        final List<String> expected = new ArrayList<>();
        for (final ReferenceModel.Removal removal : model.lastRemovals())
        {
            expected.add(removal.seq() + " " + removal.subject() + " " + reasonClass(removal.reason()));
        }
        return sorted(expected);
    }

    private static List<String> sorted(final List<String> removals)
    {
        final List<String> copy;
        synchronized (removals)
        {
            copy = new ArrayList<>(removals);
        }
        copy.sort((a, b) -> Long.compare(Long.parseLong(a.substring(0, a.indexOf(' '))),
            Long.parseLong(b.substring(0, b.indexOf(' ')))));
        return copy;
    }

    private static byte[] randomBytes(final Random r, final int n)
    {
        final byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
