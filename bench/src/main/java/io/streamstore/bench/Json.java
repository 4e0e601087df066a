package io.streamstore.bench;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A small JSON writer for the result files: maps (in their iteration order), lists, strings, numbers,
 * booleans and null. A number that JSON cannot hold (NaN, infinity) is written as {@code null}.
 */
final class Json
{
    private static final MathContext SIGNIFICANT = new MathContext(6);

    private Json()
    {
    }

    static String write(final Object value)
    {
        final StringBuilder out = new StringBuilder(4096);
        write(out, value, 0);
        out.append('\n');
        return out.toString();
    }

    private static void write(final StringBuilder out, final Object value, final int indent)
    {
        if (value == null)
        {
            out.append("null");
        }
        else if (value instanceof String s)
        {
            string(out, s);
        }
        else if (value instanceof Double || value instanceof Float)
        {
            final double d = ((Number)value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d))
            {
                out.append("null");
            }
            else
            {
                out.append(number(d));
            }
        }
        else if (value instanceof Number || value instanceof Boolean)
        {
            out.append(value);
        }
        else if (value instanceof Map<?, ?> map)
        {
            if (map.isEmpty())
            {
                out.append("{}");
                return;
            }
            out.append("{\n");
            final Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            while (it.hasNext())
            {
                final Map.Entry<?, ?> e = it.next();
                pad(out, indent + 1);
                string(out, String.valueOf(e.getKey()));
                out.append(": ");
                write(out, e.getValue(), indent + 1);
                out.append(it.hasNext() ? ",\n" : "\n");
            }
            pad(out, indent);
            out.append('}');
        }
        else if (value instanceof List<?> list)
        {
            if (list.isEmpty())
            {
                out.append("[]");
                return;
            }
            final boolean flat = list.stream().noneMatch(v -> v instanceof Map || v instanceof List);
            out.append(flat ? "[" : "[\n");
            for (int i = 0; i < list.size(); i++)
            {
                if (!flat)
                {
                    pad(out, indent + 1);
                }
                write(out, list.get(i), indent + 1);
                if (i + 1 < list.size())
                {
                    out.append(flat ? ", " : ",\n");
                }
            }
            if (!flat)
            {
                out.append('\n');
                pad(out, indent);
            }
            out.append(']');
        }
        else
        {
            string(out, value.toString());
        }
    }

    /** A finite number, whole numbers without a fraction, others to six significant digits. */
    static String number(final double d)
    {
        if (d == Math.rint(d) && Math.abs(d) < 1e15)
        {
            return Long.toString((long)d);
        }
        return new BigDecimal(d).round(SIGNIFICANT).stripTrailingZeros().toPlainString();
    }

    private static void pad(final StringBuilder out, final int indent)
    {
        out.append("  ".repeat(indent));
    }

    private static void string(final StringBuilder out, final String s)
    {
        out.append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            switch (c)
            {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
