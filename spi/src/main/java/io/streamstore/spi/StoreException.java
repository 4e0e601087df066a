package io.streamstore.spi;

/**
 * Base of every failure a store reports. Its message says what went wrong and what to do about it.
 * A store that raised one for a write or force error is failed: every later write raises again until
 * the store is closed and reopened (fail-stop, so nothing is acknowledged that might not be on disk).
 */
public class StoreException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public StoreException(final String message)
    {
        super(message);
    }

    public StoreException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
