package dev.attest.reports;

/** How a backend's exception is shown: its type, message and where it was thrown, in the console and the JSON alike. */
final class Failures {
    /** Frames kept per exception: enough to see the backend's own frames, not the kit's and JUnit's below them. */
    static final int FRAMES = 12;

    private Failures() {
    }

    /**
     * An assertion's message is the kit's fact block; anything else is a crash, told by its type and message and
     * followed by its stack trace (trimmed), with the trace of each cause.
     */
    static String describe(Throwable t) {
        String message = t.getMessage() == null ? t.toString() : t.getMessage();
        if (t instanceof AssertionError && t.getCause() == null) return message;
        StringBuilder out = new StringBuilder(t instanceof AssertionError ? message : t.getClass().getName() + ": "
                + message);
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            if (c != t) out.append("\ncaused by ").append(c);
            if (c == t && t instanceof AssertionError) continue;    // the kit's own frames: they say nothing new
            StackTraceElement[] frames = c.getStackTrace();
            for (int i = 0; i < Math.min(FRAMES, frames.length); i++) out.append("\n    at ").append(frames[i]);
            if (frames.length > FRAMES) out.append("\n    ... ").append(frames.length - FRAMES).append(" more");
        }
        return out.toString();
    }
}
