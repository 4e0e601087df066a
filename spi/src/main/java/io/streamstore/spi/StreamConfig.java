package io.streamstore.spi;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The immutable configuration of one stream. Built with {@link #builder(String)}; {@link Builder#build()}
 * rejects any inconsistent combination with an {@link IllegalArgumentException} naming the field.
 *
 * <p>Defaults: {@link Retention#LIMITS}, no limits (a limit of 0 means "no limit"), {@link Discard#OLD},
 * {@code discardNewPerSubject} false, {@link SyncPolicy#always()}, no backend options.
 */
public final class StreamConfig
{
    private final String name;
    private final Retention retention;
    private final long maxMsgs;
    private final long maxBytes;
    private final Duration maxAge;
    private final long maxMsgsPerSubject;
    private final int maxMsgSize;
    private final Discard discard;
    private final boolean discardNewPerSubject;
    private final SyncPolicy sync;
    private final Map<String, String> options;

    private StreamConfig(final Builder b)
    {
        name = b.name;
        retention = b.retention;
        maxMsgs = b.maxMsgs;
        maxBytes = b.maxBytes;
        maxAge = b.maxAge;
        maxMsgsPerSubject = b.maxMsgsPerSubject;
        maxMsgSize = b.maxMsgSize;
        discard = b.discard;
        discardNewPerSubject = b.discardNewPerSubject;
        sync = b.sync;
        options = Collections.unmodifiableMap(new LinkedHashMap<>(b.options));
    }

    /**
     * A builder for a stream named {@code name}. The name is checked at {@link Builder#build()}.
     */
    public static Builder builder(final String name)
    {
        return new Builder(name);
    }

    /** A builder preset with every field of this config, to derive a changed copy. */
    public Builder toBuilder()
    {
        final Builder b = new Builder(name)
            .retention(retention)
            .maxMsgs(maxMsgs)
            .maxBytes(maxBytes)
            .maxAge(maxAge)
            .maxMsgsPerSubject(maxMsgsPerSubject)
            .maxMsgSize(maxMsgSize)
            .discard(discard)
            .discardNewPerSubject(discardNewPerSubject)
            .sync(sync);
        b.options.putAll(options);
        return b;
    }

    public String name()
    {
        return name;
    }

    public Retention retention()
    {
        return retention;
    }

    /** Most live messages; 0 = no limit. */
    public long maxMsgs()
    {
        return maxMsgs;
    }

    /** Most live bytes (subject + headers + payload per message); 0 = no limit. */
    public long maxBytes()
    {
        return maxBytes;
    }

    /** Oldest a message may get before it expires; {@link Duration#ZERO} = no limit. */
    public Duration maxAge()
    {
        return maxAge;
    }

    /** Most live messages on one subject; 0 = no limit. */
    public long maxMsgsPerSubject()
    {
        return maxMsgsPerSubject;
    }

    /** Largest message size (subject + headers + payload); 0 = no limit beyond the backend's own. */
    public int maxMsgSize()
    {
        return maxMsgSize;
    }

    public Discard discard()
    {
        return discard;
    }

    /** True when {@code maxMsgsPerSubject} refuses appends instead of evicting the subject's oldest. */
    public boolean discardNewPerSubject()
    {
        return discardNewPerSubject;
    }

    public SyncPolicy sync()
    {
        return sync;
    }

    /** Backend options, such as {@code file.block-size}; unmodifiable. */
    public Map<String, String> options()
    {
        return options;
    }

    /**
     * A whole-number backend option, checked against its range: the helper every backend uses so that a
     * bad option reads the same everywhere.
     *
     * @return the option's value, or {@code defaultValue} when it is not set
     * @throws IllegalArgumentException naming the key, if the value is not a whole number or is out of range
     */
    public long longOption(final String key, final long defaultValue, final long min, final long max)
    {
        final String raw = options.get(key);
        if (raw == null)
        {
            return defaultValue;
        }
        final long value;
        try
        {
            value = Long.parseLong(raw.trim().replace("_", ""));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(
                "option " + key + " must be a whole number between " + min + " and " + max + ", was '" + raw + "'");
        }
        if (value < min || value > max)
        {
            throw new IllegalArgumentException(
                "option " + key + " must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof StreamConfig c &&
            name.equals(c.name) && retention == c.retention && maxMsgs == c.maxMsgs && maxBytes == c.maxBytes &&
            maxAge.equals(c.maxAge) && maxMsgsPerSubject == c.maxMsgsPerSubject && maxMsgSize == c.maxMsgSize &&
            discard == c.discard && discardNewPerSubject == c.discardNewPerSubject && sync.equals(c.sync) &&
            options.equals(c.options);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(name, retention, maxMsgs, maxBytes, maxAge, maxMsgsPerSubject, maxMsgSize, discard,
            discardNewPerSubject, sync, options);
    }

    @Override
    public String toString()
    {
        return "StreamConfig{name=" + name + ", retention=" + retention + ", maxMsgs=" + maxMsgs +
            ", maxBytes=" + maxBytes + ", maxAge=" + maxAge + ", maxMsgsPerSubject=" + maxMsgsPerSubject +
            ", maxMsgSize=" + maxMsgSize + ", discard=" + discard + ", discardNewPerSubject=" + discardNewPerSubject +
            ", sync=" + sync + ", options=" + options + "}";
    }

    /** Builds a {@link StreamConfig}; every setter returns this builder. Not thread-safe. */
    public static final class Builder
    {
        private final String name;
        private Retention retention = Retention.LIMITS;
        private long maxMsgs;
        private long maxBytes;
        private Duration maxAge = Duration.ZERO;
        private long maxMsgsPerSubject;
        private int maxMsgSize;
        private Discard discard = Discard.OLD;
        private boolean discardNewPerSubject;
        private SyncPolicy sync = SyncPolicy.always();
        private final Map<String, String> options = new LinkedHashMap<>();

        private Builder(final String name)
        {
            this.name = name;
        }

        public Builder retention(final Retention r)
        {
            retention = r;
            return this;
        }

        public Builder maxMsgs(final long n)
        {
            maxMsgs = n;
            return this;
        }

        public Builder maxBytes(final long n)
        {
            maxBytes = n;
            return this;
        }

        public Builder maxAge(final Duration d)
        {
            maxAge = d;
            return this;
        }

        public Builder maxMsgsPerSubject(final long n)
        {
            maxMsgsPerSubject = n;
            return this;
        }

        public Builder maxMsgSize(final int n)
        {
            maxMsgSize = n;
            return this;
        }

        public Builder discard(final Discard d)
        {
            discard = d;
            return this;
        }

        public Builder discardNewPerSubject(final boolean b)
        {
            discardNewPerSubject = b;
            return this;
        }

        public Builder sync(final SyncPolicy p)
        {
            sync = p;
            return this;
        }

        /**
         * Sets a backend option. Keys a backend does not know are ignored by it; a malformed or
         * out-of-range value of a known key is rejected when the store is opened.
         *
         * @throws IllegalArgumentException if key or value is null, or the key is blank
         */
        public Builder option(final String key, final String value)
        {
            if (key == null || key.isBlank())
            {
                throw new IllegalArgumentException("option key must not be null or blank, was '" + key + "'");
            }
            if (value == null)
            {
                throw new IllegalArgumentException("option " + key + " must not have a null value");
            }
            options.put(key, value);
            return this;
        }

        /**
         * Checks and freezes the configuration.
         *
         * @throws IllegalArgumentException naming the field, for a bad name, a null field, a negative limit,
         *                                  or {@code discardNewPerSubject} without {@link Discard#NEW} and
         *                                  {@code maxMsgsPerSubject > 0}
         */
        public StreamConfig build()
        {
            checkName(name);
            requireField(retention, "retention");
            requireField(maxAge, "maxAge");
            requireField(discard, "discard");
            requireField(sync, "sync");
            requireNotNegative(maxMsgs, "maxMsgs");
            requireNotNegative(maxBytes, "maxBytes");
            requireNotNegative(maxMsgsPerSubject, "maxMsgsPerSubject");
            requireNotNegative(maxMsgSize, "maxMsgSize");
            if (maxAge.isNegative())
            {
                throw new IllegalArgumentException("maxAge must not be negative (ZERO means no limit), was " + maxAge);
            }
            if (discardNewPerSubject && discard != Discard.NEW)
            {
                throw new IllegalArgumentException(
                    "discardNewPerSubject requires discard(Discard.NEW), but discard is " + discard);
            }
            if (discardNewPerSubject && maxMsgsPerSubject == 0)
            {
                throw new IllegalArgumentException(
                    "discardNewPerSubject requires maxMsgsPerSubject > 0, but maxMsgsPerSubject is 0 (no limit)");
            }
            return new StreamConfig(this);
        }

        private static void checkName(final String name)
        {
            if (name == null || name.isBlank())
            {
                throw new IllegalArgumentException("name must not be null or blank, was '" + name + "'");
            }
            if (name.length() > 255)
            {
                throw new IllegalArgumentException("name must be at most 255 characters, was " + name.length());
            }
            for (int i = 0; i < name.length(); i++)
            {
                final char c = name.charAt(i);
                if (Character.isWhitespace(c) || Character.isISOControl(c) ||
                    c == '.' || c == '*' || c == '>' || c == '/' || c == '\\')
                {
                    throw new IllegalArgumentException("name must not contain whitespace, control characters or any of " +
                        "'.', '*', '>', '/', '\\', but '" + name + "' has " + Subjects.describe(c) + " at index " + i);
                }
            }
        }

        private static void requireField(final Object value, final String field)
        {
            if (value == null)
            {
                throw new IllegalArgumentException(field + " must not be null");
            }
        }

        private static void requireNotNegative(final long value, final String field)
        {
            if (value < 0)
            {
                throw new IllegalArgumentException(field + " must not be negative (0 means no limit), was " + value);
            }
        }
    }
}
