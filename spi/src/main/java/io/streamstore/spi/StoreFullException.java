package io.streamstore.spi;

/**
 * The store has no room for a change: the disk is full, or a backend's configured ceiling (such as
 * an LMDB map size) is reached. The change was not made. Free space or raise the ceiling.
 */
public class StoreFullException extends StoreException
{
    private static final long serialVersionUID = 1L;

    public StoreFullException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
