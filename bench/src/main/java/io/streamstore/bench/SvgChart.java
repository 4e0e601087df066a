package io.streamstore.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws throughput over time, one line per backend, as a self-contained SVG: a flat line is a healthy
 * store, a falling one is the collapse the bench exists to show. Reference figures from another run are
 * drawn as dashed horizontal lines and labelled as such.
 */
final class SvgChart
{
    static final int WIDTH = 960;
    private static final int PLOT_HEIGHT = 380;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    /** Room under the plot for the axis title; the legend follows, one line per entry. */
    private static final int BOTTOM = 60;
    private static final int LEGEND_LINE = 20;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"};

    private SvgChart()
    {
    }

    static String render(final Report report)
    {
        final List<RunResult> lines = new ArrayList<>();
        double maxRate = 0;
        for (final RunResult r : report.results())
        {
            if (!r.timeline.isEmpty())
            {
                lines.add(r);
                for (final Timeline.Sample s : r.timeline)
                {
                    maxRate = Math.max(maxRate, s.opsPerSec());
                }
            }
        }
        final List<Reference> references = new ArrayList<>();
        for (final Reference ref : report.references())
        {
            if (ref.unit().equals("it/s"))
            {
                references.add(ref);
                maxRate = Math.max(maxRate, ref.value());
            }
        }
        final double yMax = niceCeiling(maxRate > 0 ? maxRate * 1.05 : 1);
        final double xMax = 100;
        final double plotWidth = WIDTH - LEFT - RIGHT;
        final double plotHeight = PLOT_HEIGHT;
        final int legendTop = TOP + PLOT_HEIGHT + BOTTOM;
        final int height = legendTop + LEGEND_LINE * (lines.size() + references.size() + (references.isEmpty() ? 0 : 1)) + 10;

        final StringBuilder svg = new StringBuilder(16_384);
        svg.append(String.format(Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" " +
                "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s</text>%n",
            LEFT, xml(report.workload() + ": throughput through the loop (each point = 1 % of the iterations; " +
                "flat is healthy)")));

        for (int i = 0; i <= 5; i++)
        {
            final double value = yMax * i / 5;
            final double y = TOP + plotHeight - plotHeight * i / 5;
            svg.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, y, LEFT + plotWidth, y));
            svg.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, y + 4, xml(Format.rate(value))));
            final double xValue = xMax * i / 5;
            final double x = LEFT + plotWidth * i / 5;
            svg.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>%n", x, TOP, x, TOP + plotHeight));
            svg.append(String.format(Locale.ROOT,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>%n", x, TOP + plotHeight + 18,
                xml(trim(xValue) + " %")));
        }
        svg.append(String.format(Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>%n",
            LEFT, TOP, plotWidth, plotHeight));
        svg.append(String.format(Locale.ROOT,
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">progress through the loop (%% of its iterations done)</text>%n",
            LEFT + plotWidth / 2, TOP + PLOT_HEIGHT + 40));
        svg.append(String.format(Locale.ROOT,
            "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">iterations per second</text>%n",
            TOP + plotHeight / 2));

        int legendY = legendTop;
        for (int i = 0; i < lines.size(); i++)
        {
            final RunResult r = lines.get(i);
            final String colour = COLOURS[i % COLOURS.length];
            final StringBuilder points = new StringBuilder();
            for (final Timeline.Sample s : r.timeline)
            {
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ",
                    LEFT + plotWidth * s.percent() / xMax, TOP + plotHeight - plotHeight * s.opsPerSec() / yMax));
            }
            svg.append(String.format(Locale.ROOT,
                "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
                colour, points.toString().trim()));
            if (r.timeline.size() < 10)
            {
                // A loop stopped early leaves a few points only: mark them so they are seen.
                for (final Timeline.Sample s : r.timeline)
                {
                    svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>%n",
                        LEFT + plotWidth * s.percent() / xMax, TOP + plotHeight - plotHeight * s.opsPerSec() / yMax, colour));
                }
            }
            legendY = legend(svg, legendY, colour, false,
                r.backend + " (" + legendVerdict(r) + ", " + Format.seconds(r.seconds) + ")");
        }
        for (int i = 0; i < references.size(); i++)
        {
            final Reference ref = references.get(i);
            final String colour = COLOURS[(lines.size() + i) % COLOURS.length];
            final double y = TOP + plotHeight - plotHeight * ref.value() / yMax;
            svg.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" " +
                    "stroke-dasharray=\"6 4\"/>%n", LEFT, y, LEFT + plotWidth, y, colour));
            legendY = legend(svg, legendY, colour, true,
                ref.chartLabel() + ": " + Format.rate(ref.value()) + " it/s");
        }
        if (!references.isEmpty())
        {
            svg.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#555\">dashed: %s; not ours</text>%n",
                LEFT + 30, legendY + 4, xml(Reference.NATS)));
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static int legend(final StringBuilder svg, final int y, final String colour, final boolean dashed,
        final String label)
    {
        final int x = LEFT;
        svg.append(String.format(Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
            x, y, x + 24, y, colour, dashed ? " stroke-dasharray=\"6 4\"" : ""));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", x + 30, y + 4, xml(label)));
        return y + 20;
    }

    /** The smallest 1, 2 or 5 times a power of ten at or above {@code value}. */
    static double niceCeiling(final double value)
    {
        final double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (final double step : new double[] {1, 2, 2.5, 5, 10})
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String trim(final double value)
    {
        return value == Math.rint(value) ? Long.toString((long)value) : String.format(Locale.ROOT, "%.2f", value);
    }

    static String xml(final String s)
    {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** The short verdict shown in the legend. */
    private static String legendVerdict(final RunResult r)
    {
        final String v = ResultFiles.verdict(r);
        return v.isEmpty() ? "no verdict" : v;
    }
}
