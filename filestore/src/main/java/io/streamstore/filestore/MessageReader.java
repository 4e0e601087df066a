package io.streamstore.filestore;

import io.streamstore.spi.CorruptStoreException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Reads one message back: copies its record out of the write buffer or a sealed block's mapping into a
 * scratch array, verifies the record's checksum and sequence there, and only then builds the message.
 * A record damaged after it was written (a flipped bit on disk, a file changed behind the store's back)
 * is a {@link CorruptStoreException} naming the file and offset, never a wrong payload. Used under the
 * store's lock.
 */
final class MessageReader
{
    private static final byte[] EMPTY = new byte[0];

    private final CRC32C crc = new CRC32C();
    private byte[] scratch = new byte[256];
    private UnsafeBuffer scratchBuffer = new UnsafeBuffer(scratch);

    /**
     * The live message {@code seq} of block {@code b}, or null when it expired (its timestamp is below
     * {@code expiredBefore}; {@code Long.MIN_VALUE} hides nothing).
     */
    FileMessage read(final Index index, final Block b, final long seq, final long expiredBefore)
    {
        final int slot = (int)(seq - b.base);
        final int offset = b.offsets[slot];
        final DirectBuffer buffer = index.buffer(b);
        final int limit = index.limit(b);
        if (offset < 0 || (long)offset + RecordCodec.MESSAGE_FRAMING > limit)
        {
            throw corrupt(b, offset, seq, "lies beyond the end of the file");
        }
        final int length = RecordCodec.length(buffer, offset);
        if (length <= RecordCodec.MESSAGE_FRAMING || length > limit - offset)
        {
            throw corrupt(b, offset, seq, "lies beyond the end of the file");
        }
        if (scratch.length < length)
        {
            scratch = new byte[Math.max(length, scratch.length * 2)];
            scratchBuffer = new UnsafeBuffer(scratch);
        }
        buffer.getBytes(offset, scratch, 0, length);
        if (RecordCodec.check(scratchBuffer, null, 0, length, crc) != length ||
            RecordCodec.kind(scratchBuffer, 0) != RecordCodec.KIND_MESSAGE || RecordCodec.value(scratchBuffer, 0) != seq)
        {
            throw corrupt(b, offset, seq, "fails its checksum");
        }
        final long timestamp = RecordCodec.timestamp(scratchBuffer, 0);
        if (timestamp < expiredBefore)
        {
            return null;
        }
        final int subjectLength = RecordCodec.subjectLength(scratchBuffer, 0);
        final int headersLength = RecordCodec.headersLength(scratchBuffer, 0);
        final int payloadOffset = RecordCodec.SUBJECT_OFFSET + subjectLength + headersLength;
        final byte[] headers = headersLength == 0 ? EMPTY : new byte[headersLength];
        if (headersLength > 0)
        {
            System.arraycopy(scratch, RecordCodec.SUBJECT_OFFSET + subjectLength, headers, 0, headersLength);
        }
        final byte[] payload = new byte[length - RecordCodec.CHECKSUM_LENGTH - payloadOffset];
        System.arraycopy(scratch, payloadOffset, payload, 0, payload.length);
        final SubjectEntry entry = index.subjectById(b.subjectIds[slot]);
        final String subject = entry != null && entry.utf8.length == subjectLength ? entry.subject :
            new String(scratch, RecordCodec.SUBJECT_OFFSET, subjectLength, StandardCharsets.UTF_8);
        return new FileMessage(seq, subject, headers, payload, timestamp);
    }

    private static CorruptStoreException corrupt(final Block b, final int offset, final long seq, final String what)
    {
        final int at = Block.recordOffset(offset);
        return new CorruptStoreException("the record of sequence " + seq + " in " + b.path + " at offset " + at + " " +
            what + "; the file was damaged after it was written. Restore it from a replica or backup, or move it " +
            "away and reopen to accept the loss", b.path.toString(), at, null);
    }
}
