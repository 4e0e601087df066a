package io.streamstore.lmdbstore;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;

/**
 * Bytes the calling thread has handed to {@code write}/{@code pwrite} so far, from Linux's
 * {@code /proc/thread-self/io} ({@code wchar}). Read just before and after {@code mdb_txn_commit}, which
 * runs on the calling thread, the difference is exactly what that commit wrote: its dirty pages and
 * the meta page. Where the file does not exist (not Linux), {@link #read()} returns -1 and the store
 * falls back to an estimate.
 */
final class IoCounter
{
    private static final String PATH = "/proc/thread-self/io";
    static final boolean AVAILABLE = read() >= 0;

    private IoCounter()
    {
    }

    static long read()
    {
        final byte[] buf = new byte[512];
        int n = 0;
        try (RandomAccessFile f = new RandomAccessFile(PATH, "r"))
        {
            int r;
            while (n < buf.length && (r = f.read(buf, n, buf.length - n)) > 0)
            {
                n += r;
            }
        }
        catch (final IOException | SecurityException e)
        {
            return -1;
        }
        final String text = new String(buf, 0, n, StandardCharsets.US_ASCII);
        final int at = text.indexOf("wchar:");
        if (at < 0)
        {
            return -1;
        }
        long v = 0;
        for (int i = at + 6; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c >= '0' && c <= '9')
            {
                v = v * 10 + (c - '0');
            }
            else if (c == '\n')
            {
                break;
            }
        }
        return v;
    }
}
