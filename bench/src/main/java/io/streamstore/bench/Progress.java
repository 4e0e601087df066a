package io.streamstore.bench;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.time.temporal.ChronoUnit;

/**
 * A progress bar on stderr while a phase runs, or nothing when progress is off (tests, {@code --progress off},
 * or no console with {@code --progress auto}). Workers report every {@link #EVERY} operations so the bar
 * costs nothing measurable.
 */
final class Progress implements AutoCloseable
{
    /** Report progress every this many operations (a power of two: {@code (i & MASK) == 0}). */
    static final int EVERY = 4096;
    static final int MASK = EVERY - 1;

    private static final Progress NONE = new Progress(null);

    private final ProgressBar bar;

    private Progress(final ProgressBar bar)
    {
        this.bar = bar;
    }

    static Progress start(final boolean enabled, final String task, final long max)
    {
        if (!enabled)
        {
            return NONE;
        }
        return new Progress(new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(max)
            .setStyle(ProgressBarStyle.UNICODE_BLOCK)
            .setUpdateIntervalMillis(250)
            .setConsumer(new ConsoleProgressBarConsumer(System.err))
            .showSpeed()
            .setSpeedUnit(ChronoUnit.SECONDS)
            .clearDisplayOnFinish()
            .build());
    }

    void stepTo(final long done)
    {
        if (bar != null)
        {
            bar.stepTo(done);
        }
    }

    @Override
    public void close()
    {
        if (bar != null)
        {
            bar.close();
        }
    }
}
