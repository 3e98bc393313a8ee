package dev.attest.properties.contract;

/**
 * The conformance suite over every backend on the test class path (the built-in ones): what {@code ./build test}
 * runs. Narrow it with {@code -Dattest.backends=cpu-naive}.
 */
class BuiltInBackendsConformanceTest extends DiscoveredBackendsConformance {
}
