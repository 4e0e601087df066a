package io.streamstore.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * When a durable store forces changes to stable storage. A memory store accepts any policy and keeps
 * nothing across close.
 */
public final class SyncPolicy
{
    /** The three kinds of policy. */
    public enum Kind
    {
        /** Every append and removal is durable before the call returns (concurrent callers share one force). */
        ALWAYS,
        /** A background flusher forces at a fixed interval; a crash may lose up to one interval. */
        EVERY,
        /** Forced only by {@link StreamStore#sync()} and {@link StreamStore#close()}. */
        NEVER
    }

    private static final SyncPolicy ALWAYS = new SyncPolicy(Kind.ALWAYS, Duration.ZERO);
    private static final SyncPolicy NEVER = new SyncPolicy(Kind.NEVER, Duration.ZERO);

    private final Kind kind;
    private final Duration interval;

    private SyncPolicy(final Kind kind, final Duration interval)
    {
        this.kind = kind;
        this.interval = interval;
    }

    /** Durable before each append or remove returns. The default: safe first. */
    public static SyncPolicy always()
    {
        return ALWAYS;
    }

    /**
     * Forced every {@code interval} by a background flusher.
     *
     * @throws IllegalArgumentException if {@code interval} is null, zero or negative
     */
    public static SyncPolicy every(final Duration interval)
    {
        if (interval == null || interval.isZero() || interval.isNegative())
        {
            throw new IllegalArgumentException("interval must be a positive duration, was " + interval);
        }
        return new SyncPolicy(Kind.EVERY, interval);
    }

    /** Forced only on {@link StreamStore#sync()} and {@link StreamStore#close()}. */
    public static SyncPolicy never()
    {
        return NEVER;
    }

    public Kind kind()
    {
        return kind;
    }

    /** The flush interval of an {@link Kind#EVERY} policy; {@link Duration#ZERO} otherwise. */
    public Duration interval()
    {
        return interval;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof SyncPolicy other && kind == other.kind && interval.equals(other.interval);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(kind, interval);
    }

    @Override
    public String toString()
    {
        return kind == Kind.EVERY ? "every(" + interval + ")" : kind.name().toLowerCase(java.util.Locale.ROOT) + "()";
    }
}
