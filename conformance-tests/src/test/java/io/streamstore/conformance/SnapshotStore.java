package io.streamstore.conformance;

import io.streamstore.spi.Arguments;
import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.ListenerFanout;
import io.streamstore.spi.StoreClosedException;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreLockedException;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.Subjects;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A deliberately simple durable store for the kit's own tests: the {@link ReferenceModel} behind one lock,
 * saved whole to a snapshot file on sync, compact and close. It exists so that the kit's durable rules
 * ({@code dur_*}, {@code mdl_04}, {@code cmp_05}, {@code bad_12}) are run at least once here, before real
 * durable backends rely on them. maxAge is kept by a sweep every 50 ms on one shared daemon thread and before
 * every call.
 */
final class SnapshotStore implements StreamStore
{
    static final StreamStoreProvider PROVIDER = new StreamStoreProvider()
    {
        @Override
        public String name()
        {
            return "kit-snapshot";
        }

        @Override
        public boolean durable()
        {
            return true;
        }

        @Override
        public StreamStore open(final Path directory, final StreamConfig config) throws IOException
        {
            Arguments.requireNonNull(directory, "directory");
            Arguments.requireNonNull(config, "config");
            return new SnapshotStore(directory, config);
        }
    };

    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();
    private static final ScheduledExecutorService SWEEPER = Executors.newSingleThreadScheduledExecutor(r ->
    {
        final Thread t = new Thread(r, "kit-snapshot-expiry");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> sweep;

    private final Path dir;
    private final Path file;
    private final StreamConfig config;
    private final ReferenceModel model;
    private final Map<Long, Long> timestamps = new HashMap<>();
    private final ListenerFanout fanout = new ListenerFanout();
    private long lastTimestamp;
    private boolean closed;
    private long written;
    private long compacted;
    private long compactions;
    private long syncs;
    private long durableSeq;

    private SnapshotStore(final Path directory, final StreamConfig config) throws IOException
    {
        dir = directory.toAbsolutePath().normalize();
        if (!OPEN.add(dir))
        {
            throw new StoreLockedException(dir + " is open in another store");
        }
        this.config = config;
        this.model = new ReferenceModel(config);
        file = dir.resolve("snapshot.bin");
        try
        {
            Files.createDirectories(dir);
            if (Files.exists(file))
            {
                load();
            }
            if (!config.maxAge().isZero())
            {
                sweep = SWEEPER.scheduleWithFixedDelay(this::sweep, 50, 50, TimeUnit.MILLISECONDS);
            }
        }
        catch (final IOException | RuntimeException e)
        {
            OPEN.remove(dir);
            throw e;
        }
    }

    private void load() throws IOException
    {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file))))
        {
            final long lastSeq = in.readLong();
            final int n = in.readInt();
            final List<ReferenceModel.Msg> msgs = new ArrayList<>(n);
            for (int i = 0; i < n; i++)
            {
                final long seq = in.readLong();
                final long ts = in.readLong();
                final String subject = in.readUTF();
                final byte[] headers = in.readNBytes(in.readInt());
                final byte[] payload = in.readNBytes(in.readInt());
                msgs.add(new ReferenceModel.Msg(seq, subject, headers, payload));
                timestamps.put(seq, ts);
                lastTimestamp = Math.max(lastTimestamp, ts);
            }
            model.restore(lastSeq, msgs);
        }
    }

    private long save()
    {
        final Path tmp = dir.resolve("snapshot.tmp");
        try
        {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp))))
            {
                out.writeLong(model.lastSeq());
                out.writeInt(model.messages().size());
                for (final ReferenceModel.Msg m : model.messages().values())
                {
                    out.writeLong(m.seq());
                    out.writeLong(timestamps.get(m.seq()));
                    out.writeUTF(m.subject());
                    out.writeInt(m.headers().length);
                    out.write(m.headers());
                    out.writeInt(m.payload().length);
                    out.write(m.payload());
                }
            }
            final long size = Files.size(tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written += size;
            syncs++;
            if (model.lastSeq() > durableSeq)
            {
                durableSeq = model.lastSeq();
                fanout.durable(durableSeq);
            }
            return size;
        }
        catch (final IOException e)
        {
            throw new UncheckedIOException(e);
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

    /** Removes what is older than maxAge; call under the lock, deliver after releasing it. */
    private void expire()
    {
        if (config.maxAge().isZero())
        {
            return;
        }
        final Instant now = Instant.now();
        final long cutoff = now.getEpochSecond() * 1_000_000_000L + now.getNano() - config.maxAge().toNanos();
        for (final ReferenceModel.Msg m : new ArrayList<>(model.messages().values()))
        {
            if (timestamps.get(m.seq()) > cutoff)
            {
                break;
            }
            model.remove(m.seq());
            timestamps.remove(m.seq());
            fanout.removed(m.seq(), m.subject(), io.streamstore.spi.RemovalReason.LIMIT_AGE);
        }
    }

    private StoredMessage wrap(final ReferenceModel.Msg m)
    {
        return m == null ? null : TestMessage.of(m, timestamps.get(m.seq()));
    }

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
        final long seq;
        try
        {
            synchronized (this)
            {
                checkOpen();
                seq = model.append(subject, headers, payload);
                final Instant now = Instant.now();
                lastTimestamp = Math.max(lastTimestamp, now.getEpochSecond() * 1_000_000_000L + now.getNano());
                timestamps.put(seq, lastTimestamp);
                fanout.appended(seq, subject);
                recordRemovals();
            }
        }
        finally
        {
            fanout.deliver();
        }
        return seq;
    }

    private void recordRemovals()
    {
        for (final ReferenceModel.Removal r : model.lastRemovals())
        {
            timestamps.remove(r.seq());
            fanout.removed(r.seq(), r.subject(), r.reason());
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
    public boolean remove(final long seq)
    {
        Arguments.requireSequence(seq, "seq");
        try
        {
            synchronized (this)
            {
                checkOpen();
                final boolean removed = model.remove(seq);
                recordRemovals();
                return removed;
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
                checkOpen();
                final long n = model.purge();
                recordRemovals();
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
                checkOpen();
                final long size = save();
                compacted += size;
                compactions++;
                final CompactionResult result = new CompactionResult(1, 0, size);
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
            onDisk = Files.exists(file) ? Files.size(file) : 0;
        }
        catch (final IOException e)
        {
            onDisk = 0;
        }
        return new StoreStats(written, onDisk, compactions, compacted, 0, syncs);
    }

    @Override
    public void sync()
    {
        try
        {
            synchronized (this)
            {
                checkOpen();
                save();
            }
        }
        finally
        {
            fanout.deliver();
        }
    }

    @Override
    public synchronized void addListener(final StoreListener listener)
    {
        Arguments.requireNonNull(listener, "listener");
        checkOpen();
        fanout.add(listener);
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        save();
        closed = true;
        if (sweep != null)
        {
            sweep.cancel(false);
        }
        OPEN.remove(dir);
    }
}
