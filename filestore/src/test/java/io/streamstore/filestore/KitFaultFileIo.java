package io.streamstore.filestore;

import io.streamstore.conformance.reliability.IoFaults;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The file store's I/O seam wired to the reliability kit's {@link IoFaults}: every write, force, truncate,
 * rename, create and delete asks the kit first. */
final class KitFaultFileIo implements FileIo
{
    private final FileIo real = DefaultFileIo.INSTANCE;
    private final IoFaults faults;
    private final Map<FileChannel, Path> paths = new ConcurrentHashMap<>();

    KitFaultFileIo(final IoFaults faults)
    {
        this.faults = faults;
    }

    @Override
    public FileChannel create(final Path path) throws IOException
    {
        faults.beforeIo("create", path);
        final FileChannel channel = real.create(path);
        paths.put(channel, path);
        return channel;
    }

    @Override
    public FileChannel openWrite(final Path path) throws IOException
    {
        final FileChannel channel = real.openWrite(path);
        paths.put(channel, path);
        return channel;
    }

    @Override
    public void write(final FileChannel channel, final ByteBuffer src, final long position) throws IOException
    {
        faults.beforeIo("write", paths.get(channel));
        real.write(channel, src, position);
    }

    @Override
    public void force(final FileChannel channel) throws IOException
    {
        faults.beforeIo("force", paths.get(channel));
        real.force(channel);
    }

    @Override
    public void truncate(final FileChannel channel, final long size) throws IOException
    {
        faults.beforeIo("truncate", paths.get(channel));
        real.truncate(channel, size);
    }

    @Override
    public void rename(final Path from, final Path to) throws IOException
    {
        faults.beforeIo("rename", to);
        real.rename(from, to);
    }

    @Override
    public void delete(final Path path) throws IOException
    {
        faults.beforeIo("delete", path);
        real.delete(path);
    }

    @Override
    public void forceDirectory(final Path directory) throws IOException
    {
        faults.beforeIo("force", directory);
        real.forceDirectory(directory);
    }
}
