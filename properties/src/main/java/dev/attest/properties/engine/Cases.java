package dev.attest.properties.engine;

/** Helpers for use inside a {@link CaseCheck}. */
public final class Cases {

    private Cases() {
    }

    /**
     * Discards the current case unless {@code condition} holds. Prefer generating only valid values: every rejected
     * case is a case not checked, and a run that rejects too many fails (see
     * {@link PropertySettings#maxRejectRatio()}).
     *
     * @param reason a short, fixed description of the precondition (not of the value), so that rejections group
     *     well in the "too many rejected cases" message
     * @throws CaseRejected when {@code condition} is false
     */
    public static void assume(boolean condition, String reason) {
        if (!condition) {
            throw new CaseRejected(reason);
        }
    }

    /**
     * Adds a fact to the failure report of the current value, printed under the shrunk value when this value is
     * the one reported: use it for what the check derived from the value and the value's description does not
     * show (such as the problem actually given to a backend, with the mask the check added). Repeats of the same
     * key and value are printed once; a value that passes leaves no trace.
     */
    public static void footnote(String key, Object value) {
        Footnotes.add(key, value);
    }
}
