package io.streamstore.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultFilesTest
{
    @TempDir
    Path temp;

    private static Report sampleReport()
    {
        final RunResult loop = new RunResult("wq", "memory", "loop");
        loop.ops = 200_000;
        loop.seconds = 0.5;
        loop.latency = new Latency(0.25, 2.5, 12.75, 900.0);
        loop.bytesAppended = 20_600_000;
        loop.bytesWritten = 41_200_000;
        loop.compactions = 3;
        loop.bytesOnDisk = 1_048_576;
        loop.heapBytesPerMillionMsgs = 200_000_000;
        loop.firstTenthOpsPerSec = 400_000;
        loop.lastTenthOpsPerSec = 380_000;
        final List<Timeline.Sample> samples = new ArrayList<>();
        for (int i = 1; i <= 100; i++)
        {
            samples.add(new Timeline.Sample(i, i * 0.005, 400_000 - i * 100));
        }
        loop.timeline = samples;
        loop.extra.put("note", "quotes \" and, commas\nand a newline");
        loop.verdicts.add(new RunResult.Verdict("flatness", true, "95 %"));
        loop.verdicts.add(new RunResult.Verdict("write amplification", true, "2.00 <= 2"));

        final RunResult skipped = RunResult.skipped("wq", "file", "loop", "not built, \"file\" missing");
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("iterations", 200_000L);
        settings.put("sync", "never");
        final Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", 2);
        return new Report("wq", "wq: a description", "2026-11-26T06:00:00Z", settings, machine, List.of(loop, skipped));
    }

    @Test
    void jsonParsesBackWithEveryFigure() throws Exception
    {
        final List<Path> files = ResultFiles.writeAll(sampleReport(), temp);

        final JsonNode root = new ObjectMapper().readTree(temp.resolve("wq.json").toFile());
        assertTrue(files.contains(temp.resolve("wq.json")));
        assertEquals("wq", root.get("workload").asText());
        assertEquals(200_000, root.get("settings").get("iterations").asLong());
        final JsonNode loop = root.get("results").get(0);
        assertEquals("memory", loop.get("backend").asText());
        assertEquals(200_000, loop.get("ops").asLong());
        assertEquals(400_000.0, loop.get("opsPerSec").asDouble(), 0.001);
        assertEquals(2.5, loop.get("latencyMicros").get("p99").asDouble(), 1e-9);
        assertEquals(12.75, loop.get("latencyMicros").get("p999").asDouble(), 1e-9);
        assertEquals(2.0, loop.get("writeAmplification").asDouble(), 1e-9);
        assertEquals(3, loop.get("compactions").asLong());
        assertEquals(1_048_576, loop.get("bytesOnDisk").asLong());
        assertEquals(200_000_000, loop.get("heapBytesPerMillionMsgs").asLong());
        assertEquals(100, loop.get("timeline").size());
        assertEquals(3, loop.get("timeline").get(0).size());
        assertEquals(1.0, loop.get("timeline").get(0).get(0).asDouble(), 1e-9);
        assertEquals(399_900.0, loop.get("timeline").get(0).get(2).asDouble(), 1e-9);
        assertEquals("flatness", loop.get("verdicts").get(0).get("check").asText());
        assertTrue(loop.get("verdicts").get(0).get("pass").asBoolean());
        assertEquals("quotes \" and, commas\nand a newline", loop.get("extra").get("note").asText());
        assertTrue(loop.get("skipped").isNull());
    }

    @Test
    void figuresThatDoNotApplyAreNullInJson() throws Exception
    {
        ResultFiles.writeAll(sampleReport(), temp);

        final JsonNode skipped = new ObjectMapper().readTree(temp.resolve("wq.json").toFile()).get("results").get(1);
        assertEquals("not built, \"file\" missing", skipped.get("skipped").asText());
        assertTrue(skipped.get("seconds").isNull());
        assertTrue(skipped.get("opsPerSec").isNull());
        assertTrue(skipped.get("latencyMicros").isNull());
        assertTrue(skipped.get("writeAmplification").isNull());
        assertTrue(skipped.get("bytesOnDisk").isNull());
    }

    @Test
    void jsonCarriesTheReferenceFiguresUnderTheirLabel() throws Exception
    {
        ResultFiles.writeAll(sampleReport(), temp);

        final JsonNode reference = new ObjectMapper().readTree(temp.resolve("wq.json").toFile()).get("reference");
        assertEquals(2, reference.size());
        for (final JsonNode figure : reference)
        {
            assertEquals(Reference.NATS, figure.get("label").asText());
        }
        assertEquals(337_952, reference.get(0).get("value").asLong());
        assertEquals("file", reference.get(0).get("store").asText());
    }

    @Test
    void csvHasAHeaderAndOneRowPerResultWithQuotedCells() throws Exception
    {
        ResultFiles.writeAll(sampleReport(), temp);

        final List<String> lines = Files.readAllLines(temp.resolve("wq.csv"));
        assertEquals(3, lines.size());
        assertEquals(String.join(",", ResultFiles.CSV_COLUMNS), lines.get(0));
        assertTrue(lines.get(1).startsWith("wq,memory,loop,200000,0.5,400000,0.25,2.5,12.75,900,20600000,41200000,2,3,"),
            lines.get(1));
        assertTrue(lines.get(1).contains(",PASS,"), lines.get(1));
        assertTrue(lines.get(2).endsWith("\"not built, \"\"file\"\" missing\","), lines.get(2));
    }

    @Test
    void chartIsWellFormedSvgWithALinePerBackendAndTheReferenceLines() throws Exception
    {
        ResultFiles.writeAll(sampleReport(), temp);

        final Path svg = temp.resolve("wq-throughput.svg");
        final var document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", document.getDocumentElement().getNodeName());
        assertEquals(1, document.getElementsByTagName("polyline").getLength());
        final String text = Files.readString(svg);
        assertTrue(text.contains("NATS 2.9.10 file store"), text);
        assertTrue(text.contains(Reference.NATS), text);
    }

    @Test
    void htmlPageIsSelfContainedWithTheChartInline() throws Exception
    {
        ResultFiles.writeAll(sampleReport(), temp);

        final String html = Files.readString(temp.resolve("wq.html"));
        assertTrue(html.contains("<svg"), "chart inline");
        assertFalse(html.contains("src=\"http"), "nothing loaded from elsewhere");
        assertTrue(html.contains(Reference.NATS));
        assertTrue(html.contains("verdict memory: PASS"), html);
        assertTrue(html.contains("skipped: not built, &quot;file&quot; missing"), html);
    }

    @Test
    void noChartIsWrittenWithoutATimeline() throws Exception
    {
        final RunResult append = new RunResult("append", "memory", "append");
        append.ops = 10;
        append.seconds = 1;
        final Report report = new Report("append", "append", "now", Map.of(), Map.of(), List.of(append));

        final List<Path> files = ResultFiles.writeAll(report, temp);

        assertEquals(List.of(temp.resolve("append.json"), temp.resolve("append.csv"), temp.resolve("append.html")), files);
    }

    @Test
    void jsonWriterEscapesAndWritesNumbersJsonCanHold() throws Exception
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", "tab\there \\ \u0001");
        m.put("nan", Double.NaN);
        m.put("whole", 3.0);
        m.put("fraction", 0.1234567);
        m.put("list", List.of(1, 2));

        final JsonNode node = new ObjectMapper().readTree(Json.write(m));

        assertEquals("tab\there \\ \u0001", node.get("text").asText());
        assertTrue(node.get("nan").isNull());
        assertEquals("3", node.get("whole").toString());
        assertEquals(0.123457, node.get("fraction").asDouble(), 1e-12);
        assertEquals(2, node.get("list").size());
    }

    @Test
    void tableAlignsColumnsAndPrintsTheReferenceLabelAndVerdicts()
    {
        final java.io.StringWriter text = new java.io.StringWriter();
        ResultTable.print(sampleReport(), new java.io.PrintWriter(text));

        final String[] lines = text.toString().split("\\R");
        final String header = lines[2];
        final String row = lines[4];
        assertTrue(header.startsWith("backend"), header);
        assertEquals(header.length(), row.length(), "every row as wide as the header:\n" + text);
        assertTrue(text.toString().contains(Reference.NATS + ":"), text.toString());
        assertTrue(text.toString().contains("file loop: skipped: not built"), text.toString());
        assertTrue(text.toString().contains("verdict memory: PASS; flatness ok: 95 %"), text.toString());
    }
}
