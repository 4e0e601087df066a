package io.streamstore.bench;

import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.StoreListener;
import io.streamstore.spi.StoreStats;
import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamState;
import io.streamstore.spi.StreamStore;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.StreamStores;
import io.streamstore.spi.SubjectState;
import io.streamstore.spi.SyncPolicy;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.List;

/**
 * A durable backend for the bench's own tests only (name {@code test-journal}): the memory store plus a
 * text journal of its changes, replayed on open. It lets the {@code recover} workload, child JVM and
 * SIGKILL included, run in a unit test while the real durable backends are built elsewhere. A torn last
 * line (the kill) is skipped.
 */
public final class JournalStoreProvider implements StreamStoreProvider
{
    static final String NAME = "test-journal";

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public boolean durable()
    {
        return true;
    }

    @Override
    public StreamStore open(final Path directory, final StreamConfig config) throws IOException
    {
        Files.createDirectories(directory);
        final Path journal = directory.resolve("journal.txt");
        final StreamStore memory = StreamStores.open("memory", directory, config.toBuilder().sync(SyncPolicy.never()).build());
        if (Files.exists(journal))
        {
            final List<String> lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
            for (final String line : lines)
            {
                final String[] parts = line.split(" ");
                if (parts.length == 3 && parts[0].equals("A"))
                {
                    try
                    {
                        memory.append(parts[1], null, Base64.getDecoder().decode(parts[2]));
                    }
                    catch (final IllegalArgumentException torn)
                    {
                        break;
                    }
                }
                else if (parts.length == 2 && parts[0].equals("R"))
                {
                    memory.remove(Long.parseLong(parts[1]));
                }
            }
        }
        final FileChannel channel = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
        return new JournalStore(memory, channel, config);
    }

    private static final class JournalStore implements StreamStore
    {
        private final StreamStore inner;
        private final FileChannel channel;
        private final BufferedWriter writer;
        private final StreamConfig config;
        private long written;

        JournalStore(final StreamStore inner, final FileChannel channel, final StreamConfig config)
        {
            this.inner = inner;
            this.channel = channel;
            this.config = config;
            writer = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8));
        }

        private synchronized void log(final String line)
        {
            try
            {
                writer.write(line);
                writer.write('\n');
                written += line.length() + 1;
                if (config.sync().kind() == SyncPolicy.Kind.ALWAYS)
                {
                    force();
                }
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException(e);
            }
        }

        private void force() throws IOException
        {
            writer.flush();
            channel.force(false);
        }

        @Override
        public StreamConfig config()
        {
            return config;
        }

        @Override
        public synchronized long append(final String subject, final byte[] headers, final byte[] payload)
        {
            final long seq = inner.append(subject, headers, payload);
            log("A " + subject + " " + Base64.getEncoder().encodeToString(payload));
            return seq;
        }

        @Override
        public StoredMessage load(final long seq)
        {
            return inner.load(seq);
        }

        @Override
        public StoredMessage loadNext(final String filter, final long fromSeq)
        {
            return inner.loadNext(filter, fromSeq);
        }

        @Override
        public StoredMessage loadLast(final String subject)
        {
            return inner.loadLast(subject);
        }

        @Override
        public synchronized boolean remove(final long seq)
        {
            final boolean removed = inner.remove(seq);
            if (removed)
            {
                log("R " + seq);
            }
            return removed;
        }

        @Override
        public long purge()
        {
            throw new UnsupportedOperationException("the test journal does not purge");
        }

        @Override
        public CompactionResult compact()
        {
            return new CompactionResult(0, 0, 0);
        }

        @Override
        public StreamState state()
        {
            return inner.state();
        }

        @Override
        public SubjectState subjectState(final String subject)
        {
            return inner.subjectState(subject);
        }

        @Override
        public synchronized StoreStats stats()
        {
            try
            {
                return new StoreStats(written, channel.size(), 0, 0, 0, 0);
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public synchronized void sync()
        {
            try
            {
                force();
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void addListener(final StoreListener listener)
        {
            inner.addListener(listener);
        }

        @Override
        public synchronized void close()
        {
            try
            {
                if (channel.isOpen())
                {
                    force();
                    writer.close();
                }
            }
            catch (final IOException e)
            {
                throw new UncheckedIOException(e);
            }
            inner.close();
        }
    }
}
