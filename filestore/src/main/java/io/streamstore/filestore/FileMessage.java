package io.streamstore.filestore;

import io.streamstore.spi.StoredMessage;

/** A message as read back: fresh arrays, copied out of the block under the store's lock. */
record FileMessage(long seq, String subject, byte[] headers, byte[] payload, long timestamp) implements StoredMessage
{
}
