package io.streamstore.conformance.reliability;

import io.streamstore.conformance.ModelAccess;
import io.streamstore.conformance.ReferenceModel;
import io.streamstore.conformance.TestMessage;
import io.streamstore.spi.Arguments;
import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.CorruptStoreException;
import io.streamstore.spi.ListenerFanout;
import io.streamstore.spi.RecoveryReport;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StoreException;
import io.streamstore.spi.StoreFullException;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreLockedException;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.Subjects;
import io.streamstore.spi.SyncPolicy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * A small durable store for the kit's own reliability tests: the {@link ReferenceModel} in memory, and every
 * change appended to one log file as a CRC32C-framed record, forced per the sync policy. Compaction rewrites
 * the live messages to {@code log.compact}, forces it and renames it over {@code log}. The model keeps the
 * limits; {@code maxAge} is kept by a sweep every 50 ms and before each call, which logs a removal per
 * expired message (unforced: after a crash the same messages expire again).
 *
 * <table>
 *   <caption>log file</caption>
 *   <tr><th>bytes</th><th>field</th></tr>
 *   <tr><td>8</td><td>magic {@code SSKITLG1}</td></tr>
 *   <tr><td>4</td><td>record body length (then repeated per record)</td></tr>
 *   <tr><td>4</td><td>CRC32C of the body</td></tr>
 *   <tr><td>1</td><td>type: 1 message, 2 removal, 3 purge, 4 base (ends a compacted log),
 *       5 floor (lastSeq at least)</td></tr>
 *   <tr><td>8</td><td>sequence (of the message, the removed message, or lastSeq for purge/base/floor)</td></tr>
 *   <tr><td>8 + 2 + 4 + 4 + n</td><td>message only: timestamp, subject, headers and payload lengths, then
 *       the bytes</td></tr>
 * </table>
 *
 * <p>Recovery reads every record. A bad record (short, insane length, CRC mismatch, sequence out of order)
 * after which no valid record follows is a torn tail: cut, forced, reported, and a message it held is
 * reported lost and its sequence never handed out again (a floor record). A bad record followed by a valid
 * one is interior damage: {@link CorruptStoreException}.
 *
 * <p>With {@code earlyAck} (the deliberately broken variant) records are buffered in memory and written only
 * every 64 KiB or on sync and close, while appends under {@link SyncPolicy#always()} return (and
 * {@code onDurable} fires) at once: acknowledged before force.
 */
final class LogStore implements StreamStore
{
    /** The I/O seam of fault injection. */
    interface Io
    {
        void before(String operation, Path file) throws IOException;
    }

    static final byte[] MAGIC = "SSKITLG1".getBytes(StandardCharsets.US_ASCII);
    static final int MAX_BODY = 64 * 1024 * 1024;
    private static final byte MSG = 1;
    private static final byte DEL = 2;
    private static final byte PURGE = 3;
    private static final byte BASE = 4;
    private static final byte FLOOR = 5;

    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();
    private static final ScheduledExecutorService FLUSHER = Executors.newSingleThreadScheduledExecutor(r ->
    {
        final Thread t = new Thread(r, "kit-log-flusher");
        t.setDaemon(true);
        return t;
    });

    private final Path dir;
    private final Path log;
    private final StreamConfig config;
    private final Io io;
    private final boolean earlyAck;
    private final boolean checkCrc;
    /** False in a deliberately broken variant that forgets a write error and keeps accepting writes. */
    boolean sticky = true;
    private final ReferenceModel model;
    private final Map<Long, Long> timestamps = new HashMap<>();
    private final ListenerFanout fanout = new ListenerFanout();
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private FileChannel channel;
    private ScheduledFuture<?> flusher;
    private ScheduledFuture<?> sweep;
    private RecoveryReport report = RecoveryReport.CLEAN;
    private boolean closed;
    private StoreException failed;
    private boolean dirty;
    private long lastTimestamp;
    private long floor;
    private long written;
    private long syncs;
    private long compactions;
    private long compacted;
    private long tombstones;
    private long durableSeq;

    LogStore(final Path directory, final StreamConfig config, final Io io, final boolean earlyAck) throws IOException
    {
        this(directory, config, io, earlyAck, true);
    }

    /** With {@code checkCrc} false (a deliberately broken variant), recovery trusts every record's bytes. */
    LogStore(final Path directory, final StreamConfig config, final Io io, final boolean earlyAck,
        final boolean checkCrc) throws IOException
    {
        this.checkCrc = checkCrc;
        Arguments.requireNonNull(directory, "directory");
        Arguments.requireNonNull(config, "config");
        this.dir = directory.toAbsolutePath().normalize();
        this.log = dir.resolve("log");
        this.config = config;
        this.io = io;
        this.earlyAck = earlyAck;
        this.model = new ReferenceModel(config);
        Files.createDirectories(dir);
        if (!OPEN.add(dir))
        {
            throw new StoreLockedException(dir + " is already open in this JVM; close that store first");
        }
        FileChannel lc = null;
        FileLock l = null;
        try
        {
            lc = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try
            {
                l = lc.tryLock();
            }
            catch (final OverlappingFileLockException e)
            {
                l = null;
            }
            if (l == null)
            {
                throw new StoreLockedException(dir + " is open in another process; close that store first");
            }
            recover();
            channel = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            if (config.sync().kind() == SyncPolicy.Kind.EVERY)
            {
                final long ms = Math.max(1, config.sync().interval().toMillis());
                flusher = FLUSHER.scheduleWithFixedDelay(this::flush, ms, ms, TimeUnit.MILLISECONDS);
            }
            if (!config.maxAge().isZero())
            {
                sweep = FLUSHER.scheduleWithFixedDelay(this::sweep, 50, 50, TimeUnit.MILLISECONDS);
            }
        }
        catch (final IOException | RuntimeException e)
        {
            if (l != null)
            {
                l.release();
            }
            if (lc != null)
            {
                lc.close();
            }
            OPEN.remove(dir);
            throw e;
        }
        lockChannel = lc;
        lock = l;
    }

    // ------------------------------------------------------------------------------------------ recovery

    private void recover() throws IOException
    {
        Files.deleteIfExists(dir.resolve("log.compact"));
        if (!Files.exists(log))
        {
            final Path fresh = dir.resolve("log.new");
            try (FileChannel c = FileChannel.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING))
            {
                io.before("write", fresh);
                c.write(ByteBuffer.wrap(MAGIC));
                io.before("force", fresh);
                c.force(true);
            }
            io.before("rename", fresh);
            Files.move(fresh, log, StandardCopyOption.ATOMIC_MOVE);
            forceDir();
            written += MAGIC.length;
            return;
        }
        final byte[] b = Files.readAllBytes(log);
        if (b.length < MAGIC.length || !java.util.Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length))
        {
            throw new CorruptStoreException(log + " does not start with the log magic; restore it from a backup or " +
                "move the directory away", log.toString(), 0, null);
        }
        final TreeMap<Long, ReferenceModel.Msg> msgs = new TreeMap<>();
        long lastSeq = 0;
        int at = MAGIC.length;
        while (at < b.length)
        {
            final int end = validRecordEnd(b, at, lastSeq, checkCrc);
            if (end < 0)
            {
                cutOrRefuse(b, at, lastSeq, msgs);
                lastSeq = Math.max(lastSeq, floor);
                break;
            }
            final ByteBuffer r = ByteBuffer.wrap(b, at + 8, end - at - 8);
            final byte type = r.get();
            final long seq = r.getLong();
            switch (type)
            {
                case MSG ->
                {
                    final long ts = r.getLong();
                    final byte[] subject = new byte[r.getShort() & 0xFFFF];
                    final byte[] headers = new byte[r.getInt()];
                    final byte[] payload = new byte[r.getInt()];
                    r.get(subject).get(headers).get(payload);
                    msgs.put(seq,
                        new ReferenceModel.Msg(seq, new String(subject, StandardCharsets.UTF_8), headers, payload));
                    timestamps.put(seq, ts);
                    lastTimestamp = Math.max(lastTimestamp, ts);
                    lastSeq = seq;
                }
                case DEL -> msgs.remove(seq);
                case PURGE -> msgs.headMap(seq, true).clear();
                default -> lastSeq = Math.max(lastSeq, seq);
            }
            at = end;
        }
        timestamps.keySet().retainAll(msgs.keySet());
        ModelAccess.restore(model, lastSeq, new ArrayList<>(msgs.values()));
    }

    /** The end offset of the valid record at {@code at}, or -1 when it is short, insane or fails its CRC. */
    private static int validRecordEnd(final byte[] b, final int at, final long lastSeq, final boolean checkCrc)
    {
        if (b.length - at < 8)
        {
            return -1;
        }
        final ByteBuffer h = ByteBuffer.wrap(b, at, 8);
        final int len = h.getInt();
        final int crc = h.getInt();
        if (len < 9 || len > MAX_BODY || len > b.length - at - 8)
        {
            return -1;
        }
        final CRC32C c = new CRC32C();
        c.update(b, at + 8, len);
        if (checkCrc && (int)c.getValue() != crc)
        {
            return -1;
        }
        final ByteBuffer r = ByteBuffer.wrap(b, at + 8, len);
        final byte type = r.get();
        final long seq = r.getLong();
        switch (type)
        {
            case MSG ->
            {
                if (len < 27 || seq < 1 || lastSeq >= 0 && seq <= lastSeq)
                {
                    return -1;
                }
                r.getLong();
                final long body = (long)(r.getShort() & 0xFFFF) + r.getInt() + r.getInt();
                if (body != len - 27)
                {
                    return -1;
                }
            }
            case DEL, PURGE, BASE, FLOOR ->
            {
                if (len != 9 || seq < 0 || lastSeq >= 0 && type == DEL && seq > lastSeq)
                {
                    return -1;
                }
            }
            default ->
            {
                return -1;
            }
        }
        return at + 8 + len;
    }

    private void cutOrRefuse(final byte[] b, final int at, final long lastSeq, final TreeMap<Long, ReferenceModel.Msg> msgs)
        throws IOException
    {
        for (int next = at + 1; next + 8 <= b.length; next++)
        {
            // Sequence order is not checked here: any valid record after the damage means it is not a torn tail.
            if (validRecordEnd(b, next, -1, checkCrc) > 0)
            {
                throw new CorruptStoreException("damaged record at offset " + at + " of " + log + " with valid records " +
                    "after it (from offset " + next + "); restore the file from a replica, or move the directory away " +
                    "to accept the loss", log.toString(), at, null);
            }
        }
        long lost = 0;
        if (b.length - at >= 17 && b[at + 8] == MSG)
        {
            final long seq = ByteBuffer.wrap(b, at + 9, 8).getLong();
            if (seq == lastSeq + 1)
            {
                lost = seq;
            }
        }
        try (FileChannel c = FileChannel.open(log, StandardOpenOption.WRITE))
        {
            io.before("truncate", log);
            c.truncate(at);
            if (lost > 0)
            {
                final byte[] rec = control(FLOOR, lost);
                io.before("write", log);
                c.write(ByteBuffer.wrap(rec), at);
                written += rec.length;
                floor = lost;
            }
            io.before("force", log);
            c.force(true);
        }
        report = new RecoveryReport(false, b.length - at, 1, lost, lost, "cut a torn tail of " + (b.length - at) +
            " bytes at offset " + at + " of " + log + (lost > 0 ? "; message " + lost + " was lost" : ""));
        System.getLogger(LogStore.class.getName()).log(System.Logger.Level.WARNING, report.detail());
    }

    // --------------------------------------------------------------------------------------- records

    private static byte[] control(final byte type, final long seq)
    {
        final ByteBuffer body = ByteBuffer.allocate(9).put(type).putLong(seq);
        return frame(body.array());
    }

    private static byte[] message(final ReferenceModel.Msg m, final long ts)
    {
        final byte[] subject = m.subject().getBytes(StandardCharsets.UTF_8);
        final ByteBuffer body = ByteBuffer.allocate(27 + subject.length + m.headers().length + m.payload().length)
            .put(MSG).putLong(m.seq()).putLong(ts).putShort((short)subject.length).putInt(m.headers().length)
            .putInt(m.payload().length).put(subject).put(m.headers()).put(m.payload());
        return frame(body.array());
    }

    private static byte[] frame(final byte[] body)
    {
        final CRC32C c = new CRC32C();
        c.update(body);
        return ByteBuffer.allocate(8 + body.length).putInt(body.length).putInt((int)c.getValue()).put(body).array();
    }

    /** Writes records at the end of the log and, under {@code always}, forces them. Call under the lock. */
    private void write(final byte[] records, final boolean force)
    {
        if (earlyAck)
        {
            pending.writeBytes(records);
            if (pending.size() >= 64 * 1024)
            {
                drainPending();
            }
            durable();
            return;
        }
        try
        {
            io.before("write", log);
            final ByteBuffer buf = ByteBuffer.wrap(records);
            while (buf.hasRemaining())
            {
                channel.write(buf);
            }
            written += records.length;
            dirty = true;
            if (force)
            {
                forceLog();
            }
        }
        catch (final IOException e)
        {
            throw fail("write to " + log, e);
        }
    }

    private void drainPending()
    {
        try
        {
            io.before("write", log);
            channel.write(ByteBuffer.wrap(pending.toByteArray()));
            written += pending.size();
            pending.reset();
            dirty = true;
        }
        catch (final IOException e)
        {
            throw fail("write to " + log, e);
        }
    }

    private void forceLog() throws IOException
    {
        if (earlyAck && pending.size() > 0)
        {
            drainPending();
        }
        io.before("force", log);
        channel.force(false);
        syncs++;
        dirty = false;
        durable();
    }

    private void durable()
    {
        if (model.lastSeq() > durableSeq || !earlyAck)
        {
            durableSeq = Math.max(durableSeq, model.lastSeq());
            fanout.durable(durableSeq);
        }
    }

    private void forceDir() throws IOException
    {
        io.before("force", dir);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ))
        {
            d.force(true);
        }
    }

    private StoreException fail(final String what, final IOException e)
    {
        final String message = what + " failed (" + e.getMessage() + "); the store refuses every write until it is " +
            "closed and reopened";
        failed = String.valueOf(e.getMessage()).contains("No space left") ? new StoreFullException(message, e) :
            new StoreException(message, e);
        return failed;
    }

    private void checkWritable()
    {
        checkOpen();
        if (failed != null && !sticky)
        {
            failed = null;
        }
        if (failed != null)
        {
            throw new StoreException("the store failed earlier and refuses writes until it is reopened: " +
                failed.getMessage(), failed);
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("store " + dir + " is closed");
        }
        expire();
    }

    private void sweep()
    {
        try
        {
            synchronized (this)
            {
                if (!closed)
                {
                    expire();
                }
            }
        }
        finally
        {
            fanout.deliver();
        }
    }

    /** Under the monitor: removes what is older than maxAge, oldest first; a failed store expires nothing. */
    private void expire()
    {
        if (config.maxAge().isZero() || failed != null)
        {
            return;
        }
        final java.time.Instant now = java.time.Instant.now();
        final long cutoff = now.getEpochSecond() * 1_000_000_000L + now.getNano() - config.maxAge().toNanos();
        for (final ReferenceModel.Msg m : new ArrayList<>(model.messages().values()))
        {
            if (timestamps.getOrDefault(m.seq(), Long.MAX_VALUE) > cutoff)
            {
                break;
            }
            write(control(DEL, m.seq()), false);
            model.remove(m.seq());
            timestamps.remove(m.seq());
            tombstones++;
            fanout.removed(m.seq(), m.subject(), RemovalReason.LIMIT_AGE);
        }
    }

    private boolean always()
    {
        return config.sync().kind() == SyncPolicy.Kind.ALWAYS;
    }

    private void flush()
    {
        try
        {
            synchronized (this)
            {
                if (closed || failed != null)
                {
                    return;
                }
                if (dirty || earlyAck && pending.size() > 0)
                {
                    forceLog();
                }
            }
        }
        catch (final IOException e)
        {
            synchronized (this)
            {
                fail("force of " + log, e);
            }
        }
        finally
        {
            fanout.deliver();
        }
    }

    // ------------------------------------------------------------------------------------------- API

    @Override
    public synchronized StreamConfig config()
    {
        checkOpen();
        return config;
    }

    @Override
    public long append(final String subject, final byte[] headers, final byte[] payload)
    {
        Subjects.validateSubject(subject);
        Arguments.requireNonNull(payload, "payload");
        try
        {
            synchronized (this)
            {
                checkWritable();
                final long seq = model.append(subject, headers, payload);
                final java.time.Instant i = java.time.Instant.now();
                final long now = Math.max(lastTimestamp, i.getEpochSecond() * 1_000_000_000L + i.getNano());
                lastTimestamp = now;
                timestamps.put(seq, now);
                final ByteArrayOutputStream records = new ByteArrayOutputStream();
                records.writeBytes(message(model.load(seq), now));
                final List<ReferenceModel.Removal> removals = model.lastRemovals();
                for (final ReferenceModel.Removal r : removals)
                {
                    records.writeBytes(control(DEL, r.seq()));
                    tombstones++;
                }
                write(records.toByteArray(), always());
                fanout.appended(seq, subject);
                for (final ReferenceModel.Removal r : removals)
                {
                    timestamps.remove(r.seq());
                    fanout.removed(r.seq(), r.subject(), r.reason());
                }
                return seq;
            }
        }
        finally
        {
            fanout.deliver();
        }
    }

    @Override
    public boolean remove(final long seq)
    {
        Arguments.requireSequence(seq, "seq");
        try
        {
            synchronized (this)
            {
                checkOpen();
                final ReferenceModel.Msg m = model.load(seq);
                if (m == null)
                {
                    return false;
                }
                checkWritable();
                write(control(DEL, seq), always());
                model.remove(seq);
                timestamps.remove(seq);
                tombstones++;
                fanout.removed(seq, m.subject(), RemovalReason.REMOVED);
                return true;
            }
        }
        finally
        {
            fanout.deliver();
        }
    }

    @Override
    public long purge()
    {
        try
        {
            synchronized (this)
            {
                checkWritable();
                write(control(PURGE, model.lastSeq()), always());
                final long n = model.purge();
                for (final ReferenceModel.Removal r : model.lastRemovals())
                {
                    fanout.removed(r.seq(), r.subject(), r.reason());
                }
                timestamps.clear();
                return n;
            }
        }
        finally
        {
            fanout.deliver();
        }
    }

    @Override
    public CompactionResult compact()
    {
        try
        {
            synchronized (this)
            {
                checkWritable();
                final Path tmp = dir.resolve("log.compact");
                long size = MAGIC.length;
                final long before;
                try
                {
                    if (earlyAck && pending.size() > 0)
                    {
                        drainPending();
                    }
                    before = channel.size();
                    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING))
                    {
                        final ByteArrayOutputStream all = new ByteArrayOutputStream();
                        all.writeBytes(MAGIC);
                        for (final ReferenceModel.Msg m : model.messages().values())
                        {
                            all.writeBytes(message(m, timestamps.get(m.seq())));
                        }
                        // After the messages, whose sequences are below it: lastSeq survives an empty store.
                        all.writeBytes(control(BASE, model.lastSeq()));
                        io.before("write", tmp);
                        c.write(ByteBuffer.wrap(all.toByteArray()));
                        size = all.size();
                        io.before("force", tmp);
                        c.force(true);
                    }
                    io.before("rename", tmp);
                    Files.move(tmp, log, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    forceDir();
                    channel.close();
                    channel = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                    syncs++;
                    dirty = false;
                    durable();
                }
                catch (final IOException e)
                {
                    throw fail("compaction of " + log, e);
                }
                written += size;
                compacted += size;
                compactions++;
                final CompactionResult result = new CompactionResult(1, Math.max(0, before - size), size);
                fanout.compacted(result);
                return result;
            }
        }
        finally
        {
            fanout.deliver();
        }
    }

    @Override
    public void sync()
    {
        try
        {
            synchronized (this)
            {
                checkWritable();
                try
                {
                    forceLog();
                }
                catch (final IOException e)
                {
                    throw fail("force of " + log, e);
                }
            }
        }
        finally
        {
            fanout.deliver();
        }
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (flusher != null)
        {
            flusher.cancel(false);
        }
        if (sweep != null)
        {
            sweep.cancel(false);
        }
        try
        {
            if (failed == null)
            {
                forceLog();
            }
        }
        catch (final IOException | StoreException e)
        {
            throw e instanceof StoreException se ? se : fail("force at close of " + log, (IOException)e);
        }
        finally
        {
            try
            {
                channel.close();
                lock.release();
                lockChannel.close();
            }
            catch (final IOException ignore)
            {
                // the lock goes with the process anyway
            }
            OPEN.remove(dir);
        }
    }

    @Override
    public synchronized StoredMessage load(final long seq)
    {
        Arguments.requireSequence(seq, "seq");
        checkOpen();
        return wrap(model.load(seq));
    }

    @Override
    public synchronized StoredMessage loadNext(final String filter, final long fromSeq)
    {
        Subjects.validateFilter(filter);
        Arguments.requireSequence(fromSeq, "fromSeq");
        checkOpen();
        return wrap(model.loadNext(filter, fromSeq));
    }

    @Override
    public synchronized StoredMessage loadLast(final String subject)
    {
        Subjects.validateSubject(subject);
        checkOpen();
        return wrap(model.loadLast(subject));
    }

    @Override
    public synchronized StreamState state()
    {
        checkOpen();
        return model.state();
    }

    @Override
    public synchronized SubjectState subjectState(final String subject)
    {
        Subjects.validateSubject(subject);
        checkOpen();
        return model.subjectState(subject);
    }

    @Override
    public synchronized StoreStats stats()
    {
        checkOpen();
        long onDisk;
        try
        {
            onDisk = channel.size();
        }
        catch (final IOException e)
        {
            onDisk = 0;
        }
        return new StoreStats(written, onDisk, compactions, compacted, tombstones, syncs, report.bytesCut(),
            report.recordsLost());
    }

    @Override
    public synchronized RecoveryReport recoveryReport()
    {
        checkOpen();
        return report;
    }

    @Override
    public synchronized void addListener(final StoreListener listener)
    {
        Arguments.requireNonNull(listener, "listener");
        checkOpen();
        fanout.add(listener);
    }

    private StoredMessage wrap(final ReferenceModel.Msg m)
    {
        return m == null ? null : TestMessage.of(m, timestamps.getOrDefault(m.seq(), 0L));
    }
}
