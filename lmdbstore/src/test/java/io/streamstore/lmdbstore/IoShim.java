package io.streamstore.lmdbstore;

import io.streamstore.conformance.reliability.IoFaults;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The Java side of {@code src/test/c/io_fault_shim.c}, an {@code LD_PRELOAD} library that puts a {@link Hook} (the
 * kit's {@link IoFaults#beforeIo}, or a test's own) in front of every write, force, truncate, rename, delete and create
 * a JVM makes under one directory, native (LMDB) and Java alike. The library calls {@code decide} through JNI, on the
 * thread about to make the call, and fails the call with ENOSPC or EIO when the hook throws. Works only in a JVM
 * started with the library preloaded (see {@link LmdbStoreFaultInjectionTest}); {@link #available()} says whether
 * this one was.
 *
 * <p>One directory at a time: {@link #arm} while a faulty store is open, {@link #disarm} once it is closed, so
 * that the kit's clean reopen after it runs without faults.
 */
final class IoShim
{
    /** The path of the preloaded library, set by the parent test for the child JVM. */
    static final String LIBRARY_PROPERTY = "lmdbstore.shim.library";

    /** What {@code decide} answers: go on, or fail with ENOSPC or EIO (the C side maps these to errno). */
    private static final int PROCEED = 0;
    private static final int NO_SPACE = 1;
    private static final int IO_ERROR = 2;

    private static final String NO_SPACE_MESSAGE = "No space left on device";

    /** {@code -Dlmdbstore.shim.trace=true}: every call asked about goes to stderr, with its index and answer. */
    private static final boolean TRACE = Boolean.getBoolean("lmdbstore.shim.trace");

    /** Decides about one call, on the thread about to make it: returns to let it go on, throws to fail it. */
    @FunctionalInterface
    interface Hook
    {
        /**
         * @param operation {@code write}, {@code force}, {@code truncate}, {@code rename}, {@code delete} or
         *                  {@code create}
         * @param file      the file (or directory) it acts on
         * @throws IOException to fail the call: ENOSPC when the message starts with "No space left on device",
         *                     else EIO
         */
        void beforeIo(String operation, Path file) throws IOException;
    }

    private static volatile Hook hook;
    private static long traced;
    private static volatile String loadError;
    private static volatile boolean loaded;

    private IoShim()
    {
    }

    /** True when the library is preloaded into this JVM and interposes libc's calls. */
    static synchronized boolean available()
    {
        if (!loaded && loadError == null)
        {
            final String library = System.getProperty(LIBRARY_PROPERTY);
            if (library == null || library.isBlank())
            {
                loadError = "no -D" + LIBRARY_PROPERTY + " names the shim library";
            }
            else
            {
                try
                {
                    // the same file LD_PRELOAD loaded: dlopen hands back that copy, and JNI finds its functions
                    System.load(library);
                    loaded = true;
                    if (!interposed0())
                    {
                        loadError = library + " is loaded but does not interpose libc: the JVM was not started with " +
                            "LD_PRELOAD=" + library;
                        loaded = false;
                    }
                }
                catch (final UnsatisfiedLinkError e)
                {
                    loadError = "could not load " + library + ": " + e.getMessage();
                }
            }
        }
        return loaded;
    }

    /** Why {@link #available()} is false. */
    static String unavailableReason()
    {
        return loadError;
    }

    /** From now on every counted call on a file under {@code directory} first asks the kit's {@code faults}. */
    static void arm(final Path directory, final IoFaults faults) throws IOException
    {
        arm(directory, faults::beforeIo);
    }

    /** From now on every counted call on a file under {@code directory} first asks {@code hook}. */
    static synchronized void arm(final Path directory, final Hook newHook) throws IOException
    {
        if (!available())
        {
            throw new IllegalStateException("the I/O fault shim is not active: " + loadError);
        }
        if (hook != null)
        {
            throw new IllegalStateException("the I/O fault shim is armed already; disarm it first");
        }
        final Path real = directory.toRealPath();
        hook = newHook;
        traced = 0;
        if (!arm0(real.toString()))
        {
            hook = null;
            throw new IllegalStateException("the I/O fault shim refused to arm for " + real);
        }
    }

    /** Back to a pass-through. */
    static synchronized void disarm()
    {
        if (loaded)
        {
            disarm0();
        }
        hook = null;
    }

    /** Calls the shim has asked about so far (all directories, all arms). */
    static long callsSeen()
    {
        return loaded ? callsSeen0() : 0;
    }

    /**
     * Called by the shim, on the thread about to make the call, before each counted call under the armed
     * directory. Must not touch that directory itself.
     */
    @SuppressWarnings("unused")
    private static int decide(final String operation, final String path)
    {
        final Hook h = hook;
        if (h == null)
        {
            return PROCEED;
        }
        int answer;
        try
        {
            h.beforeIo(operation, Path.of(path));
            answer = PROCEED;
        }
        catch (final IOException e)
        {
            answer = String.valueOf(e.getMessage()).startsWith(NO_SPACE_MESSAGE) ? NO_SPACE : IO_ERROR;
        }
        if (TRACE)
        {
            synchronized (IoShim.class)
            {
                System.err.println("[shim] call " + ++traced + " " + operation + " " + path + " on " +
                    Thread.currentThread().getName() + (answer == PROCEED ? "" : answer == NO_SPACE ? " -> ENOSPC" :
                    " -> EIO"));
            }
        }
        return answer;
    }

    private static native boolean interposed0();

    private static native boolean arm0(String directory);

    private static native void disarm0();

    private static native long callsSeen0();
}
