package io.streamstore.lmdbstore;

import io.streamstore.spi.StoredMessage;

/** A message copied out of LMDB: it owns its arrays and outlives the read transaction. */
record LmdbMessage(long seq, String subject, byte[] headers, byte[] payload, long timestamp) implements StoredMessage
{
}
