package dev.attest.reports.golden;

/** A golden case that cannot be used: its message is one line naming the file, field or array and what is wrong. */
public final class GoldenException extends RuntimeException {
    public GoldenException(String message) {
        super(message);
    }
}
