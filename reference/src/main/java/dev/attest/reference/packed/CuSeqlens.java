package dev.attest.reference.packed;

import dev.attest.reference.Alignment;

import static dev.attest.reference.InvalidProblemException.require;

/** The rules every packed batch's offsets follow, and how a sequence of one resolves its causal alignment. */
final class CuSeqlens {
    private CuSeqlens() {
    }

    /**
     * {@code offsets} checked as B + 1 entries from 0, never decreasing, ending at {@code rows} (the packed tensor's
     * row count, -1 when it has none of the right rank, named by {@code shape}); a copy.
     */
    static int[] checked(String name, int[] offsets, int batch, String tensor, int rows, String shape) {
        require(offsets != null && offsets.length == batch + 1, "%s has %s entries; a batch of B = %d needs B + 1",
                name, offsets == null ? "no" : Integer.toString(offsets.length), batch);
        require(offsets[0] == 0, "%s[0] is %d: the first sequence starts at row 0", name, offsets[0]);
        for (int b = 1; b <= batch; b++) {
            require(offsets[b] >= offsets[b - 1], "%s[%d] = %d is below %s[%d] = %d: offsets never decrease (sequence"
                    + " %d would have a negative length)", name, b, offsets[b], name, b - 1, offsets[b - 1], b - 1);
        }
        require(rows == offsets[batch], "%s ends at row %d but %s has %s", name, offsets[batch], tensor,
                rows < 0 ? "shape " + shape : rows + " rows");
        return offsets.clone();
    }

    static int longest(int[] offsets) {
        int longest = 0;
        for (int b = 1; b < offsets.length; b++) longest = Math.max(longest, offsets[b] - offsets[b - 1]);
        return longest;
    }

    /** The packed batch's alignment for sequence b alone: a per-sequence one becomes that sequence's offset. */
    static Alignment resolved(Alignment a, int b, int sq, int sk) {
        return a == null ? null : a.perSequence() ? Alignment.offset(a.offsetFor(b, sq, sk, sk)) : a;
    }

    static void requireNoKeyPadding(Alignment a) {
        require(a == null || a.kind() != Alignment.Kind.KEY_LENGTHS,
                "a packed batch has no key padding: use BOTTOM_RIGHT, which is each sequence's own key length");
    }
}
