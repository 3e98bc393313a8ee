/**
 * Attest's own property engine: seeded generation, edge cases first, greedy shrinking, label statistics and
 * reproducible failures, running on plain JUnit Jupiter.
 *
 * <p>Why our own engine rather than a library: see the decisions in {@code DESIGN.md}. The engine is small on
 * purpose and knows nothing about attention; the conformance kit builds its generators and shrinkers on
 * {@link dev.attest.properties.engine.Arbitrary} and runs them with
 * {@link dev.attest.properties.engine.PropertyRunner}.
 */
package dev.attest.properties.engine;
