package io.streamstore.filestore;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RecordCodecTest
{
    private final CRC32C crc = new CRC32C();

    @Test
    void messageRoundTripsThroughADirectBuffer()
    {
        final ByteBuffer direct = ByteBuffer.allocateDirect(1024);
        final UnsafeBuffer buffer = new UnsafeBuffer(direct);
        final byte[] subject = "orders.eu.42".getBytes(StandardCharsets.UTF_8);
        final byte[] headers = {1, 2, 3};
        final byte[] payload = Fixtures.payload(7, 100);
        final int length = RecordCodec.encodeMessage(buffer, 8, 42, 123_456_789L, subject, headers, payload,
            direct.duplicate(), crc);

        assertEquals(RecordCodec.MESSAGE_FRAMING + subject.length + headers.length + payload.length, length);
        assertEquals(length, RecordCodec.check(buffer, direct.duplicate(), 8, 1024, crc));
        assertEquals(RecordCodec.KIND_MESSAGE, RecordCodec.kind(buffer, 8));
        assertEquals(42, RecordCodec.value(buffer, 8));
        assertEquals(123_456_789L, RecordCodec.timestamp(buffer, 8));
        assertEquals(subject.length, RecordCodec.subjectLength(buffer, 8));
        assertEquals(headers.length, RecordCodec.headersLength(buffer, 8));
        final byte[] readPayload = new byte[payload.length];
        buffer.getBytes(8 + RecordCodec.SUBJECT_OFFSET + subject.length + headers.length, readPayload);
        assertArrayEquals(payload, readPayload);
    }

    @Test
    void messageRoundTripsThroughAHeapBuffer()
    {
        final byte[] array = new byte[512];
        final UnsafeBuffer buffer = new UnsafeBuffer(array);
        final int length = RecordCodec.encodeMessage(buffer, 0, 1, 5, "a".getBytes(StandardCharsets.UTF_8),
            new byte[0], new byte[0], null, crc);
        assertEquals(RecordCodec.MESSAGE_FRAMING + 1, length);
        assertEquals(length, RecordCodec.check(buffer, null, 0, array.length, crc));
    }

    @Test
    void controlRecordsAreSixteenBytesAndKeepTheirKind()
    {
        final ByteBuffer direct = ByteBuffer.allocateDirect(64);
        final UnsafeBuffer buffer = new UnsafeBuffer(direct);
        final int[] kinds = {RecordCodec.KIND_TOMBSTONE, RecordCodec.KIND_FLOOR, RecordCodec.KIND_PURGE};
        for (final int kind : kinds)
        {
            assertEquals(16, RecordCodec.encodeControl(buffer, 0, kind, 99, direct.duplicate(), crc));
            assertEquals(16, RecordCodec.check(buffer, direct.duplicate(), 0, 64, crc));
            assertEquals(kind, RecordCodec.kind(buffer, 0));
            assertEquals(99, RecordCodec.value(buffer, 0));
        }
    }

    @Test
    void everySingleBitFlipOfARecordIsDetected()
    {
        final byte[] array = new byte[256];
        final UnsafeBuffer buffer = new UnsafeBuffer(array);
        final int length = RecordCodec.encodeMessage(buffer, 0, 3, 77, "s.x".getBytes(StandardCharsets.UTF_8),
            new byte[]{9}, Fixtures.payload(3, 40), null, crc);
        for (int bit = 0; bit < length * 8; bit++)
        {
            array[bit / 8] ^= (byte)(1 << (bit % 8));
            assertEquals(RecordCodec.INVALID, RecordCodec.check(buffer, null, 0, array.length, crc), "bit " + bit);
            array[bit / 8] ^= (byte)(1 << (bit % 8));
        }
        assertEquals(length, RecordCodec.check(buffer, null, 0, array.length, crc));
    }

    @Test
    void aLengthBeyondTheBytesThereIsInvalidWithoutReadingThem()
    {
        final byte[] array = new byte[64];
        final UnsafeBuffer buffer = new UnsafeBuffer(array);
        RecordCodec.encodeMessage(buffer, 0, 1, 1, "a".getBytes(StandardCharsets.UTF_8), new byte[0],
            new byte[10], null, crc);
        buffer.putInt(0, Integer.MAX_VALUE, RecordCodec.ORDER);
        assertEquals(RecordCodec.INVALID, RecordCodec.check(buffer, null, 0, array.length, crc));
        buffer.putInt(0, -5, RecordCodec.ORDER);
        assertEquals(RecordCodec.INVALID, RecordCodec.check(buffer, null, 0, array.length, crc));
    }

    @Test
    void aTruncatedRecordIsInvalidAtEveryLength()
    {
        final byte[] array = new byte[128];
        final UnsafeBuffer buffer = new UnsafeBuffer(array);
        final int length = RecordCodec.encodeMessage(buffer, 0, 1, 1, "ab".getBytes(StandardCharsets.UTF_8),
            new byte[0], new byte[20], null, crc);
        for (int limit = 0; limit < length; limit++)
        {
            assertEquals(RecordCodec.INVALID, RecordCodec.check(buffer, null, 0, limit, crc), "limit " + limit);
        }
        assertEquals(length, RecordCodec.check(buffer, null, 0, length, crc));
    }

    @Test
    void anOversizedMessageHasNoRecordLength()
    {
        assertEquals(-1, RecordCodec.messageLength(10, 0, RecordCodec.MAX_RECORD_LENGTH));
        assertEquals(RecordCodec.MESSAGE_FRAMING + 3 + 4 + 5, RecordCodec.messageLength(3, 4, 5));
    }
}
