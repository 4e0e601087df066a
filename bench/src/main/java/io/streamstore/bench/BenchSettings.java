package io.streamstore.bench;

import io.streamstore.spi.StreamConfig;
import io.streamstore.spi.SyncPolicy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a workload needs to know about one bench run, resolved from the command line.
 *
 * @param backends       the backends to run, in order
 * @param messages       resident (or appended) messages; null = the workload's own default
 * @param iterations     loop iterations of {@code wq} and {@code seed}
 * @param payload        payload bytes per message
 * @param subjects       subjects the messages are spread over ({@code q.0} …)
 * @param seedSubjects   subjects of the {@code seed} workload (one message each)
 * @param threads        worker threads of {@code seed} and the many-writer {@code sync} variant
 * @param sync           the sync policy of every workload except {@code sync}
 * @param options        backend options (such as {@code file.block-size}), passed to every backend
 * @param warmup         iterations run on a throwaway store before each measured loop
 * @param removeFraction share of the messages {@code remove-random} removes
 * @param workDirectory  where the fresh store directories are made (and deleted again)
 * @param progress       whether to draw a progress bar on stderr
 * @param timeLimitSeconds longest a measured loop ({@code wq}, {@code seed}) may run before it is stopped
 */
record BenchSettings(
    List<Backend> backends,
    Long messages,
    long iterations,
    int payload,
    int subjects,
    int seedSubjects,
    int threads,
    SyncPolicy sync,
    Map<String, String> options,
    long warmup,
    double removeFraction,
    Path workDirectory,
    boolean progress,
    long timeLimitSeconds)
{
    long timeLimitNanos()
    {
        return timeLimitSeconds * 1_000_000_000L;
    }

    /** {@code --messages} when given, else {@code defaultValue}. */
    long messagesOr(final long defaultValue)
    {
        return messages != null ? messages : defaultValue;
    }

    /** The sync policy as spelled on the command line. */
    String syncName()
    {
        return SyncPolicyConverter.describe(sync);
    }

    /** A config builder carrying the sync policy and backend options of this run. */
    StreamConfig.Builder config(final String streamName)
    {
        final StreamConfig.Builder builder = StreamConfig.builder(streamName).sync(sync);
        options.forEach(builder::option);
        return builder;
    }
}
