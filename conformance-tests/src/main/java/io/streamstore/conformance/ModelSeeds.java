package io.streamstore.conformance;

import java.util.Arrays;

/**
 * The seeds the model-based rules run: a fixed list, {@code -Dstreamstore.seed=N} to replay one, and
 * {@code -Dstreamstore.model.seeds=N} for N more (the {@code soak} profile).
 */
final class ModelSeeds
{
    /** Seeds of the model-based rules when {@code streamstore.seed} is not set. */
    static final long[] FIXED_SEEDS = {1, 2, 3, 42, 1234, 5702, 5719, 5761};

    private ModelSeeds()
    {
    }

    /**
     * The seeds of the model-based rules: {@code -Dstreamstore.seed=N} replays one; otherwise the fixed list,
     * plus seeds 1,000,000 onwards when {@code -Dstreamstore.model.seeds=N} asks for N more (the soak profile).
     */
    static long[] seeds()
    {
        final String replay = System.getProperty("streamstore.seed");
        if (replay == null || replay.isBlank())
        {
            final int more = (int)longProperty("streamstore.model.seeds", 0);
            final long[] seeds = Arrays.copyOf(FIXED_SEEDS, FIXED_SEEDS.length + more);
            for (int i = 0; i < more; i++)
            {
                seeds[FIXED_SEEDS.length + i] = 1_000_000L + i;
            }
            return seeds;
        }
        try
        {
            return new long[]{Long.parseLong(replay.trim())};
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException("streamstore.seed must be a whole number, was '" + replay + "'");
        }
    }

    static long longProperty(final String name, final long defaultValue)
    {
        final String raw = System.getProperty(name);
        if (raw == null || raw.isBlank())
        {
            return defaultValue;
        }
        try
        {
            return Long.parseLong(raw.trim());
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(name + " must be a whole number, was '" + raw + "'");
        }
    }
}
