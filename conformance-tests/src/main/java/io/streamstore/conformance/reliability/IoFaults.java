package io.streamstore.conformance.reliability;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kit's side of fault injection (see {@link FaultInjectable}): counts the backend's write and force
 * calls and fails the chosen one, once (a transient error) or from then on (a dead disk), as
 * {@code IOException("No space left on device")} or {@code IOException("Input/output error")}.
 */
public final class IoFaults
{
    /** What the failing call throws. */
    public enum Kind
    {
        NO_SPACE("No space left on device"),
        IO_ERROR("Input/output error");

        final String message;

        Kind(final String message)
        {
            this.message = message;
        }
    }

    /** Sees each write and force call before it runs; may block it (the crash worker pauses there to be killed). */
    @FunctionalInterface
    public interface Observer
    {
        /**
         * @param operation what the call does, as passed to {@link #beforeIo}
         * @param file      the file it acts on
         */
        void beforeIo(String operation, Path file);
    }

    private final long failAt;
    private final boolean persistent;
    private final Kind kind;
    private final Observer observer;
    private final AtomicLong calls = new AtomicLong();
    private volatile String firedAt;

    /**
     * @param failAt     the 1-based index of the write or force call that fails
     * @param persistent true when every call after it fails too
     * @param kind       the error
     */
    public IoFaults(final long failAt, final boolean persistent, final Kind kind)
    {
        this(failAt, persistent, kind, null);
    }

    private IoFaults(final long failAt, final boolean persistent, final Kind kind, final Observer observer)
    {
        this.failAt = failAt;
        this.persistent = persistent;
        this.kind = kind;
        this.observer = observer;
    }

    /** Faults that never fire and show every call to {@code observer} first: the crash worker's I/O-step probe. */
    public static IoFaults observing(final Observer observer)
    {
        return new IoFaults(Long.MAX_VALUE, false, Kind.IO_ERROR, observer);
    }

    /**
     * Called by the backend before each write or force.
     *
     * @param operation what the call does, such as {@code write}, {@code force}, {@code truncate}, {@code rename}
     * @param file      the file it acts on
     * @throws IOException at the chosen call (and after it, when persistent)
     */
    public void beforeIo(final String operation, final Path file) throws IOException
    {
        if (observer != null)
        {
            observer.beforeIo(operation, file);
        }
        final long n = calls.incrementAndGet();
        if (n == failAt || persistent && n > failAt)
        {
            if (firedAt == null)
            {
                firedAt = operation + " " + file + " (call " + n + ")";
            }
            throw new IOException(kind.message + " [injected at " + operation + " of " + file + ", call " + n + "]");
        }
    }

    /** The calls counted so far. */
    public long calls()
    {
        return calls.get();
    }

    /** True when the fault was thrown at least once. */
    public boolean fired()
    {
        return firedAt != null;
    }

    /** Where the fault fired first, or null. */
    public String firedAt()
    {
        return firedAt;
    }

    @Override
    public String toString()
    {
        return kind + (persistent ? " from" : " at") + " call " + failAt;
    }
}
