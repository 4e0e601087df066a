package io.streamstore.memstore;

import io.streamstore.spi.CompactionResult;
import io.streamstore.spi.RemovalReason;
import io.streamstore.spi.StoreListener;

import java.util.ArrayList;
import java.util.List;

/** A listener that writes down every hook call, as "+seq subject", "-seq subject REASON" or "compacted". */
final class Recorder implements StoreListener
{
    final List<String> events = new ArrayList<>();

    @Override
    public synchronized void onAppended(final long seq, final String subject)
    {
        events.add("+" + seq + " " + subject);
    }

    @Override
    public synchronized void onRemoved(final long seq, final String subject, final RemovalReason reason)
    {
        events.add("-" + seq + " " + subject + " " + reason);
    }

    @Override
    public synchronized void onCompacted(final CompactionResult result)
    {
        events.add("compacted");
    }

    synchronized List<String> snapshot()
    {
        return new ArrayList<>(events);
    }
}
