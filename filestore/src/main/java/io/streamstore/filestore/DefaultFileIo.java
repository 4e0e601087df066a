package io.streamstore.filestore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;

/** The real file system. */
final class DefaultFileIo implements FileIo
{
    static final DefaultFileIo INSTANCE = new DefaultFileIo();

    static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final FileAttribute<?>[] FILE_ATTRIBUTES = POSIX ?
        new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))} :
        new FileAttribute<?>[0];
    private static final FileAttribute<?>[] DIRECTORY_ATTRIBUTES = POSIX ?
        new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))} :
        new FileAttribute<?>[0];

    private DefaultFileIo()
    {
    }

    static void createDirectories(final Path directory) throws IOException
    {
        if (!Files.isDirectory(directory))
        {
            Files.createDirectories(directory, DIRECTORY_ATTRIBUTES);
        }
    }

    static FileChannel createFile(final Path path) throws IOException
    {
        return FileChannel.open(path, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING), FILE_ATTRIBUTES);
    }

    static FileChannel createFileNoTruncate(final Path path) throws IOException
    {
        return FileChannel.open(path, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.READ), FILE_ATTRIBUTES);
    }

    @Override
    public FileChannel create(final Path path) throws IOException
    {
        return createFile(path);
    }

    @Override
    public FileChannel openWrite(final Path path) throws IOException
    {
        return FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
    }

    @Override
    public void write(final FileChannel channel, final ByteBuffer src, final long position) throws IOException
    {
        long at = position;
        while (src.hasRemaining())
        {
            at += channel.write(src, at);
        }
    }

    @Override
    public void force(final FileChannel channel) throws IOException
    {
        // fdatasync: data plus the size, which is all an appended or new file needs
        channel.force(false);
    }

    @Override
    public void truncate(final FileChannel channel, final long size) throws IOException
    {
        channel.truncate(size);
    }

    @Override
    public void rename(final Path from, final Path to) throws IOException
    {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void delete(final Path path) throws IOException
    {
        Files.deleteIfExists(path);
    }

    @Override
    public void forceDirectory(final Path directory) throws IOException
    {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
        }
        catch (final IOException e)
        {
            if (POSIX)
            {
                throw e;
            }
            // Windows cannot open a directory as a channel; NTFS journals the rename itself.
        }
    }
}
