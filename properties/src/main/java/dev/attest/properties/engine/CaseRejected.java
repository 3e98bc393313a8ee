package dev.attest.properties.engine;

/**
 * Thrown by {@link Cases#assume} when a generated value does not meet a property's precondition. The runner counts
 * the case as rejected instead of failed, and collects the reasons so that a run that rejects too much can say why.
 *
 * <p>It carries no stack trace: it is control flow, thrown often, and its reason says all there is to know.
 */
public final class CaseRejected extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CaseRejected(String reason) {
        super(reason, null, false, false);
    }

    /** Why the case was rejected; the runner groups rejections by this text. */
    public String reason() {
        return getMessage();
    }
}
