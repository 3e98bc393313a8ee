package dev.attest.reports.model;

/**
 * A measurement that was not taken, and why: a workload that needs a feature the backend does not declare
 * ({@link Status#UNSUPPORTED}, shown, never silently dropped), or one the backend failed on, by throwing or by ending
 * its worker JVM ({@link Status#FAIL}: the report fails, as for a property).
 *
 * @param item the work item, e.g. {@code accuracy:mha-b1-h4-s64-d32}, {@code latency:scaling-h4-d64-s0512},
 *             {@code kv-cache:L=128}
 */
public record MeasurementIssue(String backend, String item, Status status, String message) {
}
