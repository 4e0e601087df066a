package io.streamstore.conformance;

import io.streamstore.spi.Subjects;

import java.nio.charset.StandardCharsets;

/** Message contents for the rules: text, salted payloads, and the size a store counts for a message. */
final class KitPayloads
{
    private KitPayloads()
    {
    }

    static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A payload of {@code size} bytes whose content depends on {@code salt}, so that mix-ups show. */
    static byte[] payload(final int size, final long salt)
    {
        final byte[] b = new byte[size];
        long x = salt * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < size; i++)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte)x;
        }
        return b;
    }

    static long size(final String subject, final byte[] headers, final byte[] payload)
    {
        return Subjects.utf8Length(subject) + (headers == null ? 0L : headers.length) + payload.length;
    }
}
