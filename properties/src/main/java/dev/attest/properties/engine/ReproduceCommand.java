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

    /**
     * System property with the reproduce line of a run driven by another tool (the {@code attest} CLI sets an
     * {@code attest check ... --replay} line): {@code {backend}}, {@code {property}} and {@code {key}} are filled in.
     */
    String TEMPLATE_PROPERTY = "attest.reproduce";

    /** The template's line for this failure, or {@code fallback} when no template is set. */
    static String fromTemplate(String backend, String property, CaseKey key, String fallback) {
        String template = System.getProperty(TEMPLATE_PROPERTY);
        if (template == null || template.isBlank()) return fallback;
        return template.replace("{backend}", backend).replace("{property}", property).replace("{key}", key.toString());
    }
}
