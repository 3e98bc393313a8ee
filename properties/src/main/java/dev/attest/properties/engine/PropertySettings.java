package dev.attest.properties.engine;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;

/**
 * How a property is run.
 *
 * @param tries the number of random cases, run after all edge cases; at least 1
 * @param runSeed the seed the case seeds of the run are derived from; the same seed gives the same cases
 * @param maxShrinkSteps the most checks that shrinking may spend on one failure; 0 turns shrinking off
 * @param replay when present, run only the case with this key (and shrink it if it fails)
 * @param maxRejectRatio the run fails when more than {@code maxRejectRatio} times the number of cases are rejected
 *     by {@link Cases#assume}; a property that rejects that much checks too little to be trusted
 */
public record PropertySettings(int tries, long runSeed, int maxShrinkSteps, Optional<CaseKey> replay,
        double maxRejectRatio) {

    /** Default number of random cases. */
    public static final int DEFAULT_TRIES = 40;
    /** Default shrink budget, in checks. */
    public static final int DEFAULT_SHRINK_STEPS = 500;
    /** Default reject limit: half of the cases. */
    public static final double DEFAULT_MAX_REJECT_RATIO = 0.5;

    public PropertySettings {
        if (tries < 1) {
            throw new IllegalArgumentException("tries must be at least 1, got " + tries);
        }
        if (maxShrinkSteps < 0) {
            throw new IllegalArgumentException("maxShrinkSteps must not be negative, got " + maxShrinkSteps);
        }
        Objects.requireNonNull(replay, "replay");
        if (!(maxRejectRatio >= 0)) {
            throw new IllegalArgumentException("maxRejectRatio must be a non-negative number, got " + maxRejectRatio);
        }
    }

    /** The defaults, with the given run seed. */
    public static PropertySettings withSeed(long runSeed) {
        return new PropertySettings(DEFAULT_TRIES, runSeed, DEFAULT_SHRINK_STEPS, Optional.empty(),
                DEFAULT_MAX_REJECT_RATIO);
    }

    /** These settings with another number of random cases. */
    public PropertySettings withTries(int newTries) {
        return new PropertySettings(newTries, runSeed, maxShrinkSteps, replay, maxRejectRatio);
    }

    /** These settings with another shrink budget. */
    public PropertySettings withMaxShrinkSteps(int steps) {
        return new PropertySettings(tries, runSeed, steps, replay, maxRejectRatio);
    }

    /** These settings, replaying only the case with this key. */
    public PropertySettings withReplay(CaseKey key) {
        return new PropertySettings(tries, runSeed, maxShrinkSteps, Optional.of(key), maxRejectRatio);
    }

    /** These settings with another reject limit. */
    public PropertySettings withMaxRejectRatio(double ratio) {
        return new PropertySettings(tries, runSeed, maxShrinkSteps, replay, ratio);
    }

    /**
     * Reads the settings from the system properties {@code attest.tries} (default 40), {@code attest.seed} (default:
     * a fresh random seed, which every report shows), {@code attest.replay} ({@code <caseSeed>:<size>} or
     * {@code edge:<index>}) and {@code attest.shrinkSteps} (default 500).
     *
     * @throws IllegalArgumentException naming the property and its value when a value is invalid
     */
    public static PropertySettings fromSystemProperties() {
        return fromProperties(System::getProperty);
    }

    /**
     * Reads the settings as {@link #fromSystemProperties()} does, from any lookup. A missing, empty or blank value
     * means "not set": Surefire passes an unset Maven property as an empty string.
     *
     * @throws IllegalArgumentException naming the property and its value when a value is invalid
     */
    public static PropertySettings fromProperties(UnaryOperator<String> lookup) {
        int tries = read(lookup, "attest.tries", DEFAULT_TRIES, "a positive integer", text -> {
            int value = Integer.parseInt(text);
            if (value < 1) {
                throw new IllegalArgumentException("must be at least 1");
            }
            return value;
        });
        long seed = read(lookup, "attest.seed", ThreadLocalRandom.current().nextLong(), "a long or 'random'",
                text -> text.equals("random") ? ThreadLocalRandom.current().nextLong() : Long.parseLong(text));
        int shrinkSteps = read(lookup, "attest.shrinkSteps", DEFAULT_SHRINK_STEPS, "a non-negative integer", text -> {
            int value = Integer.parseInt(text);
            if (value < 0) {
                throw new IllegalArgumentException("must not be negative");
            }
            return value;
        });
        Optional<CaseKey> replay = Optional.ofNullable(
                read(lookup, "attest.replay", null, "<caseSeed>:<size> or edge:<index>", CaseKey::parse));
        return new PropertySettings(tries, seed, shrinkSteps, replay, DEFAULT_MAX_REJECT_RATIO);
    }

    interface Parser<V> {
        V parse(String text);
    }

    /**
     * Reads one setting: {@code fallback} when unset or blank, else the parsed value; a value that does not parse
     * is an {@link IllegalArgumentException} naming the property, the value and what was expected.
     */
    static <V> V read(UnaryOperator<String> lookup, String property, V fallback, String expected,
            Parser<V> parser) {
        String text = lookup.apply(property);
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return parser.parse(text.strip());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "invalid value for system property " + property + ": '" + text + "' (expected " + expected + ")",
                    e);
        }
    }
}
