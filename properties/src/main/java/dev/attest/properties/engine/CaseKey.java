package dev.attest.properties.engine;

/**
 * Names one case of a run so that it can be run again on its own with {@code -Dattest.replay=<key>}.
 *
 * <p>A random case is named by its case seed and size ({@code 8731422:37}): the arbitrary regenerates the same
 * value from them, whatever the run seed. An edge case is named by its position in
 * {@link Arbitrary#edgeCases()} ({@code edge:3}), since it was never generated from a seed.
 */
public sealed interface CaseKey {

    /** The text form, as accepted by {@link #parse}. */
    @Override
    String toString();

    /** A random case: regenerate from this seed at this size. */
    record Random(long seed, int size) implements CaseKey {
        public Random {
            if (size < 1) {
                throw new IllegalArgumentException("case size must be at least 1, got " + size);
            }
        }

        @Override
        public String toString() {
            return seed + ":" + size;
        }
    }

    /** The edge case at this index of {@link Arbitrary#edgeCases()}. */
    record Edge(int index) implements CaseKey {
        public Edge {
            if (index < 0) {
                throw new IllegalArgumentException("edge case index must not be negative, got " + index);
            }
        }

        @Override
        public String toString() {
            return "edge:" + index;
        }
    }

    /**
     * Reads {@code <caseSeed>:<size>} or {@code edge:<index>}.
     *
     * @throws IllegalArgumentException naming the text when it is neither
     */
    static CaseKey parse(String text) {
        String expected = "expected <caseSeed>:<size> or edge:<index>";
        String[] parts = text.strip().split(":", -1);
        try {
            if (parts.length == 2 && parts[0].equals("edge")) {
                return new Edge(Integer.parseInt(parts[1]));
            }
            if (parts.length == 2) {
                return new Random(Long.parseLong(parts[0]), Integer.parseInt(parts[1]));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a case key: '" + text + "' (" + expected + "; " + e.getMessage()
                    + ")", e);
        }
        throw new IllegalArgumentException("not a case key: '" + text + "' (" + expected + ")");
    }
}
