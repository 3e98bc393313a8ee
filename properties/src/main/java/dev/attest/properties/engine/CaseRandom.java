package dev.attest.properties.engine;

import java.util.SplittableRandom;

/**
 * The random source of one case. It remembers the seed it was made from, so that any value generated from it can
 * be regenerated from that seed alone: that is what makes a reported case key replayable.
 *
 * <p>Not thread-safe; use {@link #split()} to hand independent streams to other threads or sub-generators.
 */
public final class CaseRandom {

    private final long seed;
    private final SplittableRandom random;

    /** A random source that produces the same numbers whenever it is made from the same seed. */
    public CaseRandom(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** The seed this source was made from. */
    public long seed() {
        return seed;
    }

    /** A uniform int in {@code [0, bound)}. */
    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    /** A uniform int in {@code [min, max]}, both inclusive (unlike {@link SplittableRandom#nextInt(int, int)}). */
    public int nextInt(int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException("nextInt(" + min + ", " + max + "): min is greater than max");
        }
        return (int) (min + random.nextLong((long) max - min + 1));
    }

    /** A uniform long. */
    public long nextLong() {
        return random.nextLong();
    }

    /** A uniform long in {@code [0, bound)}. */
    public long nextLong(long bound) {
        return random.nextLong(bound);
    }

    /** A uniform double in {@code [0, 1)}. */
    public double nextDouble() {
        return random.nextDouble();
    }

    /** A standard normal double (mean 0, standard deviation 1). */
    public double nextGaussian() {
        return random.nextGaussian();
    }

    /** A fair coin. */
    public boolean nextBoolean() {
        return random.nextBoolean();
    }

    /**
     * A new, independent source whose seed is drawn from this one. Drawing from the child does not disturb this
     * source's sequence, so a sub-generator may draw as much as it likes without changing what comes after it.
     */
    public CaseRandom split() {
        return new CaseRandom(random.nextLong());
    }

    @Override
    public String toString() {
        return "CaseRandom[seed=" + seed + "]";
    }
}
