package dev.attest.reference.packed;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A packed batch means each sequence alone; bad cu_seqlens are refused naming the offset and both values. */
class PackedProblemTest {
    /** (rows, 1, 1) holding 0, 1, 2, ... */
    private static Tensor rows(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return Tensor.of(v, n, 1, 1);
    }

    private static void refused(Executable construction, String... phrases) {
        InvalidProblemException e = assertThrows(InvalidProblemException.class, construction);
        for (String phrase : phrases) {
            assertTrue(e.getMessage().contains(phrase), () -> "message '" + e.getMessage() + "' lacks '" + phrase + "'");
        }
    }

    private static AttentionSpec spec(int batch, int sq, int sk) {
        return AttentionSpec.builder().batch(batch).lengths(sq, sk).headDim(1).causal(Alignment.BOTTOM_RIGHT).build();
    }

    @Test
    void eachSequenceIsItsOwnRowsWithItsOwnBottomRightOffset() {
        // queries: [0, 1] and [2]; keys: [0, 1, 2] and (none)
        PackedProblem p = new PackedProblem(spec(2, 2, 3), rows(3), rows(3), rows(3), new int[]{0, 2, 3},
                new int[]{0, 3, 3});
        AttentionProblem first = p.sequence(0);
        assertEquals(2, first.spec().qLength());
        assertEquals(3, first.spec().kvLength());
        assertEquals(1, first.positionOffset(0), "bottom-right for its own lengths: 3 - 2");
        assertArrayEquals(new float[]{0, 1}, first.query().toArray());
        assertNull(p.sequence(1), "no keys: nothing to compute, its rows are zero");
        Tensor out = p.allocateOutput().fill(Float.NaN);
        p.runEach((b, alone, o) -> o.fill(7), out);
        assertArrayEquals(new float[]{7, 7, 0}, out.toArray(), "sequence 1's row is zero, never handed over");
    }

    @Test
    void negativeDecreasingOrMisendingOffsetsAreRefusedNamingTheEntry() {
        refused(() -> new PackedProblem(spec(2, 2, 2), rows(3), rows(3), rows(3), new int[]{0, 2, 1},
                new int[]{0, 1, 3}), "cu_seqlens_q[2] = 1 is below cu_seqlens_q[1] = 2", "sequence 1");
        refused(() -> new PackedProblem(spec(2, 2, 2), rows(3), rows(3), rows(3), new int[]{-1, 2, 3},
                new int[]{0, 1, 3}), "cu_seqlens_q[0] is -1");
        refused(() -> new PackedProblem(spec(2, 2, 2), rows(3), rows(3), rows(3), new int[]{0, 2, 3},
                new int[]{0, 1, 4}), "cu_seqlens_k ends at row 4 but K has 3 rows");
        refused(() -> new PackedProblem(spec(2, 2, 2), rows(3), rows(3), rows(3), new int[]{0, 3},
                new int[]{0, 1, 3}), "cu_seqlens_q has 2 entries; a batch of B = 2 needs B + 1");
    }

    @Test
    void theSpecsLengthsAreTheLongestSequences() {
        refused(() -> new PackedProblem(spec(2, 3, 2), rows(3), rows(3), rows(3), new int[]{0, 2, 3},
                new int[]{0, 1, 3}), "max_seqlen_q: the spec's Sq is 3 but the longest query sequence has 2 tokens");
        refused(() -> new PackedProblem(spec(2, 2, 2).toBuilder().causal(Alignment.KEY_LENGTHS).build(), rows(3),
                rows(3), rows(3), new int[]{0, 2, 3}, new int[]{0, 1, 3}), "no key padding");
    }
}
