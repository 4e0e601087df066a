package io.streamstore.lmdbstore;

import io.streamstore.conformance.StreamStoreConformance;
import io.streamstore.spi.StreamStoreProvider;

/**
 * The conformance kit against the LMDB store.
 */
class LmdbStoreConformanceTest extends StreamStoreConformance
{
    @Override
    protected StreamStoreProvider provider()
    {
        return new LmdbStoreProvider();
    }

    /**
     * LMDB is a copy-on-write B-tree: a commit writes every 4 KiB page it touched, in full, to a fresh place
     * (in {@code msgs}, the leaf being emptied at the old end and the leaf being filled at the new end, in
     * {@code subj} the two ends of each subject's run, plus their branch pages, the free list and a meta
     * page). With the store's batched commits (up to {@value LmdbStore#COMMIT_OPS} operations) the kit's
     * loop of 100-byte messages on ten subjects measured 1.9 to 2.2 bytes written per appended byte on this
     * machine (2.09 to 2.14 in the bench's full loop of 200,000 iterations; see {@link LmdbStore}); 3 leaves
     * room for page-split luck and commit ticks landing early. The ratio does not grow with the run's length.
     */
    @Override
    protected double writeAmplificationBound()
    {
        return 3.0;
    }
}
