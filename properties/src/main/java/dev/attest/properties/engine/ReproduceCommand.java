package dev.attest.properties.engine;

/**
 * Turns a failing case's key into the one-line command that reruns just that case, for the "reproduce" fact of a
 * failure. The engine cannot know which test class and method ran the property, so the caller (typically the
 * conformance kit) supplies a command that selects them, for example with Surefire's {@code -Dtest=Class#method}.
 */
@FunctionalInterface
public interface ReproduceCommand {

    /** The default: the replay property alone, to be added to whatever command ran the test. */
    ReproduceCommand DEFAULT = key -> "./build test -Dattest.replay=" + key;

    String command(CaseKey key);
}
