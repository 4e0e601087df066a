package io.streamstore.spi;

/**
 * What one compaction did.
 *
 * @param blocksRewritten files, blocks or pages rewritten to drop removed messages
 * @param bytesReclaimed  bytes no longer on disk afterwards (deleted whole blocks included)
 * @param bytesRewritten  bytes written to do it; also counted in {@link StoreStats#bytesWritten()}
 */
public record CompactionResult(long blocksRewritten, long bytesReclaimed, long bytesRewritten)
{
    /** A compaction that found nothing worth doing. */
    public static final CompactionResult NOTHING = new CompactionResult(0, 0, 0);
}
