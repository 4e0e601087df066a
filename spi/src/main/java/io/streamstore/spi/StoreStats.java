package io.streamstore.spi;

/**
 * What a store has done since it was opened (counters) and what it holds now (gauges).
 *
 * @param bytesWritten   every byte the store wrote since open: records, tombstones, rewritten blocks,
 *                       pages, index files. The figure the "bounded work" rule is judged by.
 * @param bytesOnDisk    bytes the store occupies on disk now (0 for a memory store)
 * @param compactions    compactions run since open (automatic and {@link StreamStore#compact()})
 * @param bytesCompacted bytes rewritten by those compactions (part of {@code bytesWritten})
 * @param tombstones     removal markers written since open
 * @param syncs          forces to stable storage since open
 * @param recoveryBytesCut    bytes cut from a torn or corrupt tail when the store was opened
 * @param recoveryRecordsLost records, whole or torn, dropped with that cut
 */
public record StoreStats(
    long bytesWritten,
    long bytesOnDisk,
    long compactions,
    long bytesCompacted,
    long tombstones,
    long syncs,
    long recoveryBytesCut,
    long recoveryRecordsLost)
{
    /** The six figures every backend reports; recovery figures 0 (nothing was cut at open). */
    public StoreStats(
        final long bytesWritten,
        final long bytesOnDisk,
        final long compactions,
        final long bytesCompacted,
        final long tombstones,
        final long syncs)
    {
        this(bytesWritten, bytesOnDisk, compactions, bytesCompacted, tombstones, syncs, 0, 0);
    }
}
