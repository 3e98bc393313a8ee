package dev.attest.reports.model;

/**
 * One cell of the conformance matrix.
 *
 * @param message   the failure's fact block (shrunk counterexample, reproduce line) or the skip reason; null on pass
 */
public record PropertyResult(String backend, String property, Status status, String message) {
}
