package dev.attest.reports.model;

/** The outcome of one property on one backend. "Not applicable" never passes: it is UNSUPPORTED or UNAVAILABLE. */
public enum Status {
    PASS, FAIL, XFAIL, UNSUPPORTED, UNAVAILABLE, SKIPPED;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
