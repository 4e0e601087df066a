package io.streamstore.bench;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the backends' INFO lines (map grown, index loaded …) out of the bench's output: they would land
 * between the progress bar and the table. Warnings and errors still show; {@code --verbose} keeps all.
 */
final class Logging
{
    /** Held so that the configured level is not lost when the logger is collected. */
    private static final Logger ROOT = Logger.getLogger("");

    private Logging()
    {
    }

    static void quiet()
    {
        ROOT.setLevel(Level.WARNING);
        for (final Handler handler : ROOT.getHandlers())
        {
            handler.setLevel(Level.WARNING);
        }
    }
}
