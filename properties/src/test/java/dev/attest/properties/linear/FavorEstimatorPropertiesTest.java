package dev.attest.properties.linear;

/** The random-feature statistics, run by {@code ./build test}. */
class FavorEstimatorPropertiesTest extends FavorEstimatorProperties {
}
