package dev.attest.properties.linear;

/** The linear contract over the built-in linear backends: what {@code ./build test} runs. */
class BuiltInLinearBackendsConformanceTest extends DiscoveredLinearBackendsConformance {
}
