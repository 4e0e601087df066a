package io.streamstore.lmdbstore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where LMDB mapped {@code data.mdb} in this process, from Linux's {@code /proc/self/maps}: LMDBJava does not expose
 * the map's address ({@code mdb_env_info} reports the fixed-map address, 0 here). Read only when the map moves (open
 * and resize), never per operation. 0 where it cannot be found (not Linux): the store then skips the bounds check of
 * {@link LmdbStore#checkMapped}.
 */
final class MapLocator
{
    private MapLocator()
    {
    }

    static long address(final Path dataFile)
    {
        try
        {
            final String path = dataFile.toRealPath().toString();
            final List<String> lines = Files.readAllLines(Path.of("/proc/self/maps"));
            for (final String line : lines)
            {
                // start-end perms offset dev inode path
                final String[] f = line.trim().split("\\s+", 6);
                if (f.length == 6 && f[5].equals(path) && Long.parseLong(f[2], 16) == 0)
                {
                    return Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16);
                }
            }
        }
        catch (final IOException | RuntimeException e)
        {
            // not Linux, or unreadable: no bounds check
        }
        return 0;
    }
}
