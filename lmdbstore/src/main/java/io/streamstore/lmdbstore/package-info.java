/**
 * The LMDB backend ({@code lmdb}): a durable stream store in one LMDB environment per directory, through
 * LMDBJava 0.9.3 with Agrona's {@code DirectBufferProxy}. Records carry their own CRC32C (LMDB checksums
 * nothing); a long-lived write transaction committed in batches, or by group commit under
 * {@code SyncPolicy.always()}, gives the speed; the map grows on demand up to a ceiling. See
 * {@link io.streamstore.lmdbstore.LmdbStoreProvider} for the options and {@code LmdbStore} for the design.
 */
package io.streamstore.lmdbstore;
