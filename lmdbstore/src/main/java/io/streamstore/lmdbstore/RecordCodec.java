package io.streamstore.lmdbstore;

import io.streamstore.spi.CorruptStoreException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Turns a message into the value stored under its sequence in the {@code msgs} database, and back,
 * checking a CRC32C on every read: LMDB checksums nothing, so a flipped bit in its file would otherwise
 * come back as silently wrong data.
 *
 * <p>Key: the sequence as 8 bytes big-endian (so LMDB's byte order is sequence order). Value:
 * <pre>
 * | offset       | size | field                                                          |
 * |--------------|------|----------------------------------------------------------------|
 * | 0            | 8    | timestamp, epoch nanoseconds, big-endian                       |
 * | 8            | 2    | subject length s (UTF-8 bytes, unsigned)                       |
 * | 10           | 4    | headers length h                                               |
 * | 14           | s    | subject, UTF-8                                                 |
 * | 14+s         | h    | headers                                                        |
 * | 14+s+h       | p    | payload (the rest)                                             |
 * | 14+s+h+p     | 4    | CRC32C over the 8-byte key, then bytes [0, 14+s+h+p) of value  |
 * </pre>
 * The key is inside the checksum, so a record that ends up under the wrong key is caught too.
 * Not thread-safe: the store uses it under its lock.
 */
final class RecordCodec
{
    static final int HEADER_LENGTH = 14;
    static final int OVERHEAD = HEADER_LENGTH + 4;

    private final CRC32C crc = new CRC32C();
    private final byte[] keyBytes = new byte[8];
    private final String file;

    RecordCodec(final String file)
    {
        this.file = file;
    }

    /** The value for a message; size is 18 + subject + headers + payload bytes. */
    byte[] encode(final long seq, final long timestamp, final byte[] subject, final byte[] headers, final byte[] payload)
    {
        final int h = headers == null ? 0 : headers.length;
        final int bodyLength = HEADER_LENGTH + subject.length + h + payload.length;
        final byte[] record = new byte[bodyLength + 4];
        putLong(record, 0, timestamp);
        record[8] = (byte)(subject.length >>> 8);
        record[9] = (byte)subject.length;
        putInt(record, 10, h);
        System.arraycopy(subject, 0, record, HEADER_LENGTH, subject.length);
        if (h > 0)
        {
            System.arraycopy(headers, 0, record, HEADER_LENGTH + subject.length, h);
        }
        System.arraycopy(payload, 0, record, HEADER_LENGTH + subject.length + h, payload.length);
        putInt(record, bodyLength, checksum(seq, record, bodyLength));
        return record;
    }

    /**
     * Checks the record of {@code seq} held in {@code buf[0, length)}.
     *
     * @throws CorruptStoreException when the lengths do not add up or the checksum does not match
     */
    void verify(final long seq, final byte[] buf, final int length)
    {
        if (length < OVERHEAD)
        {
            throw corrupt(seq, "is " + length + " bytes long, shorter than the " + OVERHEAD + "-byte minimum");
        }
        final int s = subjectLength(buf);
        final int h = headersLength(buf);
        if (h < 0 || (long)HEADER_LENGTH + s + h + 4 > length)
        {
            throw corrupt(seq, "has field lengths (subject " + s + ", headers " + h + ") that overrun its " + length +
                " bytes");
        }
        final int bodyLength = length - 4;
        final int stored = getInt(buf, bodyLength);
        final int computed = checksum(seq, buf, bodyLength);
        if (stored != computed)
        {
            throw corrupt(seq, String.format("fails its CRC32C check (stored %08x, computed %08x)", stored, computed));
        }
    }

    /** Builds the message from a record that passed {@link #verify}. */
    static LmdbMessage decode(final long seq, final byte[] buf, final int length)
    {
        final int s = subjectLength(buf);
        final int h = headersLength(buf);
        final String subject = new String(buf, HEADER_LENGTH, s, StandardCharsets.UTF_8);
        final byte[] headers = Arrays.copyOfRange(buf, HEADER_LENGTH + s, HEADER_LENGTH + s + h);
        final byte[] payload = Arrays.copyOfRange(buf, HEADER_LENGTH + s + h, length - 4);
        return new LmdbMessage(seq, subject, headers, payload, getLong(buf, 0));
    }

    static String subject(final byte[] buf)
    {
        return new String(buf, HEADER_LENGTH, subjectLength(buf), StandardCharsets.UTF_8);
    }

    static byte[] subjectBytes(final byte[] buf)
    {
        return Arrays.copyOfRange(buf, HEADER_LENGTH, HEADER_LENGTH + subjectLength(buf));
    }

    static long timestamp(final byte[] buf)
    {
        return getLong(buf, 0);
    }

    /** The message size as limits count it, from a value's length. */
    static long messageSize(final int valueLength)
    {
        return valueLength - OVERHEAD;
    }

    static int subjectLength(final byte[] buf)
    {
        return ((buf[8] & 0xFF) << 8) | (buf[9] & 0xFF);
    }

    static int headersLength(final byte[] buf)
    {
        return getInt(buf, 10);
    }

    CorruptStoreException corrupt(final long seq, final String what)
    {
        return new CorruptStoreException("the record of sequence " + seq + " in " + file + " " + what +
            "; the file is damaged: restore it from a replica or backup, or remove the store to accept the loss",
            file, -1, null);
    }

    private int checksum(final long seq, final byte[] buf, final int length)
    {
        putLong(keyBytes, 0, seq);
        crc.reset();
        crc.update(keyBytes, 0, 8);
        crc.update(buf, 0, length);
        return (int)crc.getValue();
    }

    static void putLong(final byte[] b, final int at, final long v)
    {
        for (int i = 7; i >= 0; i--)
        {
            b[at + 7 - i] = (byte)(v >>> (i * 8));
        }
    }

    static long getLong(final byte[] b, final int at)
    {
        long v = 0;
        for (int i = 0; i < 8; i++)
        {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    static void putInt(final byte[] b, final int at, final int v)
    {
        b[at] = (byte)(v >>> 24);
        b[at + 1] = (byte)(v >>> 16);
        b[at + 2] = (byte)(v >>> 8);
        b[at + 3] = (byte)v;
    }

    static int getInt(final byte[] b, final int at)
    {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }
}
