package io.streamstore.filestore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Every file operation that changes what is on disk goes through here, so that tests can fail any one of
 * them (a crash at each step of a roll, compaction, purge or index write) and so that the order of
 * steps is visible in one place. Reads (mapping, reading whole files at open) go to the channel directly.
 */
interface FileIo
{
    /** Creates {@code path} (replacing any old file), owner read/write only where the OS allows. */
    FileChannel create(Path path) throws IOException;

    /** Opens an existing file to append to or truncate. */
    FileChannel openWrite(Path path) throws IOException;

    /** Writes all of {@code src} at {@code position}. */
    void write(FileChannel channel, ByteBuffer src, long position) throws IOException;

    /** Forces the file's data (and size) to stable storage. */
    void force(FileChannel channel) throws IOException;

    void truncate(FileChannel channel, long size) throws IOException;

    /** Atomically renames {@code from} onto {@code to}, replacing it. */
    void rename(Path from, Path to) throws IOException;

    void delete(Path path) throws IOException;

    /** Makes creates, renames and deletes in {@code directory} durable. */
    void forceDirectory(Path directory) throws IOException;

    /**
     * Replaces {@code directory/name} with {@code contents} crash-safely: write {@code name.tmp}, force it, rename
     * it over {@code name}, force the directory. A crash leaves the old file or the new one (and perhaps a
     * {@code .tmp} that recovery deletes), never a mix. Each step goes through this seam's own methods.
     */
    default void replace(final Path directory, final String name, final ByteBuffer contents) throws IOException
    {
        final Path tmp = directory.resolve(name + ".tmp");
        final FileChannel channel = create(tmp);
        try
        {
            write(channel, contents, 0);
            force(channel);
        }
        finally
        {
            channel.close();
        }
        rename(tmp, directory.resolve(name));
        forceDirectory(directory);
    }
}
