package io.streamstore.filestore;

import io.streamstore.conformance.reliability.DurableStoreReliability;
import io.streamstore.spi.StreamStoreProvider;

import java.util.List;
import java.util.Map;

/** The reliability kit against the file store: kills, torn writes, bit rot, fuzzed files, faults, races. */
class FileStoreReliabilityTest extends DurableStoreReliability
{
    @Override
    protected StreamStoreProvider provider()
    {
        return new FaultInjectableFileStoreProvider();
    }

    @Override
    protected Map<String, String> backendOptions()
    {
        return Map.of("file.block-size", "65536"); // small blocks, so that blocks roll during the crash workload
    }

    @Override
    protected List<String> crashPhases()
    {
        // and the I/O steps where a crash leaves two states to choose from: the new block file of a block roll,
        // the rename that swaps in a rewritten block, and the purge's new block and its rename
        return List.of("append", "remove", "compact", "purge", "append/create", "compact/rename", "purge/create",
            "purge/rename");
    }
}
