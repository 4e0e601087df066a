package io.streamstore.filestore;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Bytes of one record in a block file, both ways. All integers are little-endian.
 *
 * <p>A message record:
 * <pre>
 * | offset        | size | field                                                         |
 * |---------------|------|---------------------------------------------------------------|
 * | 0             | 4    | length: the whole record, checksum included (int32)           |
 * | 4             | 8    | sequence; bits 62..63 are the kind, 00 = message              |
 * | 12            | 8    | timestamp, nanoseconds since the epoch                        |
 * | 20            | 2    | subject length s in UTF-8 bytes (1..480)                      |
 * | 22            | 4    | header length h (0..)                                         |
 * | 26            | s    | subject, UTF-8                                                |
 * | 26+s          | h    | headers                                                       |
 * | 26+s+h        | p    | payload, p = length - 30 - s - h                              |
 * | length-4      | 4    | CRC32C of bytes [0, length-4)                                 |
 * </pre>
 *
 * <p>A control record is 16 bytes:
 * <pre>
 * | offset | size | field                                                                   |
 * |--------|------|-------------------------------------------------------------------------|
 * | 0      | 4    | length = 16                                                             |
 * | 4      | 8    | value; bits 62..63 the kind: 01 tombstone, 10 floor, 11 purge floor     |
 * | 12     | 4    | CRC32C of bytes [0, 12)                                                 |
 * </pre>
 * A <b>tombstone</b>'s value is the removed sequence. A <b>floor</b> says "the stream's last sequence was at
 * least this when the block was made"; every block starts with one, so {@code lastSeq} survives the loss
 * of the blocks that held it. A <b>purge floor</b> is a floor that also removes every message with a
 * sequence at or below it held by an older block.
 *
 * <p>Nothing read from disk is trusted: {@link #check} bounds every length against the bytes that are
 * really there before anything is allocated, and verifies the checksum.
 */
final class RecordCodec
{
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    static final int LENGTH_OFFSET = 0;
    static final int SEQ_OFFSET = 4;
    static final int TIMESTAMP_OFFSET = 12;
    static final int SUBJECT_LENGTH_OFFSET = 20;
    static final int HEADERS_LENGTH_OFFSET = 22;
    static final int SUBJECT_OFFSET = 26;
    static final int CHECKSUM_LENGTH = 4;
    /** Bytes a message record adds to subject, headers and payload. */
    static final int MESSAGE_FRAMING = SUBJECT_OFFSET + CHECKSUM_LENGTH;
    static final int CONTROL_LENGTH = 16;
    /** Largest record accepted on write or read: bounds what a corrupt length can make us touch. */
    static final int MAX_RECORD_LENGTH = 1 << 30;
    static final int MAX_SUBJECT_LENGTH = io.streamstore.spi.Subjects.MAX_SUBJECT_BYTES;

    static final int KIND_MESSAGE = 0;
    static final int KIND_TOMBSTONE = 1;
    static final int KIND_FLOOR = 2;
    static final int KIND_PURGE = 3;

    private static final long VALUE_MASK = (1L << 62) - 1;

    /** Result of {@link #check}: not a whole valid record. */
    static final int INVALID = -1;

    private RecordCodec()
    {
    }

    static int messageLength(final int subjectLength, final int headersLength, final int payloadLength)
    {
        final long length = (long)MESSAGE_FRAMING + subjectLength + headersLength + payloadLength;
        return length > MAX_RECORD_LENGTH ? -1 : (int)length;
    }

    /** Writes a message record at {@code offset}; returns its length. */
    static int encodeMessage(
        final MutableDirectBuffer buffer,
        final int offset,
        final long seq,
        final long timestamp,
        final byte[] subject,
        final byte[] headers,
        final byte[] payload,
        final ByteBuffer view,
        final CRC32C crc)
    {
        final int length = MESSAGE_FRAMING + subject.length + headers.length + payload.length;
        buffer.putInt(offset + LENGTH_OFFSET, length, ORDER);
        buffer.putLong(offset + SEQ_OFFSET, seq, ORDER);
        buffer.putLong(offset + TIMESTAMP_OFFSET, timestamp, ORDER);
        buffer.putShort(offset + SUBJECT_LENGTH_OFFSET, (short)subject.length, ORDER);
        buffer.putInt(offset + HEADERS_LENGTH_OFFSET, headers.length, ORDER);
        int at = offset + SUBJECT_OFFSET;
        buffer.putBytes(at, subject);
        at += subject.length;
        buffer.putBytes(at, headers);
        at += headers.length;
        buffer.putBytes(at, payload);
        at += payload.length;
        buffer.putInt(at, checksum(buffer, view, offset, length - CHECKSUM_LENGTH, crc), ORDER);
        return length;
    }

    /** Writes a 16-byte control record of {@code kind} at {@code offset}. */
    static int encodeControl(final MutableDirectBuffer buffer, final int offset, final int kind, final long value,
        final ByteBuffer view, final CRC32C crc)
    {
        buffer.putInt(offset + LENGTH_OFFSET, CONTROL_LENGTH, ORDER);
        buffer.putLong(offset + SEQ_OFFSET, ((long)kind << 62) | value, ORDER);
        buffer.putInt(offset + 12, checksum(buffer, view, offset, 12, crc), ORDER);
        return CONTROL_LENGTH;
    }

    /**
     * Checks the record at {@code offset}, where {@code limit} is the end of the bytes really there.
     *
     * @return the record's length, or {@link #INVALID} when the bytes are not one whole, well-formed record
     * with a matching checksum
     */
    static int check(final DirectBuffer buffer, final ByteBuffer view, final int offset, final int limit,
        final CRC32C crc)
    {
        if (offset < 0 || limit - offset < CONTROL_LENGTH)
        {
            return INVALID;
        }
        final int length = buffer.getInt(offset + LENGTH_OFFSET, ORDER);
        if (length < CONTROL_LENGTH || length > MAX_RECORD_LENGTH || length > limit - offset)
        {
            return INVALID;
        }
        final long raw = buffer.getLong(offset + SEQ_OFFSET, ORDER);
        final int kind = (int)(raw >>> 62);
        final long value = raw & VALUE_MASK;
        if (kind == KIND_MESSAGE)
        {
            if (length < MESSAGE_FRAMING + 1 || value < 1)
            {
                return INVALID;
            }
            final int subjectLength = buffer.getShort(offset + SUBJECT_LENGTH_OFFSET, ORDER) & 0xFFFF;
            final int headersLength = buffer.getInt(offset + HEADERS_LENGTH_OFFSET, ORDER);
            if (subjectLength < 1 || subjectLength > MAX_SUBJECT_LENGTH || headersLength < 0 ||
                (long)MESSAGE_FRAMING + subjectLength + headersLength > length)
            {
                return INVALID;
            }
        }
        else if (length != CONTROL_LENGTH || (kind == KIND_TOMBSTONE && value < 1))
        {
            return INVALID;
        }
        final int stored = buffer.getInt(offset + length - CHECKSUM_LENGTH, ORDER);
        return stored == checksum(buffer, view, offset, length - CHECKSUM_LENGTH, crc) ? length : INVALID;
    }

    /**
     * CRC32C of {@code length} bytes at {@code offset}. {@code view} is a reusable duplicate of the
     * {@link java.nio.ByteBuffer} a direct {@code buffer} wraps at index 0 (so that no view is allocated per
     * record), or null for a buffer that wraps a {@code byte[]} at index 0.
     */
    static int checksum(final DirectBuffer buffer, final ByteBuffer view, final int offset, final int length,
        final CRC32C crc)
    {
        crc.reset();
        if (view == null)
        {
            crc.update(buffer.byteArray(), offset, length);
        }
        else
        {
            view.limit(offset + length).position(offset);
            crc.update(view);
        }
        return (int)crc.getValue();
    }

    static int length(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + LENGTH_OFFSET, ORDER);
    }

    static int kind(final DirectBuffer buffer, final int offset)
    {
        return (int)(buffer.getLong(offset + SEQ_OFFSET, ORDER) >>> 62);
    }

    /** The sequence of a message, the removed sequence of a tombstone, the value of a floor. */
    static long value(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + SEQ_OFFSET, ORDER) & VALUE_MASK;
    }

    static long timestamp(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + TIMESTAMP_OFFSET, ORDER);
    }

    static int subjectLength(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + SUBJECT_LENGTH_OFFSET, ORDER) & 0xFFFF;
    }

    static int headersLength(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + HEADERS_LENGTH_OFFSET, ORDER);
    }
}
