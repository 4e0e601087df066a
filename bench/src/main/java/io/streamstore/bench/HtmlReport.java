package io.streamstore.bench;

import java.util.List;
import java.util.Map;

/** A small self-contained HTML page of one workload's report: table, verdicts, reference figures, inline chart. */
final class HtmlReport
{
    private HtmlReport()
    {
    }

    static String render(final Report report, final String svg)
    {
        final StringBuilder html = new StringBuilder(32_768);
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .append("<title>streamstore-bench ").append(x(report.workload())).append("</title>\n")
            .append("<style>\n")
            .append("body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}\n")
            .append("table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px}\n")
            .append("td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}th{background:#f3f3f3}\n")
            .append(".pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}\n")
            .append("li.pass,li.fail{font-weight:normal}.ref{color:#555}.small{font-size:0.9em;color:#555}\n")
            .append("</style>\n</head>\n<body>\n");
        html.append("<h1>streamstore-bench: ").append(x(report.workload())).append("</h1>\n");
        html.append("<p>").append(x(report.description())).append("</p>\n");
        html.append("<p class=\"small\">started ").append(x(report.startedAt())).append("; ")
            .append(x(ResultTable.settingsLine(report.machine()))).append("</p>\n");

        html.append("<table>\n<tr>");
        for (final String h : ResultTable.HEADER)
        {
            html.append("<th>").append(x(h)).append("</th>");
        }
        html.append("<th>verdict</th></tr>\n");
        for (final RunResult r : report.results())
        {
            html.append("<tr><td>").append(x(r.backend)).append("</td><td>").append(x(r.variant)).append("</td>");
            if (!r.ran())
            {
                html.append("<td colspan=\"").append(ResultTable.HEADER.size() - 1).append("\">")
                    .append(x(r.skipped != null ? "skipped: " + r.skipped : "FAILED: " + r.failure)).append("</td></tr>\n");
                continue;
            }
            final Latency l = r.latency;
            for (final String cell : List.of(
                Format.integer(r.ops), Format.seconds(r.seconds), Format.rate(r.opsPerSec()), ResultTable.referenceRate(r),
                l == null ? "" : Format.micros(l.p50Micros()),
                l == null ? "" : Format.micros(l.p99Micros()),
                l == null ? "" : Format.micros(l.p999Micros()),
                Format.ratio(r.writeAmplification()), Format.count(r.compactions), Format.bytes(r.bytesOnDisk),
                Format.bytes(r.heapBytesPerMillionMsgs), Long.toString(r.errors)))
            {
                html.append("<td class=\"n\">").append(x(cell)).append("</td>");
            }
            final String verdict = ResultFiles.verdict(r);
            html.append("<td class=\"").append(verdict.equals("FAIL") ? "fail" : "pass").append("\">")
                .append(x(verdict)).append("</td></tr>\n");
        }
        html.append("</table>\n");

        html.append("<h2>Verdicts</h2>\n<ul>\n");
        for (final RunResult r : report.results())
        {
            final String line = ResultTable.verdictLine(r);
            if (line != null)
            {
                html.append("<li class=\"").append(ResultFiles.verdict(r).equals("FAIL") ? "fail" : "pass").append("\">")
                    .append(x(line)).append("</li>\n");
            }
        }
        html.append("</ul>\n");

        if (svg != null)
        {
            html.append("<h2>Throughput through the loop</h2>\n").append(svg);
        }

        final List<Reference> references = report.references();
        if (!references.isEmpty())
        {
            html.append("<h2>Reference figures from another run</h2>\n<table class=\"ref\">\n")
                .append("<tr><th>source</th><th>store</th><th>figure</th><th>unit</th><th>what</th></tr>\n");
            for (final Reference ref : references)
            {
                html.append("<tr><td>").append(x(ref.source())).append("</td><td>").append(x(ref.store()))
                    .append("</td><td class=\"n\">")
                    .append(x(ref.unit().equals("ms") ? Format.micros(ref.value()) : Format.rate(ref.value())))
                    .append("</td><td>").append(x(ref.unit())).append("</td><td>").append(x(ref.note()))
                    .append("</td></tr>\n");
            }
            html.append("</table>\n");
        }

        html.append("<h2>Settings</h2>\n<table>\n");
        for (final Map.Entry<String, Object> e : report.settings().entrySet())
        {
            html.append("<tr><th>").append(x(e.getKey())).append("</th><td>").append(x(String.valueOf(e.getValue())))
                .append("</td></tr>\n");
        }
        html.append("</table>\n</body>\n</html>\n");
        return html.toString();
    }

    private static String x(final String s)
    {
        return SvgChart.xml(s == null ? "" : s);
    }
}
