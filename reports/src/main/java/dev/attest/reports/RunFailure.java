package dev.attest.reports;

/** A run that could not finish for a reason outside the code under test (e.g. JMH's lock is held): one line, exit 1. */
public final class RunFailure extends RuntimeException {
    public RunFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
