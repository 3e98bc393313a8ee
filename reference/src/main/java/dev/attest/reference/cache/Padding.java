package dev.attest.reference.cache;

/** Where a sequence's valid tokens sit in a chunk that is wider than they are. */
public enum Padding {
    /** Sequence b's tokens are rows {@code [0, length_b)}; the rest is padding. */
    RIGHT,
    /** Sequence b's tokens are rows {@code [n - length_b, n)} (HF-style left-padded prompts). */
    LEFT;

    /** First chunk row holding a token of a sequence with {@code length} tokens in a chunk of {@code width} rows. */
    public int firstRow(int width, int length) {
        return this == RIGHT ? 0 : width - length;
    }
}
