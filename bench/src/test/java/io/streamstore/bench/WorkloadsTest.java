package io.streamstore.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny run of each workload on the memory backend: counts and fields, never timings. */
class WorkloadsTest
{
    @TempDir
    Path temp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private Report run(final String workload, final String... extra) throws IOException
    {
        return runOn("memory", workload, extra);
    }

    private Report runOn(final String backend, final String workload, final String... extra) throws IOException
    {
        final List<String> args = new ArrayList<>(List.of(workload, "--backends", backend,
            "--results", temp.resolve("results").toString(), "--work-dir", temp.resolve("work").toString(),
            "--progress", "off"));
        args.addAll(List.of(extra));
        Files.createDirectories(temp.resolve("work"));
        final BenchCommand command = new BenchCommand();

        final int code =
            Main.execute(command, args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));

        assertEquals(0, code, "exit code; stderr:\n" + err + "\nstdout:\n" + out);
        assertEquals(1, command.reports().size());
        assertTrue(Files.exists(temp.resolve("results").resolve(workload + ".json")));
        try (Stream<Path> left = Files.list(temp.resolve("work")))
        {
            assertEquals(List.of(), left.toList(), "every store directory is deleted after the run");
        }
        return command.reports().get(0);
    }

    private JsonNode json(final String workload) throws IOException
    {
        return new ObjectMapper().readTree(temp.resolve("results").resolve(workload + ".json").toFile());
    }

    @Test
    void wqRunsTheLoopAndWritesTableJsonCsvChartAndPage() throws IOException
    {
        final Report report = run("wq", "--messages", "300", "--iterations", "2000", "--warmup", "500");

        final RunResult r = report.results().get(0);
        assertEquals("memory", r.backend);
        assertEquals(2000, r.ops);
        assertEquals(0, r.errors);
        assertEquals(300L, r.extra.get("liveMsgsAtEnd"));
        assertEquals(Timeline.BUCKETS, r.timeline.size());
        assertNotNull(r.latency);
        assertEquals(2000L * (3 + 100), r.bytesAppended, "subject q.N is 3 bytes, payload 100");
        assertTrue(r.heapBytesPerMillionMsgs >= 0);
        assertEquals(List.of("flatness", "write amplification"), r.verdicts.stream().map(RunResult.Verdict::check).toList());
        for (final String file : List.of("wq.json", "wq.csv", "wq-throughput.svg", "wq.html"))
        {
            assertTrue(Files.exists(temp.resolve("results").resolve(file)), file);
        }
        assertEquals(2000, json("wq").get("results").get(0).get("ops").asLong());
        assertEquals(300, json("wq").get("settings").get("messages").asLong());
        assertTrue(out.toString().contains("B written/B appended"), out.toString());
        assertTrue(out.toString().contains("verdict memory: "), out.toString());
        assertTrue(out.toString().contains(Reference.NATS), out.toString());
    }

    @Test
    void theKitsOverCompactionBackendFailsTheWriteAmplificationVerdictBesideACorrectStore() throws IOException
    {
        // 2,000 messages of 4,000 B fill two of the broken store's notional 4 MiB blocks, so that each remove
        // in the first (sealed) block makes it copy that block's live messages.
        final Report report = runOn("memory,broken-overcompaction:memory", "wq",
            "--messages", "2000", "--payload", "4000", "--iterations", "100", "--warmup", "0");

        final RunResult correct = report.results().get(0);
        final RunResult broken = report.results().get(1);
        assertEquals("broken-overcompaction:memory", broken.backend);
        assertTrue(correct.verdicts.stream().anyMatch(v -> v.check().equals("write amplification") && v.pass()));
        assertTrue(broken.verdicts.stream().anyMatch(v -> v.check().equals("write amplification") && !v.pass()),
            broken.verdicts.toString());
        assertTrue(broken.writeAmplification() > 10 * correct.writeAmplification(),
            broken.writeAmplification() + " vs " + correct.writeAmplification());
        assertTrue(out.toString().contains("verdict broken-overcompaction:memory: FAIL"), out.toString());
    }

    @Test
    void seedRepublishesFromTheHookWithoutErrors() throws IOException
    {
        final Report report = run("seed", "--seed-subjects", "50", "--threads", "4", "--iterations", "1000");

        final RunResult r = report.results().get(0);
        assertEquals("4 threads", r.variant);
        assertEquals(1000, r.ops);
        assertEquals(0, r.errors, String.valueOf(r.extra));
        assertEquals(0L, r.extra.get("republishRefused"));
        assertEquals(50L, r.extra.get("liveMsgsAtEnd"), "each subject holds its one message again");
        assertTrue(r.bytesAppended >= 1000L * (6 + 100) && r.bytesAppended <= 1000L * (7 + 100),
            "one republish per iteration, on subjects seed.0 to seed.49: " + r.bytesAppended);
        assertTrue(r.verdicts.stream().anyMatch(v -> v.check().equals("errors") && v.pass()));
        assertEquals(0, json("seed").get("results").get(0).get("errors").asLong());
    }

    @Test
    void seedCountsTheRefusedRepublishesOfTheKitsEarlyAckBackend() throws IOException
    {
        final Report report = runOn("broken-early-ack:memory", "seed",
            "--seed-subjects", "20", "--threads", "2", "--iterations", "200", "--time-limit", "3");

        final RunResult r = report.results().get(0);
        assertTrue(r.errors > 0, "the hook ran before the removal was visible, so republishes were refused");
        assertTrue(r.verdicts.stream().anyMatch(v -> v.check().equals("errors") && !v.pass()), r.verdicts.toString());
    }

    @Test
    void appendStoresEveryMessage() throws IOException
    {
        final Report report = run("append", "--messages", "500", "--payload", "16");

        final RunResult r = report.results().get(0);
        assertEquals(500, r.ops);
        assertEquals(0, r.errors);
        assertEquals(500L * (3 + 16), r.bytesAppended);
        assertNotNull(r.latency);
        assertEquals(500, json("append").get("results").get(0).get("ops").asLong());
    }

    @Test
    void removeRandomRemovesTheRequestedShare() throws IOException
    {
        final Report report = run("remove-random", "--messages", "1000", "--remove-fraction", "0.25");

        final RunResult r = report.results().get(0);
        assertEquals(250, r.ops);
        assertEquals(0, r.errors);
        assertEquals(750L, r.extra.get("liveMsgsAtEnd"));
    }

    @Test
    void readLoadsEverySequenceAndOneSubjectsMessages() throws IOException
    {
        final Report report = run("read", "--messages", "1000", "--subjects", "10");

        assertEquals(2, report.results().size());
        final RunResult sequential = report.results().get(0);
        final RunResult filtered = report.results().get(1);
        assertEquals(1000, sequential.ops);
        assertEquals(0, sequential.errors);
        assertEquals("loadNext(q.0)", filtered.variant);
        assertEquals(100, filtered.ops);
        assertEquals(0, filtered.errors);
        assertEquals(2, json("read").get("results").size());
    }

    @Test
    void recoverIsSkippedWithAReasonForAStoreThatIsNotDurable() throws IOException
    {
        final Report report = run("recover", "--messages", "100");

        assertEquals(2, report.results().size());
        for (final RunResult r : report.results())
        {
            assertNotNull(r.skipped);
            assertTrue(r.skipped.contains("not durable"), r.skipped);
        }
        assertTrue(out.toString().contains("skipped: memory is not durable"), out.toString());
        assertTrue(json("recover").get("results").get(1).get("skipped").asText().contains("not durable"));
    }

    @Test
    void recoverReopensADurableStoreAfterACleanCloseAndAfterSigkillOfTheWritingJvm() throws IOException
    {
        final Report report = runOn(JournalStoreProvider.NAME, "recover", "--messages", "2000");

        assertEquals(List.of("clean close", "SIGKILL"), report.results().stream().map(r -> r.variant).toList());
        final RunResult clean = report.results().get(0);
        final RunResult killed = report.results().get(1);
        assertNull(clean.skipped);
        assertEquals(2000, clean.ops, "every message back after a clean close");
        assertEquals(0, clean.errors);
        assertNull(killed.skipped, killed.skipped);
        assertTrue(killed.ops >= 2000, "at least the synced messages back after the kill: " + killed.ops);
        assertTrue(killed.ops <= 2000 + RecoverWorkload.UNSYNCED_TAIL, String.valueOf(killed.ops));
        assertEquals(0, killed.errors);
        assertTrue(json("recover").get("results").get(1).get("extra").has("openMillis"));
    }

    @Test
    void syncDoublesTheWritersUpToTheThreadsAsked()
    {
        assertEquals(List.of(), SyncWorkload.writerCounts(1));
        assertEquals(List.of(2), SyncWorkload.writerCounts(2));
        assertEquals(List.of(2, 4, 8, 16), SyncWorkload.writerCounts(16));
        assertEquals(List.of(2, 4, 8, 12), SyncWorkload.writerCounts(12));
    }

    @Test
    void syncRunsOneWriterAndManyWriters() throws IOException
    {
        final Report report = run("sync", "--messages", "200", "--threads", "4");

        assertEquals(List.of("1 writer", "2 writers", "4 writers"),
            report.results().stream().map(r -> r.variant).toList());
        final RunResult one = report.results().get(0);
        final RunResult many = report.results().get(2);
        assertEquals(200, one.ops);
        assertTrue(many.ops >= 200, "the writers append at least the count: " + many.ops);
        assertTrue(many.seconds >= one.seconds, "and for at least as long as the one writer took: " + many.seconds +
            " s against " + one.seconds + " s");
        for (final RunResult r : report.results())
        {
            assertTrue(r.extra.get(SyncWorkload.CORES_BUSY) instanceof Double cores && cores >= 0,
                "the CPU the variant kept busy is reported: " + r.extra);
            assertEquals(0, r.errors);
            assertNull(r.failure);
        }
    }
}
