package io.streamstore.spi;

/** Argument checks every backend makes the same way, so that bad input reads the same everywhere. */
public final class Arguments
{
    private Arguments()
    {
    }

    /**
     * @throws IllegalArgumentException naming {@code name} if {@code seq} is below 1 (sequences start at 1)
     */
    public static long requireSequence(final long seq, final String name)
    {
        if (seq < 1)
        {
            throw new IllegalArgumentException(name + " must be >= 1 (sequences start at 1), was " + seq);
        }
        return seq;
    }

    /**
     * @throws IllegalArgumentException naming {@code name} if {@code value} is null
     */
    public static <T> T requireNonNull(final T value, final String name)
    {
        if (value == null)
        {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }
}
