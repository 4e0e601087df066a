package io.streamstore.memstore;

import io.streamstore.spi.StoredMessage;

/**
 * One message as the memory store keeps it and hands it out: reads return this very object, so its
 * arrays are shared and read-only by the {@link StoredMessage} contract. It also points at its
 * subject's index, so that a removal finds the index without a hash lookup.
 */
final class MemoryMessage implements StoredMessage
{
    static final byte[] EMPTY = new byte[0];

    final long seq;
    final String subject;
    final byte[] headers;
    final byte[] payload;
    final long timestamp;
    final long size;
    final SubjectIndex index;

    MemoryMessage(
        final long seq,
        final String subject,
        final byte[] headers,
        final byte[] payload,
        final long timestamp,
        final long size,
        final SubjectIndex index)
    {
        this.seq = seq;
        this.subject = subject;
        this.headers = headers;
        this.payload = payload;
        this.timestamp = timestamp;
        this.size = size;
        this.index = index;
    }

    @Override
    public long seq()
    {
        return seq;
    }

    @Override
    public String subject()
    {
        return subject;
    }

    @Override
    public byte[] headers()
    {
        return headers;
    }

    @Override
    public byte[] payload()
    {
        return payload;
    }

    @Override
    public long timestamp()
    {
        return timestamp;
    }

    @Override
    public long size()
    {
        return size;
    }

    @Override
    public String toString()
    {
        return "MemoryMessage{seq=" + seq + ", subject=" + subject + ", headers=" + headers.length +
            "B, payload=" + payload.length + "B, timestamp=" + timestamp + "}";
    }
}
