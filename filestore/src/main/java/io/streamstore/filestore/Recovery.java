package io.streamstore.filestore;

import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.RecoveryReport;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Rebuilds the index when a store is opened.
 *
 * <p>Files in a store directory:
 * <pre>
 * | name            | what                                                                    |
 * |-----------------|-------------------------------------------------------------------------|
 * | LOCK            | held with FileChannel.tryLock while the store is open                   |
 * | &lt;id&gt;.blk         | a block file (decimal id, only grows); see {@link Block}, {@link RecordCodec} |
 * | index.db        | index snapshot written at close; see {@link IndexFile}                  |
 * | clean.mark      | written last by a clean close; see {@link CloseMarker}                  |
 * | *.tmp           | a rewrite, purge or index write that had not been renamed: deleted      |
 * </pre>
 *
 * <p>Rules, in order:
 * <ol>
 *   <li>Stray {@code *.tmp} files are deleted: the step that made them never committed.</li>
 *   <li>If {@code clean.mark} checksums and matches the block files exactly, the store was closed cleanly
 *       and nothing changed since: no write can be torn, so rule 6 has no torn tail to cut and any record
 *       that fails its checks, anywhere, is damage ({@link CorruptStoreException}, nothing changed on disk).
 *       A marker that does not match is deleted, durably, before anything is cut (a cut could otherwise
 *       bring a file back to the length the marker lists).</li>
 *   <li>If {@code index.db} checksums and matches the block files exactly (ids and lengths), it is
 *       loaded (and deleted by the first change after the open); nothing is scanned. Otherwise every block
 *       is scanned in id order and every record's length bounds and CRC32C are checked.</li>
 *   <li>Scan: messages are added in sequence order (a sequence at or below an earlier one is damage);
 *       a tombstone removes its target and, when the target lies in an older block, is counted as needed
 *       by it; a purge floor removes every older message at or below it; floors and tombstones raise
 *       {@code lastSeq}.</li>
 *   <li>Zeros from a record boundary to the end of the newest block, or after the seal of an older one,
 *       are what {@link BlockWriter} wrote ahead under {@code always} and a crash kept from being cut back:
 *       trimmed, not reported, since no record was there (after a clean close they are damage, rule 2).</li>
 *   <li>The first record that fails its checks is the start of a torn tail only when the store was not
 *       closed cleanly (rule 2), no valid record follows it in its block, and either no later block holds
 *       data or the damage has the shape of a write that never reached the disk (the file ends inside the
 *       record's header or before the length it claims, or holds only zeros). Then the block is truncated
 *       to the last valid record (and forced), and when later blocks exist they are deleted too: a sealed
 *       block is forced before the write block by every sync, so a torn sealed block proves nothing after
 *       it was ever synced (a power loss under {@code never} or {@code every}). The cut is logged and
 *       reported with the sequences it is known to have lost, and {@code lastSeq} is raised above them so
 *       they are never handed out again. Any other damage is in the interior: {@link CorruptStoreException}
 *       naming the file and offset, never a silent drop of the valid records after it.</li>
 *   <li>Every block but the newest ends with a seal (a floor record written when it was sealed, kept by
 *       rewrites). A block that is whole but lacks it, with newer blocks after it, was cut at a record
 *       boundary by a power loss: handled like a torn sealed block above, so a hole is never silent
 *       (after a clean close it is damage, as in rule 2).</li>
 *   <li>Sealed blocks left with no live message and no needed tombstone are deleted, the newest one only
 *       once a write block follows it (it keeps {@code lastSeq}); the last block becomes the write block if
 *       it has room.</li>
 * </ol>
 */
final class Recovery
{
    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

    /** Most sequences one block can span: a block of 1 GiB holds at most 1 GiB / 31 B messages. */
    private static final long MAX_SLOTS = RecordCodec.MAX_RECORD_LENGTH / (RecordCodec.MESSAGE_FRAMING + 1) + 1;

    private final Path directory;
    private final FileIo io;
    private final Index index;
    private final CRC32C crc = new CRC32C();
    private final SubjectEntry[] subjectCache = new SubjectEntry[1024];

    private long maxMessageSeq;
    /** A sealed block was found torn by a power loss: the blocks after it were never synced either. */
    private boolean dropLaterBlocks;
    private long maxSeqSeen;
    private long bytesCut;
    private long recordsLost;
    private long firstLost;
    private long lastLost;
    private String detail = "nothing to recover";
    long nextBlockId = 1;
    boolean usedIndex;
    /** Zeros trimmed from blocks written ahead under always (not a cut: no record was there). */
    long prefillTrimmed;
    /** clean.mark matched the block files: the store was closed cleanly and is unchanged since. */
    boolean closedCleanly;

    Recovery(final Path directory, final FileIo io, final Index index)
    {
        this.directory = directory;
        this.io = io;
        this.index = index;
    }

    /** Fills the index from {@code index.db} or a scan; returns what was found. */
    RecoveryReport run() throws IOException
    {
        final TreeMap<Long, Long> files = listFiles();
        checkCloseMarker(files);
        final long next = IndexFile.load(directory, index, files);
        final Path indexPath = directory.resolve(IndexFile.FILE_NAME);
        if (next > 0)
        {
            usedIndex = true;
            nextBlockId = Math.max(next, files.isEmpty() ? 1 : files.lastKey() + 1);
            // index.db is deleted by the store's first change, not here: unlinking megabytes costs the open time
            index.firstSeq = index.nextLive(1);
            return new RecoveryReport(true, 0, 0, 0, 0, "loaded " + IndexFile.FILE_NAME + "; nothing to recover");
        }
        if (Files.exists(indexPath))
        {
            LOG.log(System.Logger.Level.INFO, "index.db in " + directory + " is stale or damaged; rebuilding the index " +
                "by scanning the block files");
            io.delete(indexPath);
        }
        scan(files);
        if (firstLost > lastLost)
        {
            firstLost = lastLost == 0 ? 0 : lastLost; // the blocks dropped held no message after the cut
        }
        index.lastSeq = Math.max(maxSeqSeen, lastLost);
        index.firstSeq = index.nextLive(1);
        nextBlockId = files.isEmpty() ? 1 : files.lastKey() + 1;
        if (bytesCut > 0 || recordsLost > 0)
        {
            LOG.log(System.Logger.Level.WARNING, detail);
            return new RecoveryReport(false, bytesCut, recordsLost, firstLost, lastLost, detail);
        }
        return new RecoveryReport(false, 0, 0, 0, 0, "scanned " + files.size() + " block files; nothing to recover");
    }

    private void checkCloseMarker(final TreeMap<Long, Long> files) throws IOException
    {
        final Path marker = directory.resolve(CloseMarker.FILE_NAME);
        closedCleanly = CloseMarker.matches(directory, files);
        if (!closedCleanly && Files.exists(marker))
        {
            // changed since the clean close (or damaged): the store crashed after it changed. Gone for good
            // before a cut could bring a block back to the length the marker lists.
            LOG.log(System.Logger.Level.INFO, CloseMarker.FILE_NAME + " in " + directory + " no longer matches " +
                "the block files (the store changed after its last clean close); recovering as after a crash");
            io.delete(marker);
            io.forceDirectory(directory);
        }
    }

    long bytesCut()
    {
        return bytesCut;
    }

    long recordsLost()
    {
        return recordsLost;
    }

    long lastLost()
    {
        return lastLost;
    }

    private TreeMap<Long, Long> listFiles() throws IOException
    {
        final TreeMap<Long, Long> files = new TreeMap<>();
        final ArrayList<Path> stray = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory))
        {
            for (final Path p : stream)
            {
                final String name = p.getFileName().toString();
                if (name.endsWith(".tmp"))
                {
                    stray.add(p);
                }
                else if (name.endsWith(".blk") && name.length() > 4 && name.length() <= 23)
                {
                    final String digits = name.substring(0, name.length() - 4);
                    if (digits.chars().allMatch(c -> c >= '0' && c <= '9'))
                    {
                        files.put(Long.parseLong(digits), Files.size(p));
                    }
                }
            }
        }
        for (final Path p : stray)
        {
            LOG.log(System.Logger.Level.INFO, "deleting " + p + ": left by a step that did not complete before a crash");
            io.delete(p);
        }
        if (!stray.isEmpty())
        {
            io.forceDirectory(directory);
        }
        return files;
    }

    private void scan(final TreeMap<Long, Long> files) throws IOException
    {
        final ArrayList<Map.Entry<Long, Long>> list = new ArrayList<>(files.entrySet());
        for (int i = 0; i < list.size(); i++)
        {
            final long id = list.get(i).getKey();
            final Path path = directory.resolve(Block.fileName(id));
            final Block b = new Block(id, path, 0, 1024);
            b.sealed = true;
            index.blocks.add(b);
            if (list.get(i).getValue() == 0)
            {
                b.base = maxMessageSeq + 1;
                continue;
            }
            b.map();
            try
            {
                scanBlock(b, list, i);
            }
            finally
            {
                b.unmap();
            }
            if (dropLaterBlocks)
            {
                for (int j = i + 1; j < list.size(); j++)
                {
                    dropUnsyncedBlock(directory.resolve(Block.fileName(list.get(j).getKey())));
                    files.remove(list.get(j).getKey());
                }
                io.forceDirectory(directory);
                break;
            }
        }
        // an empty last block (torn at its floor, or never written) has nothing to keep
        for (int i = index.blocks.size() - 1; i >= 0; i--)
        {
            final Block b = index.blocks.get(i);
            if (b.rawBytes == 0)
            {
                io.delete(b.path);
                index.blocks.remove(i);
                files.remove(b.id);
            }
        }
    }

    private void scanBlock(final Block b, final ArrayList<Map.Entry<Long, Long>> list, final int position)
        throws IOException
    {
        final DirectBuffer buffer = b.mapped;
        final ByteBuffer view = b.mappedView;
        final int limit = (int)b.mappedLength;
        boolean baseSet = false;
        boolean damaged = false;
        int lastKind = -1;
        int at = 0;
        while (at < limit)
        {
            final int length = RecordCodec.check(buffer, view, at, limit, crc);
            if (length == RecordCodec.INVALID)
            {
                damaged = damaged(b, at, limit, list, position, lastKind);
                break;
            }
            final int kind = RecordCodec.kind(buffer, at);
            lastKind = kind;
            final long value = RecordCodec.value(buffer, at);
            switch (kind)
            {
                case RecordCodec.KIND_MESSAGE ->
                {
                    if (value <= maxMessageSeq)
                    {
                        throw new CorruptStoreException("block file " + b.path + " holds sequence " + value +
                            " at offset " + at + ", not above the sequence " + maxMessageSeq + " before it; the " +
                            "file does not belong here or was damaged: restore it or move it away and reopen",
                            b.path.toString(), at, null);
                    }
                    if (!baseSet)
                    {
                        b.base = value;
                        baseSet = true;
                    }
                    else if (value < b.base)
                    {
                        throw new CorruptStoreException("block file " + b.path + " holds sequence " + value +
                            " below its floor at offset " + at, b.path.toString(), at, null);
                    }
                    if (value - b.base >= MAX_SLOTS)
                    {
                        // no real block spans that many sequences: refuse before allocating slots for them
                        throw new CorruptStoreException("block file " + b.path + " holds sequence " + value +
                            " at offset " + at + ", " + (value - b.base) + " past the block's first sequence " +
                            b.base + "; the file does not belong here or was damaged", b.path.toString(), at, null);
                    }
                    addMessage(b, buffer, at, length, value);
                    maxMessageSeq = value;
                    maxSeqSeen = Math.max(maxSeqSeen, value);
                }
                case RecordCodec.KIND_TOMBSTONE ->
                {
                    b.tombstones++;
                    maxSeqSeen = Math.max(maxSeqSeen, value);
                    applyTombstone(b, value);
                }
                default ->
                {
                    b.controls++;
                    maxSeqSeen = Math.max(maxSeqSeen, value);
                    if (!baseSet && b.slots == 0)
                    {
                        b.base = value + 1;
                        baseSet = true;
                    }
                    if (kind == RecordCodec.KIND_PURGE)
                    {
                        applyPurge(b, value);
                    }
                }
            }
            at += length;
        }
        if (!baseSet)
        {
            b.base = maxMessageSeq + 1;
        }
        b.rawBytes = at;
        if (!damaged && lastKind != RecordCodec.KIND_FLOOR && lastKind != RecordCodec.KIND_PURGE &&
            laterData(list, position))
        {
            if (closedCleanly)
            {
                throw new CorruptStoreException("block file " + b.path + " ends at offset " + at + " without its " +
                    "seal although newer blocks exist and the store was closed cleanly (" + CloseMarker.FILE_NAME +
                    " matches every block file): the file was changed after the close. Restore it from a replica " +
                    "or backup, then reopen", b.path.toString(), at, null);
            }
            // whole records, but no seal at the end although newer blocks exist: the block was cut short at
            // a record boundary by a power loss after it was sealed, so nothing after it was ever synced
            dropLaterBlocks = true;
            firstLost = firstLost == 0 ? maxSeqSeen + 1 : firstLost;
            detail = "block file " + b.path + " ends at offset " + at + " without its seal: it was cut short " +
                "after it was sealed (a power loss before the next sync), so the blocks after it were never " +
                "synced either";
        }
    }

    private static boolean laterData(final ArrayList<Map.Entry<Long, Long>> list, final int position)
    {
        for (int j = position + 1; j < list.size(); j++)
        {
            if (list.get(j).getValue() > 0)
            {
                return true;
            }
        }
        return false;
    }

    private void addMessage(final Block b, final DirectBuffer buffer, final int at, final int length, final long seq)
    {
        final SubjectEntry e = subjectAt(buffer, at + RecordCodec.SUBJECT_OFFSET, RecordCodec.subjectLength(buffer, at));
        b.addSlot(seq, at, length, e.id);
        e.add(seq);
        index.msgs++;
        index.bytes += length - RecordCodec.MESSAGE_FRAMING;
        index.lastTimestamp = Math.max(index.lastTimestamp, RecordCodec.timestamp(buffer, at));
    }

    /** The subject whose UTF-8 bytes are at {@code offset}; a small cache avoids decoding repeated subjects. */
    private SubjectEntry subjectAt(final DirectBuffer buffer, final int offset, final int length)
    {
        int hash = length;
        for (int i = 0; i < length; i++)
        {
            hash = 31 * hash + buffer.getByte(offset + i);
        }
        final int slot = (hash ^ (hash >>> 16)) & (subjectCache.length - 1);
        final SubjectEntry cached = subjectCache[slot];
        if (cached != null && index.subjectById(cached.id) == cached && sameBytes(cached.utf8, buffer, offset, length))
        {
            return cached;
        }
        final byte[] utf8 = new byte[length];
        buffer.getBytes(offset, utf8);
        final String subject = new String(utf8, StandardCharsets.UTF_8);
        SubjectEntry e = index.subject(subject);
        if (e == null)
        {
            e = index.createSubject(subject, utf8, 16);
        }
        subjectCache[slot] = e;
        return e;
    }

    private static boolean sameBytes(final byte[] utf8, final DirectBuffer buffer, final int offset, final int length)
    {
        if (utf8.length != length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (utf8[i] != buffer.getByte(offset + i))
            {
                return false;
            }
        }
        return true;
    }

    private void applyTombstone(final Block holder, final long target)
    {
        final Block t = index.find(target);
        if (t == null || !t.holdsRecord(target))
        {
            return; // its target is gone from disk: a dead tombstone
        }
        if (t.isLive(target))
        {
            removeLive(t, target);
        }
        if (t != holder)
        {
            holder.addTarget(t);
        }
    }

    private void applyPurge(final Block holder, final long floor)
    {
        for (final Block t : index.blocks)
        {
            if (t == holder)
            {
                break;
            }
            for (int s = 0; s < t.slots && t.base + s <= floor; s++)
            {
                if (t.offsets[s] >= 0)
                {
                    removeLive(t, t.base + s);
                }
            }
        }
    }

    private void removeLive(final Block t, final long seq)
    {
        final int slot = (int)(seq - t.base);
        final int length = RecordCodec.length(index.buffer(t), Block.recordOffset(t.offsets[slot]));
        t.offsets[slot] = Block.removedOffset(t.offsets[slot]);
        t.liveCount--;
        t.liveBytes -= length;
        final SubjectEntry e = index.subjectById(t.subjectIds[slot]);
        e.remove(seq);
        if (e.live() == 0)
        {
            index.dropSubject(e);
        }
        index.msgs--;
        index.bytes -= length - RecordCodec.MESSAGE_FRAMING;
    }

    /**
     * A record at {@code at} failed its checks: trim prefilled zeros, cut a torn tail, or refuse interior damage.
     *
     * @return false when it was only prefilled zeros (no record was lost), true when a tail was cut
     */
    private boolean damaged(final Block b, final int at, final int limit, final ArrayList<Map.Entry<Long, Long>> list,
        final int position, final int lastKind) throws IOException
    {
        if (!closedCleanly && allZeros(b.mapped, at, limit) &&
            (lastKind == RecordCodec.KIND_FLOOR || lastKind == RecordCodec.KIND_PURGE || !laterData(list, position)))
        {
            // zeros the write block was prefilled with under always (see BlockWriter), in the newest block or
            // after a seal whose cut-back a crash stopped: no record was there, nothing is reported lost
            prefillTrimmed += limit - at;
            truncate(b, at);
            return false;
        }
        if (closedCleanly)
        {
            throw new CorruptStoreException("block file " + b.path + " has a damaged record at offset " + at +
                " although the store was closed cleanly (" + CloseMarker.FILE_NAME + " matches every block file), " +
                "so it is not a torn write but damage after the close; nothing was cut. Restore " +
                b.path.getFileName() + " from a replica or backup, or move it away to accept the loss (or delete " +
                CloseMarker.FILE_NAME + " to cut it as a torn tail, losing what follows it), then reopen",
                b.path.toString(), at, null);
        }
        final int validAfter = findValidRecord(b.mapped, b.mappedView, at + 1, limit);
        final boolean laterData = laterData(list, position);
        final boolean torn = tornShape(b.mapped, at, limit);
        if (validAfter >= 0 || (laterData && !torn))
        {
            throw new CorruptStoreException("block file " + b.path + " has a damaged record at offset " + at +
                " followed by valid records (" + (validAfter >= 0 ? "at offset " + validAfter :
                "in later block files") + "); refusing to drop them silently. Restore " + b.path.getFileName() +
                " from a replica or backup, or move it away to accept the loss, then reopen",
                b.path.toString(), at, null);
        }
        // a torn tail: estimate what it held from its unverified headers
        long records = 0;
        long first = 0;
        long last = 0;
        long expect = maxSeqSeen + 1;
        int p = at;
        while (limit - p >= 12)
        {
            final int length = RecordCodec.length(b.mapped, p);
            final int kind = RecordCodec.kind(b.mapped, p);
            final long value = RecordCodec.value(b.mapped, p);
            records++;
            if (kind == RecordCodec.KIND_MESSAGE && value == expect)
            {
                if (first == 0)
                {
                    first = value;
                }
                last = value;
                expect++;
            }
            if (length < RecordCodec.CONTROL_LENGTH || length > limit - p)
            {
                break;
            }
            p += length;
        }
        if (p < limit && limit - p < 12)
        {
            records++;
        }
        if (laterData)
        {
            // The file ends inside a record (or in zeros) and later blocks exist: a power loss tore this
            // block after it was sealed. Any completed sync would have forced it first (sealed blocks are
            // forced before the write block), so nothing after this point was ever durable: cut here and
            // drop the later blocks too, reporting every sequence they held as lost.
            dropLaterBlocks = true;
        }
        bytesCut += limit - at;
        recordsLost += Math.max(1, records);
        if (first > 0)
        {
            firstLost = firstLost == 0 ? first : firstLost;
            lastLost = Math.max(lastLost, last);
        }
        detail = "cut a torn or corrupt tail of " + (limit - at) + " bytes from " + b.path + " at offset " + at +
            " (about " + Math.max(1, records) + " record(s)" +
            (first > 0 ? ", sequences " + first + ".." + last + " lost and never reused" : ", no sequence known") + ")";
        truncate(b, at);
        return true;
    }

    private void truncate(final Block b, final int at) throws IOException
    {
        b.unmap();
        final FileChannel channel = io.openWrite(b.path);
        try
        {
            io.truncate(channel, at);
            io.force(channel);
        }
        finally
        {
            channel.close();
        }
    }

    private static boolean allZeros(final DirectBuffer buffer, final int at, final int limit)
    {
        for (int i = at; i < limit; i++)
        {
            if (buffer.getByte(i) != 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * True when the bad bytes at {@code at} look like a write that never reached the disk, not like a
     * flipped bit: fewer bytes left than a record header, a length reaching past the end of the file, or
     * nothing but zeros.
     */
    private static boolean tornShape(final DirectBuffer buffer, final int at, final int limit)
    {
        if (limit - at < RecordCodec.CONTROL_LENGTH)
        {
            return true;
        }
        final int length = RecordCodec.length(buffer, at);
        return length > limit - at || allZeros(buffer, at, limit);
    }

    /** Deletes a block written after a torn one, counting what it held as lost. */
    private void dropUnsyncedBlock(final Path path) throws IOException
    {
        final Block b = new Block(-1, path, 0, 4);
        b.map();
        try
        {
            final int limit = (int)b.mappedLength;
            int at = 0;
            long bytes = 0;
            while (at < limit)
            {
                final int length = RecordCodec.check(b.mapped, b.mappedView, at, limit, crc);
                if (length == RecordCodec.INVALID)
                {
                    break;
                }
                recordsLost++;
                final long value = RecordCodec.value(b.mapped, at);
                if (RecordCodec.kind(b.mapped, at) == RecordCodec.KIND_MESSAGE)
                {
                    firstLost = firstLost == 0 ? value : Math.min(firstLost, value);
                    lastLost = Math.max(lastLost, value);
                }
                else
                {
                    lastLost = Math.max(lastLost, value);
                }
                at += length;
                bytes += length;
            }
            bytesCut += limit;
            detail = detail + "; dropped " + path.getFileName() + " (" + bytes + " bytes written after the torn " +
                "block, never synced)";
        }
        finally
        {
            b.unmap();
        }
        io.delete(path);
    }

    /** Offset of the first whole valid record at or after {@code from}, or -1. */
    private int findValidRecord(final DirectBuffer buffer, final ByteBuffer view, final int from, final int limit)
    {
        for (int p = from; p + RecordCodec.CONTROL_LENGTH <= limit; p++)
        {
            if (RecordCodec.check(buffer, view, p, limit, crc) != RecordCodec.INVALID)
            {
                return p;
            }
        }
        return -1;
    }
}
