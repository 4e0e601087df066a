package io.streamstore.lmdbstore;

import io.streamstore.spi.CorruptStoreException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.SeekOp;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The open-time scan: counts, bytes, first and last sequence, and every subject's count and first/last
 * sequence, from key-only walks of {@code msgs} and {@code subj} (values are not touched, so overflow pages
 * of large messages are never read). LMDB needs no crash recovery (copy-on-write, two meta pages), so this
 * is all an open does; it doubles as a consistency check: a walk follows page links, not keys, so a damaged
 * key shows up as a step backwards, and the two databases must hold the same number of entries and the same
 * sequences (compared by a sum of mixed sequences, so without a second pass or a set). A walk never reads the
 * keys of branch pages, though, which route every lookup: the first and the last key of each leaf are looked up from
 * the root too ({@link Routes}), so a damaged separator is refused at open instead of hiding messages from
 * {@code load} and {@code loadNext} while the counts still include them.
 */
final class Recovery
{
    record Scan(long msgs, long bytes, long firstKey, long lastKey)
    {
    }

    private Recovery()
    {
    }

    /**
     * @param subjects filled with one {@link SubjectInfo} per subject
     * @param mapped    refuses a key that lies outside the file (see {@code LmdbStore.checkMapped})
     * @throws CorruptStoreException when the keys are out of order or the databases disagree
     */
    static Scan scan(final Cursor<DirectBuffer> msgs, final Cursor<DirectBuffer> subj, final String file,
        final Map<String, SubjectInfo> subjects, final Consumer<DirectBuffer> mapped,
        final Predicate<DirectBuffer> msgsFinds, final Predicate<DirectBuffer> subjFinds, final int pageSize)
    {
        final Routes msgsRoutes = new Routes(msgsFinds, pageSize, file, "msgs");
        final Routes subjRoutes = new Routes(subjFinds, pageSize, file, "subj");
        long count = 0;
        long bytes = 0;
        long msgsDigest = 0;
        long subjDigest = 0;
        long first = 0;
        long lastKey = 0;
        boolean found = msgs.seek(SeekOp.MDB_FIRST);
        if (found)
        {
            mapped.accept(msgs.key());
            first = msgs.key().getLong(0, ByteOrder.BIG_ENDIAN);
        }
        while (found)
        {
            final DirectBuffer key = msgs.key();
            mapped.accept(key);
            if (key.capacity() != 8)
            {
                throw corrupt(file, "a key of the msgs database is " + key.capacity() + " bytes long instead of 8");
            }
            final long seq = key.getLong(0, ByteOrder.BIG_ENDIAN);
            if (seq < 1)
            {
                throw corrupt(file, "the msgs database lists sequence " + seq + ", below 1");
            }
            msgsDigest += digest(seq);
            if (count > 0 && seq <= lastKey)
            {
                throw corrupt(file, "the msgs database lists sequence " + seq + " after " + lastKey);
            }
            final int valueLength = msgs.val().capacity();
            if (valueLength < RecordCodec.OVERHEAD || valueLength > LmdbStore.MAX_RECORD)
            {
                throw corrupt(file, "the record of sequence " + seq + " claims " + valueLength + " bytes");
            }
            lastKey = seq;
            count++;
            bytes += RecordCodec.messageSize(valueLength);
            msgsRoutes.next(key);
            found = msgs.next();
        }
        msgsRoutes.end();
        long indexed = 0;
        SubjectInfo current = null;
        found = subj.seek(SeekOp.MDB_FIRST);
        while (found)
        {
            final DirectBuffer key = subj.key();
            mapped.accept(key);
            final int subjectLength = key.capacity() - 8;
            if (subjectLength < 1)
            {
                throw corrupt(file, "a key of the subject index is too short");
            }
            final long seq = key.getLong(subjectLength, ByteOrder.BIG_ENDIAN);
            subjDigest += digest(seq);
            if (current == null || !SubjectInfo.isKeyOf(key, current.bytes))
            {
                final byte[] subjectBytes = new byte[subjectLength];
                key.getBytes(0, subjectBytes);
                if (current != null && Arrays.compareUnsigned(subjectBytes, current.bytes) <= 0)
                {
                    throw corrupt(file, "the subject index is out of order after '" + current.subject + "'");
                }
                final String subject = new String(subjectBytes, StandardCharsets.UTF_8);
                current = new SubjectInfo(subject, subjectBytes);
                current.first = seq;
                if (subjects.put(subject, current) != null)
                {
                    throw corrupt(file, "the subject index lists '" + subject + "' twice");
                }
            }
            else if (seq <= current.last)
            {
                throw corrupt(file, "the subject index lists sequence " + seq + " after " + current.last + " on '" +
                    current.subject + "'");
            }
            current.msgs++;
            current.last = seq;
            indexed++;
            subjRoutes.next(key);
            found = subj.next();
        }
        subjRoutes.end();
        if (indexed != count)
        {
            throw corrupt(file, "the subject index holds " + indexed + " entries but the msgs database " + count);
        }
        if (msgsDigest != subjDigest)
        {
            throw corrupt(file, "the subject index and the msgs database list different sequences");
        }
        return new Scan(count, bytes, first, lastKey);
    }

    /**
     * Summed over both databases, which must list the same sequences: a damaged key that keeps its page in order
     * changes one side's sum, which counts alone would not show.
     */
    private static long digest(final long seq)
    {
        long z = seq * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }

    /**
     * Looks up the first and the last key of every leaf a walk passes (a leaf ends where the keys' page changes),
     * which checks every separator on the way: keys of a leaf route to it only if each separator above lies between
     * the last key left of it and the first key right of it. Two lookups per leaf, so the walk stays key-only.
     */
    private static final class Routes
    {
        private final Predicate<DirectBuffer> finds;
        private final int pageSize;
        private final String file;
        private final String database;
        private final UnsafeBuffer probe = new UnsafeBuffer(0, 0);
        private long page = -1;
        private long lastAddress;
        private int lastLength;

        Routes(final Predicate<DirectBuffer> finds, final int pageSize, final String file, final String database)
        {
            this.finds = finds;
            this.pageSize = pageSize;
            this.file = file;
            this.database = database;
        }

        /** The next key of the walk; it stays readable while the transaction is open (LMDB memory). */
        void next(final DirectBuffer key)
        {
            final long address = key.addressOffset();
            final long keyPage = address / pageSize;
            if (keyPage != page)
            {
                if (page >= 0)
                {
                    check(lastAddress, lastLength);
                }
                check(address, key.capacity());
                page = keyPage;
            }
            lastAddress = address;
            lastLength = key.capacity();
        }

        void end()
        {
            if (page >= 0)
            {
                check(lastAddress, lastLength);
            }
        }

        private void check(final long address, final int length)
        {
            probe.wrap(address, length);
            if (!finds.test(probe))
            {
                throw corrupt(file, "a lookup in the " + database + " database does not find a key that a walk of " +
                    "its leaves lists: a branch page routes lookups to the wrong leaf");
            }
        }
    }

    private static CorruptStoreException corrupt(final String file, final String what)
    {
        return new CorruptStoreException("in " + file + " " + what + "; the file is damaged: restore it from a " +
            "replica or backup", file, -1, null);
    }
}
