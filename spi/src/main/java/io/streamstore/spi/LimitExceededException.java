package io.streamstore.spi;

/**
 * An append was refused by a limit ({@link Discard#NEW}, {@code discardNewPerSubject} or
 * {@code maxMsgSize}). Nothing changed: no message was stored and no sequence was used up.
 */
public class LimitExceededException extends StoreException
{
    private static final long serialVersionUID = 1L;

    /** Which limit refused the append. */
    public enum Limit
    {
        MAX_MSGS, MAX_BYTES, MAX_MSGS_PER_SUBJECT, MAX_MSG_SIZE
    }

    private final Limit limit;

    public LimitExceededException(final Limit limit, final String message)
    {
        super(message);
        this.limit = limit;
    }

    /** The limit that refused the append. */
    public Limit limit()
    {
        return limit;
    }
}
