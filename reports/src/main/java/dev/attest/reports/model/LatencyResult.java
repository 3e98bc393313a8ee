package dev.attest.reports.model;

/** Latency of one backend on one configuration, measured by JMH; only backends that conform get one. */
public record LatencyResult(String backend, String config, Metric metric) {
}
