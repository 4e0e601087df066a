package io.streamstore.conformance;

import io.streamstore.spi.StoredMessage;

/** A message held as plain fields: what the kit's own test stores hand out. */
public record TestMessage(long seq, String subject, byte[] headers, byte[] payload, long timestamp)
    implements StoredMessage
{
    /** The model's message with the store's timestamp, or null for no message. */
    public static StoredMessage of(final ReferenceModel.Msg m, final long timestamp)
    {
        return m == null ? null : new TestMessage(m.seq(), m.subject(), m.headers(), m.payload(), timestamp);
    }
}
