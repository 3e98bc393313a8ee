package dev.attest.reference;

/**
 * A sliding window: query at position {@code p} sees key {@code j} iff {@code p - left <= j <= p + right}.
 * {@link #UNBOUNDED} on a side means no limit there (Mistral-style windows are {@code (w - 1, 0)} plus causal).
 */
public record Window(int left, int right) {
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    public Window {
        InvalidProblemException.require(left >= 0, "window left extent must be >= 0 or UNBOUNDED, was %d", left);
        InvalidProblemException.require(right >= 0, "window right extent must be >= 0 or UNBOUNDED, was %d", right);
    }

    /** True when key {@code j} is inside the window of a query at position {@code p}. */
    public boolean contains(int p, int j) {
        return (left == UNBOUNDED || (long) j >= (long) p - left) && (right == UNBOUNDED || (long) j <= (long) p + right);
    }

    @Override
    public String toString() {
        return "(" + (left == UNBOUNDED ? "inf" : left) + "," + (right == UNBOUNDED ? "inf" : right) + ")";
    }
}
