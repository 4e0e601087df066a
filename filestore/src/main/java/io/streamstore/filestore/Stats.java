package io.streamstore.filestore;

/** Counters behind {@code StoreStats}; changed only under the store's lock. */
final class Stats
{
    long bytesWritten;
    long compactions;
    long bytesCompacted;
    long tombstones;
    long syncs;
    long recoveryBytesCut;
    long recoveryRecordsLost;
}
