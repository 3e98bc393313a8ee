package dev.attest.oracle;

import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Mask;
import dev.attest.reference.Rotary;
import dev.attest.reference.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DESIGN.md "Semantics" on cases small enough to work out by hand. */
class OracleSemanticsTest {

    private static Tensor t4(float[] data, int b, int h, int s, int d) {
        return Tensor.of(data, b, h, s, d);
    }

    @Test
    void oneQueryOneKeyReturnsTheValue() {
        AttentionSpec spec = AttentionSpec.builder().build();
        AttentionProblem p = new AttentionProblem(spec, t4(new float[]{3}, 1, 1, 1, 1), t4(new float[]{-2}, 1, 1, 1, 1),
                t4(new float[]{0.75f}, 1, 1, 1, 1));
        OracleResult r = Oracle.attention(p);
        assertArrayEquals(new int[]{1, 1, 1, 1}, r.shape());
        assertEquals(0.75, r.get(0, 0, 0, 0));
    }

    @Test
    void twoKeysWeightedBySoftmaxOfScaledLogits() {
        // q = (1, 2), k0 = (1, 0), k1 = (0.5, 1): logits 1/sqrt2 and 2.5/sqrt2
        AttentionSpec spec = AttentionSpec.builder().lengths(1, 2).headDim(2).build();
        AttentionProblem p = new AttentionProblem(spec, t4(new float[]{1, 2}, 1, 1, 1, 2),
                t4(new float[]{1, 0, 0.5f, 1}, 1, 1, 2, 2), t4(new float[]{10, -1, 4, 3}, 1, 1, 2, 2));
        double s0 = 1 / Math.sqrt(2), s1 = 2.5 / Math.sqrt(2);
        double p1 = 1 / (1 + Math.exp(s0 - s1)), p0 = 1 - p1;   // logistic form: independent of the oracle's softmax
        OracleResult r = Oracle.attention(p);
        assertEquals(p0 * 10 + p1 * 4, r.get(0, 0, 0, 0), 1e-15);
        assertEquals(p0 * -1 + p1 * 3, r.get(0, 0, 0, 1), 1e-15);
    }

    @Test
    void fullyMaskedRowIsZero() {
        AttentionSpec spec = AttentionSpec.builder().lengths(2, 2).headDim(1).build();
        Mask keep = new Mask.Keep(new boolean[]{false, false, true, false}, new int[]{2, 2});
        AttentionProblem p = new AttentionProblem(spec, t4(new float[]{1, 1}, 1, 1, 2, 1), t4(new float[]{1, 2}, 1, 1, 2, 1),
                t4(new float[]{5, 7}, 1, 1, 2, 1), keep, null);
        OracleResult r = Oracle.attention(p);
        assertEquals(0.0, r.get(0, 0, 0, 0));
        assertEquals(5.0, r.get(0, 0, 1, 0));
        assertEquals(0.0, Oracle.attentionNaive(p, dev.attest.reference.Precision.FP32).get(0, 0, 0, 0));
    }

    @Test
    void nanInMaskedKeyOrValueDoesNotLeak() {
        AttentionSpec spec = AttentionSpec.builder().lengths(1, 3).headDim(2).build();
        float nan = Float.NaN;
        AttentionProblem p = new AttentionProblem(spec, t4(new float[]{1, 1}, 1, 1, 1, 2),
                t4(new float[]{1, 0, nan, nan, 0, 1}, 1, 1, 3, 2), t4(new float[]{1, 2, nan, Float.POSITIVE_INFINITY, 3, 4}, 1, 1, 3, 2),
                new Mask.Bias(new float[]{0, Float.NEGATIVE_INFINITY, 0}, new int[]{3}), null);
        OracleResult r = Oracle.attention(p);
        assertEquals(2.0, r.get(0, 0, 0, 0), 1e-15);   // equal logits: mean of keys 0 and 2
        assertEquals(3.0, r.get(0, 0, 0, 1), 1e-15);
        // the same NaN hidden by key padding instead
        AttentionProblem padded = new AttentionProblem(spec, p.query(),
                t4(new float[]{1, 0, 0, 1, nan, nan}, 1, 1, 3, 2), t4(new float[]{1, 2, 3, 4, nan, nan}, 1, 1, 3, 2),
                null, new int[]{2});
        OracleResult q = Oracle.attention(padded);
        assertEquals(2.0, q.get(0, 0, 0, 0), 1e-15);
        assertEquals(3.0, q.get(0, 0, 0, 1), 1e-15);
    }

    @Test
    void nanInAttendedKeyGivesNanRowAndNanInValueGivesNanColumn() {
        AttentionSpec spec = AttentionSpec.builder().lengths(2, 2).headDim(2).causal(Alignment.TOP_LEFT).build();
        float nan = Float.NaN;
        // key 1 is NaN: row 0 (sees key 0 only) is fine, row 1 (sees both) is NaN
        AttentionProblem p = new AttentionProblem(spec, t4(new float[]{1, 1, 1, 1}, 1, 1, 2, 2),
                t4(new float[]{1, 0, nan, 1}, 1, 1, 2, 2), t4(new float[]{1, 2, 3, 4}, 1, 1, 2, 2));
        OracleResult r = Oracle.attention(p);
        assertEquals(1.0, r.get(0, 0, 0, 0));
        assertEquals(2.0, r.get(0, 0, 0, 1));
        assertTrue(Double.isNaN(r.get(0, 0, 1, 0)) && Double.isNaN(r.get(0, 0, 1, 1)));
        // value 1, column 0 is infinite: row 1 column 0 is NaN, column 1 is finite
        AttentionProblem v = new AttentionProblem(spec, p.query(), t4(new float[]{1, 0, 0, 1}, 1, 1, 2, 2),
                t4(new float[]{1, 2, Float.POSITIVE_INFINITY, 4}, 1, 1, 2, 2));
        OracleResult s = Oracle.attention(v);
        assertTrue(Double.isNaN(s.get(0, 0, 1, 0)));
        assertEquals(3.0, s.get(0, 0, 1, 1), 1e-15);   // equal logits
        assertEquals(1.0, s.get(0, 0, 0, 0));
    }

    @Test
    void gqaQueryHeadReadsItsGroupsKvHead() {
        int hq = 4, hkv = 2, sq = 3, skv = 4, d = 3;
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        float[] q = new float[hq * sq * d], k = new float[hkv * skv * d], v = new float[hkv * skv * d];
        for (int i = 0; i < q.length; i++) q[i] = (float) random.nextGaussian();
        for (int i = 0; i < k.length; i++) { k[i] = (float) random.nextGaussian(); v[i] = (float) random.nextGaussian(); }
        // repeat-interleave: MHA heads (0,1,2,3) read kv heads (0,0,1,1)
        float[] k4 = new float[hq * skv * d], v4 = new float[hq * skv * d];
        int[] kvOf = {0, 0, 1, 1};
        for (int h = 0; h < hq; h++) {
            System.arraycopy(k, kvOf[h] * skv * d, k4, h * skv * d, skv * d);
            System.arraycopy(v, kvOf[h] * skv * d, v4, h * skv * d, skv * d);
        }
        AttentionSpec gqa = AttentionSpec.builder().heads(hq, hkv).lengths(sq, skv).headDim(d).build();
        AttentionSpec mha = gqa.toBuilder().heads(hq, hq).build();
        OracleResult a = Oracle.attention(new AttentionProblem(gqa, t4(q, 1, hq, sq, d), t4(k, 1, hkv, skv, d), t4(v, 1, hkv, skv, d)));
        OracleResult b = Oracle.attention(new AttentionProblem(mha, t4(q, 1, hq, sq, d), t4(k4, 1, hq, skv, d), t4(v4, 1, hq, skv, d)));
        assertArrayEquals(b.values(), a.values());
        assertEquals(0, gqa.kvHeadOf(1));
        assertEquals(1, gqa.kvHeadOf(2));
    }

    /** Visible key sets of each query row, found by planting value j in key j and a one-hot probe. */
    private static Set<String> visibleSets(Alignment alignment) {
        int sq = 2, skv = 3;
        AttentionSpec spec = AttentionSpec.builder().lengths(sq, skv).headDims(1, skv).causal(alignment).build();
        float[] v = new float[skv * skv];
        for (int j = 0; j < skv; j++) v[j * skv + j] = 1;            // V = identity: output row = attention weights
        AttentionProblem p = new AttentionProblem(spec, t4(new float[]{0, 0}, 1, 1, sq, 1),
                t4(new float[]{0, 0, 0}, 1, 1, skv, 1), t4(v, 1, 1, skv, skv));
        OracleResult r = Oracle.attention(p);
        Set<String> sets = new TreeSet<>();
        for (int i = 0; i < sq; i++) {
            StringBuilder s = new StringBuilder("row" + i + ":");
            for (int j = 0; j < skv; j++) if (r.get(0, 0, i, j) > 0) s.append(j);
            sets.add(s.toString());
        }
        return sets;
    }

    @Test
    void causalAlignmentTopLeftVersusBottomRight() {
        // Sq=2, Skv=3. TOP_LEFT (offset 0): row 0 sees {0}, row 1 sees {0,1}.
        // BOTTOM_RIGHT (offset Skv-Sq = 1): row 0 sees {0,1}, row 1 sees {0,1,2}.
        assertEquals(Set.of("row0:0", "row1:01"), visibleSets(Alignment.TOP_LEFT));
        assertEquals(Set.of("row0:01", "row1:012"), visibleSets(Alignment.BOTTOM_RIGHT));
        assertEquals(Set.of("row0:", "row1:0"), visibleSets(Alignment.offset(-1)));
    }

    @Test
    void softcapComesBeforeTheMaskSoAMaskedHugeLogitHasZeroWeight() {
        // key 1 has a huge logit; softcap 2 bounds it at 2, but it is masked, so only key 0 counts
        AttentionSpec spec = AttentionSpec.builder().lengths(1, 2).headDim(1).scale(1).softcap(2).build();
        AttentionProblem p = new AttentionProblem(spec, t4(new float[]{1}, 1, 1, 1, 1), t4(new float[]{0.5f, 1e6f}, 1, 1, 2, 1),
                t4(new float[]{3, 100}, 1, 1, 2, 1), new Mask.Keep(new boolean[]{true, false}, new int[]{2}), null);
        assertEquals(3.0, Oracle.attention(p).get(0, 0, 0, 0));
        // unmasked: weights from capped logits 2 tanh(0.25) and 2 tanh(5e5) = 2
        AttentionProblem open = p.with(spec, null, null);
        double s0 = 2 * Math.tanh(0.25), s1 = 2;
        double w1 = 1 / (1 + Math.exp(s0 - s1));
        assertEquals((1 - w1) * 3 + w1 * 100, Oracle.attention(open).get(0, 0, 0, 0), 1e-13);
    }

    @Test
    void customScaleMultipliesTheLogits() {
        AttentionSpec spec = AttentionSpec.builder().lengths(1, 2).headDim(4).scale(0.3).build();
        float[] q = {1, 0, 0, 0}, k = {2, 0, 0, 0, -1, 0, 0, 0}, v = {1, 0, 0, 0, 0, 1, 0, 0};
        OracleResult r = Oracle.attention(new AttentionProblem(spec, t4(q, 1, 1, 1, 4), t4(k, 1, 1, 2, 4), t4(v, 1, 1, 2, 4)));
        double w0 = 1 / (1 + Math.exp(-0.3 * 3));
        assertEquals(w0, r.get(0, 0, 0, 0), 1e-15);
        assertEquals(1 - w0, r.get(0, 0, 0, 1), 1e-15);
    }

    @Test
    void bshdLayoutGivesTheSameResultAsBhsd() {
        int b = 2, h = 2, s = 3, d = 4;
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        AttentionSpec spec = AttentionSpec.builder().batch(b).heads(h, h).lengths(s, s).headDim(d)
                .causal(Alignment.BOTTOM_RIGHT).build();
        Tensor[] bhsd = new Tensor[3], bshd = new Tensor[3];
        for (int n = 0; n < 3; n++) {
            bhsd[n] = Layout.BHSD.allocate(b, h, s, d);
            bshd[n] = Layout.BSHD.allocate(b, h, s, d);
            for (int i = 0; i < b; i++) for (int j = 0; j < h; j++) for (int k = 0; k < s; k++) for (int l = 0; l < d; l++) {
                float x = (float) random.nextGaussian();
                bhsd[n].set(x, i, j, k, l);
                bshd[n].set(x, i, j, k, l);
            }
        }
        assertEquals(Layout.BSHD, Layout.of(bshd[0]));
        OracleResult x = Oracle.attention(new AttentionProblem(spec, bhsd[0], bhsd[1], bhsd[2]));
        OracleResult y = Oracle.attention(new AttentionProblem(spec, bshd[0], bshd[1], bshd[2]));
        assertArrayEquals(x.values(), y.values());
    }

    @Test
    void rotaryAtPositionZeroIsTheIdentity() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(17);
        // causal: row 0 sees only key 0, and both sit at position 0, where every rotation angle is 0
        AttentionSpec core = AttentionSpec.builder().heads(2, 1).lengths(2, 2).headDim(4).causal(Alignment.TOP_LEFT).build();
        LayerSpec with = new LayerSpec(core, 6, 0, 5, true, Rotary.of(4), 0);
        LayerSpec without = new LayerSpec(core, 6, 0, 5, true, null, 0);
        LayerWeights w = new LayerWeights(mat(random, 6, 8), mat(random, 8), mat(random, 6, 4), mat(random, 4),
                mat(random, 6, 4), mat(random, 4), mat(random, 8, 5), mat(random, 5), null, null, null);
        Tensor x = mat(random, 1, 2, 6);
        OracleResult a = Oracle.layer(new LayerProblem(with, w, x, null));
        OracleResult b = Oracle.layer(new LayerProblem(without, w, x, null));
        for (int c = 0; c < 5; c++) assertEquals(b.get(0, 0, c), a.get(0, 0, c));
        // shifting queries and keys together keeps relative positions: same result up to rounding
        OracleResult same = Oracle.layer(new LayerProblem(with, w, x, null, null, null, 5, 5));
        for (int i = 0; i < a.values().length; i++) assertEquals(a.values()[i], same.values()[i], 1e-12);
        // ... but a query offset of 3 against keys at 0 changes it
        OracleResult c = Oracle.layer(new LayerProblem(with, w, x, null, null, null, 3, 0));
        double diff = 0;
        for (int i = 0; i < b.values().length; i++) diff = Math.max(diff, Math.abs(c.values()[i] - a.values()[i]));
        assertTrue(diff > 1e-6, "rotary at query position 3 changed nothing");
    }

    @Test
    void layerWithOneHeadAndIdentityWeightsIsCoreAttention() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(19);
        AttentionSpec core = AttentionSpec.builder().lengths(3, 3).headDim(2).causal(Alignment.TOP_LEFT).build();
        LayerSpec spec = new LayerSpec(core, 2, 0, 2, false, null, 0);
        Tensor eye = Tensor.of(new float[]{1, 0, 0, 1}, 2, 2);
        Tensor x = mat(random, 1, 3, 2);
        OracleResult layer = Oracle.layer(new LayerProblem(spec, new LayerWeights(eye, null, eye, null, eye, null, eye, null,
                null, null, null), x, null));
        Tensor heads = Tensor.of(x.toArray(), 1, 1, 3, 2);
        OracleResult attention = Oracle.attention(new AttentionProblem(core, heads, heads, heads));
        assertArrayEquals(attention.values(), layer.values());
        assertEquals(OptionalDouble.empty(), core.scale());
    }

    static Tensor mat(java.util.SplittableRandom random, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) data[i] = (float) random.nextGaussian();
        return t;
    }
}
