package io.streamstore.conformance.broken;

import io.streamstore.spi.StreamStoreProvider;

/**
 * Three deliberately broken backends, each a correct backend behind a wrapper that reintroduces one bug
 * the conformance kit must catch. {@code KitCatchesBrokenBackendsTest} runs the kit against each and checks
 * that the rule the bug breaks fails; the bench shows what the over-compaction bug costs.
 */
public final class BrokenProviders
{
    private BrokenProviders()
    {
    }

    /**
     * {@code broken-early-ack}: fires {@code onRemoved(…, REMOVED)} before the removal is visible, so an
     * append from inside the hook hits a one-per-subject limit (NATS 2.10.17 bug #2). Breaks rules rm_02,
     * rm_06, rm_07 and the seed scenario in the hook, rm_09.
     */
    public static StreamStoreProvider earlyAck(final StreamStoreProvider inner)
    {
        return new WrappingProvider("broken-early-ack", inner, EarlyAckStore::new);
    }

    /** {@code broken-seq-reuse}: sequences restart at 1 after a purge. Breaks rule seq_03 and its kin. */
    public static StreamStoreProvider seqReuse(final StreamStoreProvider inner)
    {
        return new WrappingProvider("broken-seq-reuse", inner, SeqReuseStore::new);
    }

    /**
     * {@code broken-overcompaction}: counts no tombstone bytes and rewrites the removed message's notional
     * 4 MiB block on every remove (NATS 2.10.17 bug #1). Breaks rule cmp_04.
     */
    public static StreamStoreProvider overCompaction(final StreamStoreProvider inner)
    {
        return new WrappingProvider("broken-overcompaction", inner, OverCompactionStore::new);
    }
}
