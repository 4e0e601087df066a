package io.streamstore.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one workload's report under the results folder: {@code <workload>.json} (everything, including
 * the throughput timeline), {@code <workload>.csv} (one row per backend and variant), and for workloads
 * with a timeline {@code <workload>-throughput.svg}; always {@code <workload>.html}, a self-contained page
 * with the table, the verdicts, the reference figures and the chart inlined. Each run overwrites the
 * previous run's files of the same workload.
 */
final class ResultFiles
{
    static final List<String> CSV_COLUMNS = List.of(
        "workload", "backend", "variant", "ops", "seconds", "ops_per_sec", "p50_us", "p99_us", "p999_us", "max_us",
        "bytes_appended", "bytes_written", "write_amplification", "compactions", "bytes_on_disk",
        "heap_bytes_per_million_msgs", "errors", "verdict", "skipped", "failure");

    private ResultFiles()
    {
    }

    /** Writes every file of {@code report} into {@code directory} and returns their paths. */
    static List<Path> writeAll(final Report report, final Path directory) throws IOException
    {
        Files.createDirectories(directory);
        final List<Path> written = new ArrayList<>();
        written.add(write(directory.resolve(report.workload() + ".json"), Json.write(toMap(report))));
        written.add(write(directory.resolve(report.workload() + ".csv"), csv(report)));
        String svg = null;
        if (report.results().stream().anyMatch(r -> !r.timeline.isEmpty()))
        {
            svg = SvgChart.render(report);
            written.add(write(directory.resolve(report.workload() + "-throughput.svg"), svg));
        }
        written.add(write(directory.resolve(report.workload() + ".html"), HtmlReport.render(report, svg)));
        return written;
    }

    private static Path write(final Path file, final String content) throws IOException
    {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    static Map<String, Object> toMap(final Report report)
    {
        final Map<String, Object> root = new LinkedHashMap<>();
        root.put("tool", "streamstore-bench");
        root.put("workload", report.workload());
        root.put("description", report.description());
        root.put("startedAt", report.startedAt());
        root.put("settings", report.settings());
        root.put("machine", report.machine());
        final List<Object> results = new ArrayList<>();
        for (final RunResult r : report.results())
        {
            results.add(toMap(r));
        }
        root.put("results", results);
        final List<Object> references = new ArrayList<>();
        for (final Reference ref : report.references())
        {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", ref.source());
            m.put("store", ref.store());
            m.put("value", ref.value());
            m.put("unit", ref.unit());
            m.put("note", ref.note());
            references.add(m);
        }
        root.put("reference", references);
        return root;
    }

    static Map<String, Object> toMap(final RunResult r)
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", r.backend);
        m.put("variant", r.variant);
        m.put("skipped", r.skipped);
        m.put("failure", r.failure);
        m.put("note", r.note);
        m.put("ops", r.ops);
        m.put("seconds", r.seconds);
        m.put("opsPerSec", r.opsPerSec());
        if (r.latency != null)
        {
            final Map<String, Object> latency = new LinkedHashMap<>();
            latency.put("p50", r.latency.p50Micros());
            latency.put("p99", r.latency.p99Micros());
            latency.put("p999", r.latency.p999Micros());
            latency.put("max", r.latency.maxMicros());
            m.put("latencyMicros", latency);
        }
        else
        {
            m.put("latencyMicros", null);
        }
        m.put("bytesAppended", nullIfNegative(r.bytesAppended));
        m.put("bytesWritten", nullIfNegative(r.bytesWritten));
        m.put("writeAmplification", r.writeAmplification());
        m.put("compactions", nullIfNegative(r.compactions));
        m.put("bytesOnDisk", nullIfNegative(r.bytesOnDisk));
        m.put("heapBytesPerMillionMsgs", nullIfNegative(r.heapBytesPerMillionMsgs));
        m.put("errors", r.errors);
        m.put("firstTenthOpsPerSec", r.firstTenthOpsPerSec);
        m.put("lastTenthOpsPerSec", r.lastTenthOpsPerSec);
        final List<Object> verdicts = new ArrayList<>();
        for (final RunResult.Verdict v : r.verdicts)
        {
            final Map<String, Object> vm = new LinkedHashMap<>();
            vm.put("check", v.check());
            vm.put("pass", v.pass());
            vm.put("detail", v.detail());
            verdicts.add(vm);
        }
        m.put("verdicts", verdicts);
        m.put("extra", r.extra);
        final List<Object> timeline = new ArrayList<>();
        for (final Timeline.Sample s : r.timeline)
        {
            timeline.add(List.of(s.percent(), s.seconds(), s.opsPerSec()));
        }
        m.put("timelineColumns", List.of("percentDone", "seconds", "opsPerSec"));
        m.put("timeline", timeline);
        return m;
    }

    private static Long nullIfNegative(final long value)
    {
        return value < 0 ? null : value;
    }

    static String csv(final Report report)
    {
        final StringBuilder out = new StringBuilder();
        out.append(String.join(",", CSV_COLUMNS)).append('\n');
        for (final RunResult r : report.results())
        {
            final Latency l = r.latency;
            final List<String> row = List.of(
                r.workload, r.backend, r.variant,
                Long.toString(r.ops),
                number(r.seconds),
                number(r.opsPerSec()),
                l == null ? "" : number(l.p50Micros()),
                l == null ? "" : number(l.p99Micros()),
                l == null ? "" : number(l.p999Micros()),
                l == null ? "" : number(l.maxMicros()),
                count(r.bytesAppended),
                count(r.bytesWritten),
                number(r.writeAmplification()),
                count(r.compactions),
                count(r.bytesOnDisk),
                count(r.heapBytesPerMillionMsgs),
                Long.toString(r.errors),
                verdict(r),
                r.skipped == null ? "" : r.skipped,
                r.failure == null ? "" : r.failure);
            final List<String> quoted = new ArrayList<>(row.size());
            for (final String cell : row)
            {
                quoted.add(quote(cell));
            }
            out.append(String.join(",", quoted)).append('\n');
        }
        return out.toString();
    }

    /** PASS, FAIL, or empty when no goal applies. */
    static String verdict(final RunResult r)
    {
        if (r.failure != null)
        {
            return "FAIL";
        }
        if (r.verdicts.isEmpty())
        {
            return "";
        }
        return r.verdicts.stream().allMatch(RunResult.Verdict::pass) ? "PASS" : "FAIL";
    }

    private static String number(final double d)
    {
        return Double.isNaN(d) || Double.isInfinite(d) ? "" : Json.number(d);
    }

    private static String count(final long n)
    {
        return n < 0 ? "" : Long.toString(n);
    }

    private static String quote(final String cell)
    {
        if (cell.indexOf(',') < 0 && cell.indexOf('"') < 0 && cell.indexOf('\n') < 0)
        {
            return cell;
        }
        return '"' + cell.replace("\"", "\"\"") + '"';
    }
}
