package io.streamstore.spi;

/** A call reached a store after {@link StreamStore#close()}. Open the store again to go on. */
public class StoreClosedException extends StoreException
{
    private static final long serialVersionUID = 1L;

    public StoreClosedException(final String message)
    {
        super(message);
    }
}
