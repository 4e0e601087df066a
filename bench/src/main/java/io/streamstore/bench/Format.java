package io.streamstore.bench;

import java.util.Locale;

/** How figures are printed in the table, the CSV's neighbours and the HTML page. */
final class Format
{
    private Format()
    {
    }

    static String integer(final long n)
    {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** An operations-per-second figure: whole numbers with thousands separators. */
    static String rate(final double perSecond)
    {
        return Double.isNaN(perSecond) ? "" : String.format(Locale.ROOT, "%,.0f", perSecond);
    }

    static String micros(final double micros)
    {
        if (Double.isNaN(micros))
        {
            return "";
        }
        return micros < 10 ? String.format(Locale.ROOT, "%.2f", micros) :
            micros < 1000 ? String.format(Locale.ROOT, "%.1f", micros) : String.format(Locale.ROOT, "%,.0f", micros);
    }

    static String seconds(final double seconds)
    {
        if (Double.isNaN(seconds))
        {
            return "";
        }
        return seconds < 1 ?
            String.format(Locale.ROOT, "%.1f ms", seconds * 1e3) : String.format(Locale.ROOT, "%.2f s", seconds);
    }

    static String bytes(final long bytes)
    {
        if (bytes < 0)
        {
            return "";
        }
        if (bytes < 1024)
        {
            return bytes + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1)
        {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    static String ratio(final double ratio)
    {
        return Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio);
    }

    /** A decimal without a trailing ".0". */
    static String decimal(final double value)
    {
        return value == Math.rint(value) ? Long.toString((long)value) : Double.toString(value);
    }

    static String count(final long n)
    {
        return n < 0 ? "" : integer(n);
    }
}
