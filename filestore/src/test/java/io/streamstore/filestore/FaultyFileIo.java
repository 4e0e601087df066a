package io.streamstore.filestore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The real file system with a fault switch: the n-th mutating call (counting from 1 after {@link #arm})
 * throws, and so does every call after it (a dead disk or a crash: the store must stop, and what it left
 * on disk must reopen to the old state or the new one). Every call is logged by kind, so tests can
 * see which step a fault hit.
 */
final class FaultyFileIo implements FileIo
{
    private final FileIo real = DefaultFileIo.INSTANCE;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final java.util.Map<FileChannel, Path> paths = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<Path, Long> durableLength = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Set<Path> createdSinceDirectorySync = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private long calls;
    private long failAt = Long.MAX_VALUE;
    private boolean dead;
    private String faultMessage = "injected fault";

    /** The message of the injected IOException, e.g. the kernel's ENOSPC text. */
    synchronized void faultMessage(final String message)
    {
        faultMessage = message;
    }

    /** Fails the {@code n}-th mutating call from now (1 = the next one) and all after it. */
    synchronized void arm(final long n)
    {
        calls = 0;
        failAt = n;
        dead = false;
        log.clear();
    }

    synchronized void disarm()
    {
        failAt = Long.MAX_VALUE;
        dead = false;
    }

    synchronized long calls()
    {
        return calls;
    }

    synchronized boolean tripped()
    {
        return dead;
    }

    List<String> log()
    {
        synchronized (log)
        {
            return new ArrayList<>(log);
        }
    }

    private synchronized void step(final String what, final Path path) throws IOException
    {
        calls++;
        log.add(what + " " + (path == null ? "" : path.getFileName()));
        if (dead || calls >= failAt)
        {
            dead = true;
            throw new IOException(faultMessage + " at call " + calls + " (" + what + ")");
        }
    }

    /**
     * A power loss after the store stopped: every file keeps what its last force made durable, plus, at
     * random, none, some or all of what was written after it (a torn tail); a file created since the last
     * directory force may vanish. Renames and deletes are taken as durable (a simplification). Returns the
     * bytes dropped.
     */
    long powerLoss(final java.util.Random random) throws IOException
    {
        long dropped = 0;
        for (final var e : durableLength.entrySet())
        {
            final Path path = e.getKey();
            if (!java.nio.file.Files.exists(path))
            {
                continue;
            }
            if (createdSinceDirectorySync.contains(path) && random.nextBoolean())
            {
                dropped += java.nio.file.Files.size(path);
                java.nio.file.Files.delete(path);
                continue;
            }
            final long size = java.nio.file.Files.size(path);
            final long durable = Math.min(size, e.getValue());
            final long keep = switch (random.nextInt(3))
            {
                case 0 -> durable;
                case 1 -> durable + (size > durable ? (long)(random.nextDouble() * (size - durable)) : 0);
                default -> size;
            };
            if (keep < size)
            {
                try (FileChannel ch = FileChannel.open(path, java.nio.file.StandardOpenOption.WRITE))
                {
                    ch.truncate(keep);
                }
                dropped += size - keep;
            }
        }
        return dropped;
    }

    @Override
    public FileChannel create(final Path path) throws IOException
    {
        step("create", path);
        final FileChannel channel = real.create(path);
        paths.put(channel, path);
        durableLength.put(path, 0L);
        createdSinceDirectorySync.add(path);
        return channel;
    }

    @Override
    public FileChannel openWrite(final Path path) throws IOException
    {
        step("openWrite", path);
        final FileChannel channel = real.openWrite(path);
        paths.put(channel, path);
        durableLength.putIfAbsent(path, channel.size());
        return channel;
    }

    @Override
    public void write(final FileChannel channel, final ByteBuffer src, final long position) throws IOException
    {
        step("write", null);
        real.write(channel, src, position);
    }

    @Override
    public void force(final FileChannel channel) throws IOException
    {
        step("force", null);
        real.force(channel);
        final Path path = paths.get(channel);
        if (path != null)
        {
            durableLength.put(path, channel.size());
        }
    }

    @Override
    public void truncate(final FileChannel channel, final long size) throws IOException
    {
        step("truncate", null);
        real.truncate(channel, size);
    }

    @Override
    public void rename(final Path from, final Path to) throws IOException
    {
        step("rename", to);
        real.rename(from, to);
        final Long durable = durableLength.remove(from);
        if (durable != null)
        {
            durableLength.put(to, durable);
        }
        createdSinceDirectorySync.remove(from);
    }

    @Override
    public void delete(final Path path) throws IOException
    {
        step("delete", path);
        real.delete(path);
    }

    @Override
    public void forceDirectory(final Path directory) throws IOException
    {
        step("forceDirectory", directory);
        real.forceDirectory(directory);
        createdSinceDirectorySync.clear();
    }
}
