package io.streamstore.bench;

import io.streamstore.spi.SyncPolicy;
import picocli.CommandLine;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads {@code --sync}: {@code never}, {@code always} or {@code every:<n><ns|us|ms|s|m>} such as {@code every:10ms}. */
final class SyncPolicyConverter implements CommandLine.ITypeConverter<SyncPolicy>
{
    private static final Pattern EVERY = Pattern.compile("every:(\\d+)(ns|us|ms|s|m)");

    @Override
    public SyncPolicy convert(final String value)
    {
        final String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("never"))
        {
            return SyncPolicy.never();
        }
        if (v.equals("always"))
        {
            return SyncPolicy.always();
        }
        final Matcher m = EVERY.matcher(v);
        if (m.matches())
        {
            final long n = Long.parseLong(m.group(1));
            final Duration interval = switch (m.group(2))
            {
                case "ns" -> Duration.ofNanos(n);
                case "us" -> Duration.ofNanos(n * 1_000);
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
            if (!interval.isZero())
            {
                return SyncPolicy.every(interval);
            }
        }
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a sync policy; use never, always, or every:<n><ns|us|ms|s|m> such as every:10ms");
    }

    /** The command-line spelling of a policy, for the settings printed with the results. */
    static String describe(final SyncPolicy policy)
    {
        return switch (policy.kind())
        {
            case ALWAYS -> "always";
            case NEVER -> "never";
            case EVERY -> policy.interval().toNanos() % 1_000_000 == 0 ?
                "every:" + policy.interval().toMillis() + "ms" : "every:" + policy.interval().toNanos() / 1_000 + "us";
        };
    }
}
