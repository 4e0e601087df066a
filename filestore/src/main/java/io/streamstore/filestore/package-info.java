/**
 * The file backend, provider {@code file} ({@link io.streamstore.filestore.FileStoreProvider}, the only public
 * class).
 *
 * <p>Where to look:
 * <ul>
 *   <li>the byte layout of a record: {@code RecordCodec};</li>
 *   <li>block files, their accounting and life cycle: {@code Block};</li>
 *   <li>the files of a store directory and the recovery rules: {@code Recovery};</li>
 *   <li>the index snapshot written at close: {@code IndexFile}; the clean-close marker: {@code CloseMarker};</li>
 *   <li>append, remove, purge and the locking and listener rules: {@code FileStore};</li>
 *   <li>when a block is deleted or rewritten: {@code Compactor};</li>
 *   <li>sync policies and group commit: {@code Flusher};</li>
 *   <li>the write buffer: {@code BlockWriter}; reads and their checksum check: {@code MessageReader};</li>
 *   <li>every file operation that changes the disk (the fault-injection seam): {@code FileIo}.</li>
 * </ul>
 */
package io.streamstore.filestore;
