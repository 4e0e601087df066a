package io.streamstore.filestore;

import io.streamstore.spi.CorruptStoreException;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The in-memory index: the blocks in id (and so sequence) order, sequence → block and offset through each
 * block's slot arrays, subject → live sequences, and the stream's counters. Nothing here scans all
 * messages for a lookup by sequence or by literal subject.
 *
 * <p>Sealed blocks are read through read-only mappings, at most {@code maxMapped} at a time (least recently
 * used first out, unmapped at once): the mapping count is bounded well below {@code vm.max_map_count}.
 * Every access happens under the store's lock, so no reader can touch a mapping while it is unmapped.
 */
final class Index
{
    final ArrayList<Block> blocks = new ArrayList<>();
    private final HashMap<String, SubjectEntry> subjects = new HashMap<>();
    private SubjectEntry[] byId = new SubjectEntry[16];
    private int[] freeIds = new int[16];
    private int freeCount;
    private int nextId;

    /** After an index-file load: subject entries exist, their sequence lists are not built yet. */
    boolean subjectListsPending;
    /** Live messages per subject id, from the index file: the lists are sized once when they are built. */
    int[] pendingLiveCounts;

    long msgs;
    long bytes;
    long firstSeq = 1;
    long lastSeq;
    long lastTimestamp;

    BlockWriter writer;
    private final int maxMapped;
    /** Mapped blocks; each carries the tick of its last use, and the least recent goes first. */
    private final ArrayList<Block> mapped = new ArrayList<>();
    private long tick;

    Index(final int maxMapped)
    {
        this.maxMapped = maxMapped;
    }

    // ---------------------------------------------------------------------------------------------- blocks

    Block writeBlock()
    {
        return writer.block;
    }

    /** The block whose slots cover {@code seq}, or null. */
    Block find(final long seq)
    {
        final Block w = writer.block;
        if (w != null && w.holds(seq))
        {
            return w;
        }
        int lo = 0;
        int hi = blocks.size() - 1;
        Block found = null;
        while (lo <= hi)
        {
            final int mid = (lo + hi) >>> 1;
            final Block b = blocks.get(mid);
            if (b.base <= seq)
            {
                found = b;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        if (found != null && found.holds(seq))
        {
            return found;
        }
        // an empty block may share its base with the next one; look one back
        if (found != null)
        {
            final int i = lo - 2;
            if (i >= 0 && blocks.get(i).holds(seq))
            {
                return blocks.get(i);
            }
        }
        return null;
    }

    /** True when {@code seq} is a live message (not removed, not expired away, in a block that exists). */
    boolean isLive(final long seq)
    {
        final Block b = find(seq);
        return b != null && b.isLive(seq);
    }

    Block blockById(final long id)
    {
        for (final Block b : blocks)
        {
            if (b.id == id)
            {
                return b;
            }
        }
        return null;
    }

    /** The bytes of a block: the write buffer for the write block, else its (possibly new) mapping. */
    DirectBuffer buffer(final Block b)
    {
        if (b == writer.block)
        {
            return writer.unsafe;
        }
        ensureMapped(b);
        return b.mapped;
    }

    ByteBuffer view(final Block b)
    {
        if (b == writer.block)
        {
            return writer.crcView;
        }
        ensureMapped(b);
        return b.mappedView;
    }

    /** Length of the bytes {@link #buffer} holds for {@code b}. */
    int limit(final Block b)
    {
        if (b == writer.block)
        {
            return writer.position;
        }
        ensureMapped(b);
        return (int)b.mappedLength;
    }

    private void ensureMapped(final Block b)
    {
        if (b.mapping != null)
        {
            b.lastUse = ++tick; // a field write per access: eviction, which is rare, finds the oldest
            return;
        }
        try
        {
            b.map();
        }
        catch (final IOException e)
        {
            throw new CorruptStoreException("cannot map block file " + b.path + ": " + e.getMessage() +
                "; check that the file exists and is readable, then reopen the store", b.path.toString(), -1, e);
        }
        b.lastUse = ++tick;
        mapped.add(b);
        if (mapped.size() > maxMapped)
        {
            int eldest = 0;
            for (int i = 1; i < mapped.size(); i++)
            {
                if (mapped.get(i).lastUse < mapped.get(eldest).lastUse)
                {
                    eldest = i;
                }
            }
            mapped.remove(eldest).unmap();
        }
    }

    void unmap(final Block b)
    {
        mapped.remove(b);
        b.unmap();
    }

    void unmapAll()
    {
        for (final Block b : mapped)
        {
            b.unmap();
        }
        mapped.clear();
    }

    int mappedCount()
    {
        return mapped.size();
    }

    long bytesOnDisk()
    {
        long total = 0;
        for (final Block b : blocks)
        {
            total += b.rawBytes;
        }
        return total;
    }

    // -------------------------------------------------------------------------------------------- subjects

    /** Builds the per-subject sequence lists from the blocks' slots, once, after an index-file load. */
    void ensureSubjectLists()
    {
        if (!subjectListsPending)
        {
            return;
        }
        subjectListsPending = false;
        final int[] counts = pendingLiveCounts;
        pendingLiveCounts = null;
        if (counts != null)
        {
            for (int id = 0; id < counts.length && id < byId.length; id++)
            {
                if (byId[id] != null)
                {
                    byId[id].reserve(counts[id]);
                }
            }
        }
        for (final Block b : blocks)
        {
            final int[] offsets = b.offsets;
            final int[] sids = b.subjectIds;
            for (int s = 0; s < b.slots; s++)
            {
                if (offsets[s] >= 0)
                {
                    byId[sids[s]].add(b.base + s);
                }
            }
        }
    }

    SubjectEntry subject(final String subject)
    {
        return subjects.get(subject);
    }

    SubjectEntry subjectById(final int id)
    {
        return id >= 0 && id < byId.length ? byId[id] : null;
    }

    SubjectEntry createSubject(final String subject, final byte[] utf8, final int capacity)
    {
        final int id = freeCount > 0 ? freeIds[--freeCount] : nextId++;
        if (id >= byId.length)
        {
            byId = Arrays.copyOf(byId, Math.max(id + 1, byId.length * 2));
        }
        final SubjectEntry e = new SubjectEntry(subject, utf8 != null ? utf8 : subject.getBytes(StandardCharsets.UTF_8),
            id, capacity, this);
        byId[id] = e;
        subjects.put(subject, e);
        return e;
    }

    void dropSubject(final SubjectEntry e)
    {
        subjects.remove(e.subject);
        byId[e.id] = null;
        if (freeCount == freeIds.length)
        {
            freeIds = Arrays.copyOf(freeIds, freeCount * 2);
        }
        freeIds[freeCount++] = e.id;
    }

    int subjectCount()
    {
        return subjects.size();
    }

    Iterable<SubjectEntry> subjects()
    {
        return subjects.values();
    }

    int subjectIdLimit()
    {
        return nextId;
    }

    void clearSubjects()
    {
        pendingLiveCounts = null;
        subjects.clear();
        byId = new SubjectEntry[16];
        freeCount = 0;
        nextId = 0;
    }

    /** Registers a subject under a given id (index-file load); ids must be dense from 0. */
    SubjectEntry restoreSubject(final int id, final String subject, final byte[] utf8, final int capacity)
    {
        if (id >= byId.length)
        {
            byId = Arrays.copyOf(byId, Math.max(id + 1, byId.length * 2));
        }
        final SubjectEntry e = new SubjectEntry(subject, utf8, id, capacity, this);
        byId[id] = e;
        subjects.put(subject, e);
        nextId = Math.max(nextId, id + 1);
        return e;
    }

    // ----------------------------------------------------------------------------------------- sequences

    /** Lowest live sequence at or above {@code from}, or {@code lastSeq + 1} when none. */
    long nextLive(final long from)
    {
        if (msgs == 0 || from > lastSeq)
        {
            return lastSeq + 1;
        }
        final int size = blocks.size();
        int i = startIndex(from);
        for (; i < size; i++)
        {
            final Block b = blocks.get(i);
            if (b.liveCount == 0 || b.slots == 0 || b.lastSlotSeq() < from)
            {
                continue;
            }
            final int start = (int)Math.max(0, from - b.base);
            final int[] offsets = b.offsets;
            for (int s = start; s < b.slots; s++)
            {
                if (offsets[s] >= 0)
                {
                    return b.base + s;
                }
            }
        }
        return lastSeq + 1;
    }

    /** Highest live sequence at or below {@code from}, or 0. */
    long previousLive(final long from)
    {
        for (int i = blocks.size() - 1; i >= 0; i--)
        {
            final Block b = blocks.get(i);
            if (b.liveCount == 0 || b.slots == 0 || b.base > from)
            {
                continue;
            }
            final int[] offsets = b.offsets;
            for (int s = (int)Math.min(b.slots - 1, from - b.base); s >= 0; s--)
            {
                if (offsets[s] >= 0)
                {
                    return b.base + s;
                }
            }
        }
        return 0;
    }

    private int startIndex(final long seq)
    {
        int lo = 0;
        int hi = blocks.size() - 1;
        int found = 0;
        while (lo <= hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (blocks.get(mid).base <= seq)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        // step back over blocks that share the base or whose slots still reach seq
        while (found > 0 && blocks.get(found - 1).slots > 0 && blocks.get(found - 1).lastSlotSeq() >= seq)
        {
            found--;
        }
        return found;
    }

    Map<String, SubjectEntry> subjectMap()
    {
        return subjects;
    }
}
