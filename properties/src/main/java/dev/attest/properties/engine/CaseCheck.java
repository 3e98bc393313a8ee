package dev.attest.properties.engine;

/**
 * The body of a property: checks one value, and throws to report a failure. Any throwable is a failure except
 * {@link CaseRejected} (the case is discarded, see {@link Cases#assume}) and
 * {@link org.opentest4j.TestAbortedException} (the property is not applicable, and the whole run aborts).
 *
 * @param <T> the type of the checked values
 */
@FunctionalInterface
public interface CaseCheck<T> {

    void check(T value) throws Throwable;
}
