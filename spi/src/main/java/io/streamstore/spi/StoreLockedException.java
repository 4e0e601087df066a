package io.streamstore.spi;

/**
 * The directory is already open by another store, in this process or another one. Close that store
 * first; two writers on one directory would corrupt it.
 */
public class StoreLockedException extends StoreException
{
    private static final long serialVersionUID = 1L;

    public StoreLockedException(final String message)
    {
        super(message);
    }
}
