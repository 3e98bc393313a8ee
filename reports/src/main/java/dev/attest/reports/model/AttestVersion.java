package dev.attest.reports.model;

/** Attest's version, from the jar manifest or the build's resource. */
public final class AttestVersion {
    private AttestVersion() {
    }

    public static String get() {
        try (var in = AttestVersion.class.getResourceAsStream("/attest-version.txt")) {
            if (in != null) return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        } catch (java.io.IOException ignored) {
            // fall through
        }
        return "dev";
    }
}
