package io.streamstore.conformance.reliability;

import io.streamstore.conformance.StreamStoreConformance;
import io.streamstore.spi.StreamStoreProvider;

/** The conformance kit against {@link LogStore}; run by {@code KitDurableRulesTest} through the launcher. */
public class LogStoreKit extends StreamStoreConformance
{
    @Override
    protected StreamStoreProvider provider()
    {
        return new LogStoreProvider();
    }
}
