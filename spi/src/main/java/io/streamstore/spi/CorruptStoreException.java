package io.streamstore.spi;

/**
 * Stored data is damaged in a way recovery cannot repair without losing acknowledged messages (for
 * example a bad record before the tail). The store refuses to guess: restore the named file from a
 * replica or backup, or move it away to accept the loss.
 */
public class CorruptStoreException extends StoreException
{
    private static final long serialVersionUID = 1L;

    private final String file;
    private final long offset;

    public CorruptStoreException(final String message)
    {
        this(message, null, -1, null);
    }

    public CorruptStoreException(final String message, final String file, final long offset, final Throwable cause)
    {
        super(message, cause);
        this.file = file;
        this.offset = offset;
    }

    /** The damaged file, or null when the damage is not in one file. */
    public String file()
    {
        return file;
    }

    /** The byte offset of the damage in {@link #file()}, or -1 when unknown. */
    public long offset()
    {
        return offset;
    }
}
