package dev.attest.properties.engine;

/**
 * A property found a counterexample. The message is an aligned {@link Facts} block (property, clause, subject,
 * seeds, original and shrunk value, the shrunk case's own failure message, and a command that reproduces it); the
 * cause is what the check threw for the shrunk value, kept so that its stack trace points at the failing line.
 *
 * <p>It is an {@link AssertionError} so that JUnit reports it as a failure, not as an error of the test itself.
 */
public final class PropertyFailure extends AssertionError {

    private static final long serialVersionUID = 1L;

    private final transient CaseKey caseKey;
    private final transient Object original;
    private final transient Object shrunk;
    private final int shrinkSteps;
    private final int casesToFailure;

    PropertyFailure(String message, Throwable cause, CaseKey caseKey, Object original, Object shrunk,
            int shrinkSteps, int casesToFailure) {
        super(message, cause);
        this.caseKey = caseKey;
        this.original = original;
        this.shrunk = shrunk;
        this.shrinkSteps = shrinkSteps;
        this.casesToFailure = casesToFailure;
    }

    /** The key that replays the failing case (see {@link PropertySettings#withReplay}). */
    public CaseKey caseKey() {
        return caseKey;
    }

    /** The value that first failed. */
    public Object original() {
        return original;
    }

    /** The simplest failing value that shrinking found ({@link #original()} when nothing simpler failed). */
    public Object shrunk() {
        return shrunk;
    }

    /** How many times shrinking moved to a simpler failing value. */
    public int shrinkSteps() {
        return shrinkSteps;
    }

    /**
     * How many cases the run checked up to and including the first failing one (edge cases first, then random
     * cases; 1 for a replayed case). The planted-bug kill matrix reports it as how hard a bug was to find.
     */
    public int casesToFailure() {
        return casesToFailure;
    }
}
