package dev.attest.reports.golden;

import dev.attest.reports.model.Status;

/**
 * One (case, backend) verdict of {@code golden check}.
 *
 * @param status  PASS, FAIL or UNSUPPORTED
 * @param message what the line says after the verdict: the errors, what the backend threw, or what it lacks
 */
public record GoldenResult(String goldenCase, String backend, Status status, String message) {
}
