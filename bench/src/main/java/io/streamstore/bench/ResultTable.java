package io.streamstore.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Prints one workload's report for a person: an aligned table, the reference figures, one verdict line per run. */
final class ResultTable
{
    static final List<String> HEADER = List.of(
        "backend", "variant", "ops", "time", "ops/s", "ref ops/s*", "p50 us", "p99 us", "p99.9 us",
        "B written/B appended", "compactions", "on disk", "heap/1M msgs", "errors");

    private ResultTable()
    {
    }

    static void print(final Report report, final PrintWriter out)
    {
        out.println();
        out.println(report.description());
        final List<List<String>> rows = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        for (final RunResult r : report.results())
        {
            if (!r.ran())
            {
                notes.add("  " + r.backend + " " + r.variant + ": " +
                    (r.skipped != null ? "skipped: " + r.skipped : "FAILED: " + r.failure));
                continue;
            }
            final Latency l = r.latency;
            rows.add(List.of(
                r.backend,
                r.variant,
                Format.integer(r.ops),
                Format.seconds(r.seconds),
                Format.rate(r.opsPerSec()),
                referenceRate(r),
                l == null ? "" : Format.micros(l.p50Micros()),
                l == null ? "" : Format.micros(l.p99Micros()),
                l == null ? "" : Format.micros(l.p999Micros()),
                Format.ratio(r.writeAmplification()),
                Format.count(r.compactions),
                Format.bytes(r.bytesOnDisk),
                Format.bytes(r.heapBytesPerMillionMsgs),
                Long.toString(r.errors)));
        }
        if (!rows.isEmpty())
        {
            out.print(align(HEADER, rows));
        }
        for (final RunResult r : report.results())
        {
            if (r.ran() && r.note != null)
            {
                notes.add("  " + r.backend + " " + r.variant + ": " + r.note);
            }
        }
        notes.forEach(out::println);
        final List<Reference> references = report.references();
        if (!rows.isEmpty() && !references.isEmpty())
        {
            out.println("* ref ops/s: a figure from another run, not ours: NATS 2.9.10's file store beside a durable " +
                "backend, its memory store beside a non-durable one; all reference figures:");
        }
        String source = null;
        for (final Reference ref : references)
        {
            if (!ref.source().equals(source))
            {
                source = ref.source();
                out.println(source + ":");
            }
            out.printf("  %-8s %14s %-9s %s%n", ref.store(),
                ref.unit().equals("ms") ? Format.micros(ref.value()) : Format.rate(ref.value()), ref.unit(), ref.note());
        }
        for (final RunResult r : report.results())
        {
            final String line = verdictLine(r);
            if (line != null)
            {
                out.println(line);
            }
        }
        out.flush();
    }

    /** The reference rate shown beside {@code r}, or an empty cell. */
    static String referenceRate(final RunResult r)
    {
        final Reference ref = Reference.besideRow(r.workload, r.durable);
        return ref == null ? "" : Format.rate(ref.value());
    }

    /** {@code verdict <backend> [<variant>]: PASS|FAIL; check: detail; …}, or null when no goal applies. */
    static String verdictLine(final RunResult r)
    {
        if (r.failure != null)
        {
            return "verdict " + r.backend + " " + r.variant + ": FAIL; the run failed: " + r.failure;
        }
        if (r.verdicts.isEmpty())
        {
            return null;
        }
        final StringBuilder line = new StringBuilder("verdict ").append(r.backend);
        if (!"loop".equals(r.variant))
        {
            line.append(" (").append(r.variant).append(')');
        }
        line.append(": ").append(ResultFiles.verdict(r));
        for (final RunResult.Verdict v : r.verdicts)
        {
            line.append("; ").append(v.check()).append(' ').append(v.pass() ? "ok" : "FAILED").append(": ").append(v.detail());
        }
        return line.toString();
    }

    /** Columns padded to their widest cell; text left-aligned, figures right-aligned. */
    static String align(final List<String> header, final List<List<String>> rows)
    {
        final int[] widths = new int[header.size()];
        for (int c = 0; c < header.size(); c++)
        {
            widths[c] = header.get(c).length();
            for (final List<String> row : rows)
            {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        final StringBuilder out = new StringBuilder();
        appendRow(out, header, widths);
        final List<String> rule = new ArrayList<>();
        for (final int w : widths)
        {
            rule.add("-".repeat(w));
        }
        appendRow(out, rule, widths);
        for (final List<String> row : rows)
        {
            appendRow(out, row, widths);
        }
        return out.toString();
    }

    private static void appendRow(final StringBuilder out, final List<String> cells, final int[] widths)
    {
        for (int c = 0; c < cells.size(); c++)
        {
            final String cell = cells.get(c);
            final String pad = " ".repeat(widths[c] - cell.length());
            out.append(c < 2 ? cell + pad : pad + cell);
            out.append(c + 1 < cells.size() ? "  " : "");
        }
        out.append(System.lineSeparator());
    }

    /** The settings printed under the table heading are kept in the report; this prints them in one line. */
    static String settingsLine(final Map<String, Object> settings)
    {
        final StringBuilder line = new StringBuilder();
        settings.forEach((k, v) -> line.append(line.length() == 0 ? "" : ", ").append(k).append('=').append(v));
        return line.toString();
    }
}
