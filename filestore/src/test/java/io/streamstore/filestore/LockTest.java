package io.streamstore.filestore;

import io.streamstore.spi.StoreLockedException;
import io.streamstore.spi.StreamStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LockTest
{
    @TempDir
    Path tmp;

    @Test
    void aSecondOpenInThisProcessFailsWithStoreLocked() throws IOException
    {
        final Path dir = tmp.resolve("s");
        try (FileStore first = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            first.append("a", new byte[]{1});
            final StoreLockedException e = assertThrows(StoreLockedException.class,
                () -> StreamStores.open("file", dir, Fixtures.smallBlocks()));
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
            assertEquals(1, first.state().msgs(), "the failed open did not disturb the open store");
        }
        try (FileStore again = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(1, again.state().msgs(), "closing released the lock");
        }
    }

    @Test
    void anOpenFromAnotherProcessFailsWhileThisOneHoldsTheStore() throws Exception
    {
        final Path dir = tmp.resolve("s");
        try (FileStore held = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            held.append("a", new byte[]{1});
            final ChildJvm child = ChildJvm.start("try", dir.toString());
            final String line = child.await("", 60_000);
            child.process.waitFor();
            assertTrue(line.startsWith("LOCKED"), "child could open a held store: " + line);
        }
    }

    @Test
    void thisProcessCannotOpenAStoreAnotherProcessHolds() throws Exception
    {
        final Path dir = tmp.resolve("s");
        final ChildJvm child = ChildJvm.start("hold", dir.toString());
        try
        {
            child.await("READY", 60_000);
            assertThrows(StoreLockedException.class, () -> Fixtures.open(dir, Fixtures.smallBlocks()));
        }
        finally
        {
            child.closeInput();
            child.process.waitFor();
        }
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            assertEquals(1, s.state().msgs());
        }
    }

    @Test
    void filesAreOwnerOnlyWherePosixAllows() throws IOException
    {
        assumeTrue(DefaultFileIo.POSIX, "no POSIX permissions on this file system");
        final Path dir = tmp.resolve("perm");
        try (FileStore s = Fixtures.open(dir, Fixtures.smallBlocks()))
        {
            s.append("a", new byte[]{1});
            s.sync();
        }
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE), Files.getPosixFilePermissions(dir));
        try (var files = Files.list(dir))
        {
            for (final Path p : (Iterable<Path>)files::iterator)
            {
                assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(p), p.toString());
            }
        }
    }
}
