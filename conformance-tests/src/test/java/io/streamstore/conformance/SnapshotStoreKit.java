package io.streamstore.conformance;

import io.streamstore.spi.StreamStoreProvider;

/** The kit against {@link SnapshotStore}; run by {@code KitDurableRulesTest} through the launcher. */
class SnapshotStoreKit extends StreamStoreConformance
{
    @Override
    protected StreamStoreProvider provider()
    {
        return SnapshotStore.PROVIDER;
    }
}
