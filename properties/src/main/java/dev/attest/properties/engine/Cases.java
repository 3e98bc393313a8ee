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
}
