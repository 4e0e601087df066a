package io.streamstore.conformance.reliability;

import io.streamstore.spi.StoredMessage;
import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.StreamStoreProvider;
import io.streamstore.spi.StreamStores;
import io.streamstore.spi.SyncPolicy;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the reliability workloads write, derived from (seed, sequence) alone, so that a parent that only
 * learned a sequence from a child's acknowledgement line can check the exact bytes read back; and the
 * small codecs parent and child share (provider spec, sync policy, backend options).
 */
final class Workload
{
    /** Subjects the workloads spread messages over. */
    static final int SUBJECTS = 50;

    private Workload()
    {
    }

    static long mix(final long seed, final long seq)
    {
        long z = seed * 0x9E3779B97F4A7C15L + seq * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static String subject(final long seed, final long seq)
    {
        return "rel." + Long.remainderUnsigned(mix(seed, seq), SUBJECTS);
    }

    /** Headers of one message in four; null otherwise. */
    static byte[] headers(final long seed, final long seq)
    {
        final long h = mix(seed ^ 0x5BD1E995L, seq);
        return (h & 3) != 0 ? null : bytes((int)Long.remainderUnsigned(h >>> 8, 17), h);
    }

    /** Crash-workload payloads: mostly 0-300 bytes, 3 in 100 of 4-12 KiB (so blocks roll), some empty. */
    static byte[] payload(final long seed, final long seq)
    {
        final long h = mix(seed + 1, seq);
        final int pick = (int)Long.remainderUnsigned(h, 100);
        final int size = pick < 3 ? 4096 + (int)Long.remainderUnsigned(h >>> 20, 8192) :
            pick < 8 ? 0 : (int)Long.remainderUnsigned(h >>> 20, 300);
        return bytes(size, h);
    }

    /** Payloads of the corruption stores: 0-120 bytes, so that the tail records are short. */
    static byte[] smallPayload(final long seed, final long seq)
    {
        final long h = mix(seed + 2, seq);
        return bytes((int)Long.remainderUnsigned(h >>> 20, 121), h);
    }

    static byte[] bytes(final int size, final long salt)
    {
        final byte[] b = new byte[size];
        long x = salt | 1;
        for (int i = 0; i < size; i++)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte)x;
        }
        return b;
    }

    /** Null when {@code m} is exactly what the workload appended under its sequence; else what differs. */
    static String mismatch(final long seed, final StoredMessage m, final boolean small)
    {
        final long seq = m.seq();
        final String subject = subject(seed, seq);
        if (!subject.equals(m.subject()))
        {
            return "subject of " + seq + " is '" + m.subject() + "', appended '" + subject + "'";
        }
        final byte[] h = headers(seed, seq);
        if (!Arrays.equals(h == null ? new byte[0] : h, m.headers()))
        {
            return "headers of " + seq + " differ (" + m.headers().length + " bytes read)";
        }
        final byte[] p = small ? smallPayload(seed, seq) : payload(seed, seq);
        if (!Arrays.equals(p, m.payload()))
        {
            return "payload of " + seq + " differs (" + m.payload().length + " bytes read, " + p.length + " appended)";
        }
        return null;
    }

    /** How a child JVM finds the backend: {@code name:<provider name>} or {@code class:<provider class>}. */
    static StreamStoreProvider resolve(final String spec)
    {
        if (spec.startsWith("name:"))
        {
            return StreamStores.provider(spec.substring(5));
        }
        if (spec.startsWith("class:"))
        {
            try
            {
                return (StreamStoreProvider)Class.forName(spec.substring(6)).getDeclaredConstructor().newInstance();
            }
            catch (final ReflectiveOperationException e)
            {
                throw new IllegalArgumentException("cannot instantiate provider " + spec.substring(6) +
                    " (a public class with a public no-argument constructor is needed)", e);
            }
        }
        throw new IllegalArgumentException("provider spec must be name:<name> or class:<class>, was '" + spec + "'");
    }

    static SyncPolicy policy(final String s)
    {
        if (s.startsWith("every:"))
        {
            return SyncPolicy.every(Duration.ofMillis(Long.parseLong(s.substring(6))));
        }
        return switch (s)
        {
            case "always" -> SyncPolicy.always();
            case "never" -> SyncPolicy.never();
            default -> throw new IllegalArgumentException("sync policy must be always, never or every:<ms>, was " + s);
        };
    }

    static String policyName(final SyncPolicy p)
    {
        return switch (p.kind())
        {
            case ALWAYS -> "always";
            case NEVER -> "never";
            case EVERY -> "every:" + p.interval().toMillis();
        };
    }

    /** Options as {@code k=v;k=v} for a command line (keys and values must hold neither ';' nor '='). */
    static String encodeOptions(final Map<String, String> options)
    {
        final StringBuilder sb = new StringBuilder("-");
        new TreeMap<>(options).forEach((k, v) -> sb.append(';').append(k).append('=').append(v));
        return sb.toString();
    }

    static Map<String, String> decodeOptions(final String s)
    {
        final Map<String, String> options = new LinkedHashMap<>();
        for (final String kv : s.split(";"))
        {
            final int eq = kv.indexOf('=');
            if (eq > 0)
            {
                options.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return options;
    }

    static StreamConfig config(final String stream, final SyncPolicy policy, final Map<String, String> options)
    {
        final StreamConfig.Builder b = StreamConfig.builder(stream).sync(policy);
        options.forEach(b::option);
        return b.build();
    }
}
