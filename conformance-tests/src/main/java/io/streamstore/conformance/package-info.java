/**
 * The streamstore conformance kit: {@link io.streamstore.conformance.StreamStoreConformance}, the rules of
 * SPI.md §2 as JUnit 5 tests that any backend runs by extending it and supplying its provider, and
 * {@link io.streamstore.conformance.ReferenceModel}, the plain model its randomised rules check against.
 * The rule ids and the SPI lines they enforce are listed in the module's {@code RULES.md}.
 */
package io.streamstore.conformance;
