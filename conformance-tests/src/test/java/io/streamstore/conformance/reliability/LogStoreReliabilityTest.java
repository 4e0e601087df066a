package io.streamstore.conformance.reliability;

import io.streamstore.spi.StreamStoreProvider;

import java.util.List;

/**
 * The reliability suite against the kit's own durable log store: every check runs except the read-only
 * directory one when run as root. It takes 90 kills by default (as many as the file and LMDB stores together)
 * so that this module alone shows the harness's full default budget.
 */
class LogStoreReliabilityTest extends DurableStoreReliability
{
    @Override
    protected int crashKills()
    {
        return (int)longProperty("streamstore.crash.kills", 90);
    }

    @Override
    protected List<String> crashPhases()
    {
        // and the rename that swaps the compacted log in, reached through the store's I/O seam
        return List.of("append", "remove", "compact", "purge", "compact/rename");
    }

    @Override
    protected StreamStoreProvider provider()
    {
        return new LogStoreProvider();
    }
}
