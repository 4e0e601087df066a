/**
 * The streamstore contract: what a broker calls ({@link io.streamstore.spi.StreamStore},
 * {@link io.streamstore.spi.StreamStores}) and what a backend implements
 * ({@link io.streamstore.spi.StreamStoreProvider}), plus the helpers every backend needs once
 * ({@link io.streamstore.spi.Subjects}, {@link io.streamstore.spi.ListenerFanout},
 * {@link io.streamstore.spi.Arguments}).
 *
 * <p>This package has no dependencies beyond the JDK and does no I/O. The rules each method keeps
 * are those of {@code shared/spec/SPI.md} §2; each method's Javadoc states the ones that apply.
 */
package io.streamstore.spi;
