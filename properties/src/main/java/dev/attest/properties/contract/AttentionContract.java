package dev.attest.properties.contract;

import dev.attest.properties.cases.AttentionCase;
import dev.attest.properties.cases.MaskKind;
import dev.attest.properties.cases.Problems;
import dev.attest.properties.cases.Values;
import dev.attest.properties.engine.PropertyTimeout;
import dev.attest.properties.judge.Bitwise;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.MaskView;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.attest.spi.Feature.*;

/**
 * The conformance kit: every property of DESIGN.md "Semantics" that any attention backend must pass. Extend it and
 * supply {@link #backend()}; JUnit Jupiter runs each property as a test:
 *
 * <pre>
 * class MyBackendConformanceTest extends AttentionContract {
 *     protected AttentionBackend backend() { return new MyBackend(); }
 * }
 * </pre>
 *
 * <p>Names follow {@code required_<clause>_<the rule as a sentence>}; the clause id points into DESIGN.md (see
 * {@link Clause}). A property that needs a feature the backend does not declare is <em>aborted</em> with a message
 * starting {@code unsupported:} and naming the feature — JUnit reports it as skipped, never as passed. A backend
 * that reports itself unavailable is aborted with {@code unavailable:}.
 *
 * <p>Runs are seeded: {@code -Dattest.seed=S} fixes the run, {@code -Dattest.tries=N} sets the number of random
 * cases per property, and a failure prints the {@code -Dattest.replay=KEY} line that reruns exactly its case.
 * Each property runs under a time limit, {@code -Dattest.timeout=SECONDS} (default 300; see {@link PropertyTimeout}).
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
@ExtendWith(PropertyTimeout.class)
public abstract class AttentionContract extends BackendProperties {
    // ---------------------------------------------------------------------------------------------------------
    // S1 Shapes and axes

    /**
     * Every element of the output view is written, and nothing around it. The output is a view into a larger
     * buffer filled with a NaN canary; afterwards no element of the view may still hold the canary and no element
     * outside it may have changed.
     * If this fails, check: loops that stop early on a tail; an output index that ignores the view's offset or
     * strides; a fast path that assumes a dense BHSD output.
     */
    @Test
    public void required_S1_every_output_element_is_written_and_nothing_outside_it() {
        property(Clause.S1, cases(), c -> {
            AttentionProblem p = c.materialize();
            int[] shape = p.outputShape();
            int size = shape[0] * shape[1] * shape[2] * shape[3], margin = 5;
            ElementType type = c.types().output();
            // a NaN canary in the output's own type: fp32's with a payload no computation produces
            Tensor buffer = type == ElementType.FP32 ? Tensor.zeros(size + 2 * margin)
                    .fill(Float.intBitsToFloat(CANARY_BITS)) : Tensor.zeros(type, size + 2 * margin).fill(Float.NaN);
            int canaryBits = buffer.bits(0);
            Tensor dense = buffer.view(margin, c.outputLayout() == Layout.BSHD
                    ? new int[]{shape[0], shape[2], shape[1], shape[3]} : shape, c.outputLayout() == Layout.BSHD
                    ? new int[]{shape[2] * shape[1] * shape[3], shape[1] * shape[3], shape[3], 1}
                    : new int[]{shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1});
            Tensor out = c.outputLayout() == Layout.BSHD ? dense.permute(0, 2, 1, 3) : dense;
            call(p, out);
            for (int i = 0; i < size + 2 * margin; i++) {
                boolean inside = i >= margin && i < margin + size;
                boolean canary = buffer.bits(i) == canaryBits;
                if (inside && canary) {
                    fail("output element left unwritten (still holds the NaN canary)", "flat offset in view", i - margin);
                }
                if (!inside && !canary) {
                    fail("backend wrote outside the output view", "array index", i, "value", buffer.get(i));
                }
            }
        });
    }

    /**
     * A query head's output depends only on that head's query and its key/value group: perturbing the query of
     * head h changes no other head's output, and perturbing key/value head g changes only the query heads that
     * read g (bit for bit: a computation that does not read an input cannot round differently because of it).
     * If this fails, check: the head index used for the output; the query-to-kv head division; a reshape that
     * mixes heads and tokens.
     */
    @Test
    public void required_S1_perturbing_one_head_changes_only_that_heads_outputs() {
        boolean gqa = capabilities().supports(GROUPED_QUERY_HEADS);
        // at least two query heads: two query heads per kv head where GQA is declared, else two heads of each
        property(Clause.S1, cases().finishing(c -> c.qHeads() > 1 ? c : c.withDims(c.batch(), 2 * c.kvHeads(),
                gqa ? c.kvHeads() : 2 * c.kvHeads(), c.qLength(), c.kvLength(), c.qkHeadDim(), c.vHeadDim())), c -> {
            AttentionProblem p = c.materialize();
            AttentionSpec s = p.spec();
            Tensor base = run(p, c);
            int h = (int) Math.floorMod(c.dataSeed(), s.qHeads());
            Tensor q = Problems.perturbHead(p.query(), h, 0.75f);
            Tensor perturbed = run(Problems.withTensors(p, q, p.key(), p.value()), c);
            Bitwise.requireIdentical("perturbing query head " + h + " changed another head's output", base, perturbed,
                    flat -> headOf(flat, p) != h);
            int g = s.kvHeadOf(h);
            Tensor k = Problems.perturbHead(p.key(), g, 0.75f);
            Tensor v = Problems.perturbHead(p.value(), g, 0.75f);
            Tensor perturbedKv = run(Problems.withTensors(p, p.query(), k, v), c);
            Bitwise.requireIdentical("perturbing key/value head " + g + " changed a query head outside its group",
                    base, perturbedKv, flat -> s.kvHeadOf(headOf(flat, p)) != g);
        });
    }

    /**
     * With B, H, Sq, Skv, Dqk and Dv all different (2, 3, 5, 7, 4, 6), the output agrees with the oracle: no axis
     * can stand in for another without changing the result.
     * If this fails, check: two axes confused in an index computation that equal sizes would hide.
     */
    @Test
    public void required_S1_shapes_with_all_dimensions_different_agree_with_the_oracle() {
        property(Clause.S1, cases().finishing(c -> c.withDims(2, 3, c.qHeads() == c.kvHeads() ? 3 : 1, 5, 7, 4,
                c.qkHeadDim() == c.vHeadDim() ? 4 : 6)), c -> {
            AttentionProblem p = c.materialize();
            Expectation.attention(p, precision(), OUTPUT_K).check(run(p, c));
        });
    }

    /**
     * Perturbing the key and value of token j in batch b changes only outputs allowed to see j (same batch, and
     * visible under every mask); every other output element is bit-identical.
     * If this fails, check: sequence and head axes swapped after a reshape; a batch stride; masks applied to the
     * wrong row or column.
     */
    @Test
    public void required_S3_perturbing_token_j_changes_only_outputs_allowed_to_see_it() {
        property(Clause.S3, cases(), c -> {
            AttentionProblem p = c.materialize();
            AttentionSpec s = p.spec();
            SplittableRandom pick = new SplittableRandom(c.dataSeed() ^ 0x5DEECE66DL);
            int b = pick.nextInt(s.batch()), j = pick.nextInt(s.kvLength());
            Tensor base = run(p, c);
            Tensor k = Problems.perturbToken(p.key(), b, j, 0.5f, false);
            Tensor v = Problems.perturbToken(p.value(), b, j, 0.5f, false);
            Tensor perturbed = run(Problems.withTensors(p, p.query(), k, v), c);
            MaskView view = p.maskView();
            int[] shape = p.outputShape();
            Bitwise.requireIdentical("perturbing key/value token " + j + " of batch " + b
                    + " changed an output that may not see it", base, perturbed, flat -> {
                int[] at = unflatten(flat, shape);
                return at[0] != b || !view.visible(at[0], at[1], at[2], j);
            });
        });
    }

    /**
     * Without causal, window or mask, permuting the query tokens permutes the output rows, bit for bit.
     * If this fails, check: a query index reused as a key index; position-dependent code in a non-causal path.
     */
    @Test
    public void required_S1_permuting_query_tokens_permutes_output_rows() {
        property(Clause.S1, cases().without(CAUSAL, SLIDING_WINDOW).masks(MaskKind.NONE), c -> {
            AttentionProblem p = c.materialize();
            AttentionSpec s = p.spec();
            int[] permutation = permutation(s.qLength(), new SplittableRandom(c.dataSeed()));
            Tensor q = Problems.copy(p.query());
            for (int b = 0; b < s.batch(); b++)
                for (int h = 0; h < s.qHeads(); h++)
                    for (int i = 0; i < s.qLength(); i++)
                        for (int d = 0; d < s.qkHeadDim(); d++)
                            q.set(p.query().get(b, h, permutation[i], d), b, h, i, d);
            Tensor base = run(p, c);
            Tensor permuted = run(Problems.withTensors(p, q, p.key(), p.value()), c);
            Tensor expected = Problems.copy(base);
            for (int b = 0; b < s.batch(); b++)
                for (int h = 0; h < s.qHeads(); h++)
                    for (int i = 0; i < s.qLength(); i++)
                        for (int d = 0; d < s.vHeadDim(); d++)
                            expected.set(base.get(b, h, permutation[i], d), b, h, i, d);
            Bitwise.requireIdentical("permuted queries did not give permuted output rows", expected, permuted);
        });
    }

    /**
     * The same values in BHSD and in BSHD (inputs and output) give bit-identical outputs: layout is indexing only.
     * If this fails, check: a stride taken from the wrong axis; a fast path chosen by layout that rounds
     * differently.
     */
    @Test
    public void required_S1_bhsd_and_bshd_layouts_give_identical_outputs() {
        requireFeatures(STRIDED_LAYOUT);
        property(Clause.S1, cases(), c -> {
            AttentionProblem p = c.materialize();
            Tensor bhsd = run(Problems.inLayout(p, Layout.BHSD), Layout.BHSD, c.types().output());
            Tensor bshd = run(Problems.inLayout(p, Layout.BSHD), Layout.BSHD, c.types().output());
            Bitwise.requireIdentical("BSHD output differs from BHSD output", bhsd, bshd);
        });
    }

    /**
     * Grouped-query attention equals multi-head attention with each key/value head repeated for its group
     * (repeat-interleave: query head h reads kv head h / (Hq/Hkv)).
     * If this fails, check: heads mapped by tiling ({@code h % Hkv}) instead of division.
     */
    @Test
    public void required_S1_gqa_equals_mha_with_repeat_interleaved_key_value_heads() {
        requireFeatures(GROUPED_QUERY_HEADS);
        property(Clause.S1, cases().finishing(c -> c.qHeads() / c.kvHeads() > 1 && c.kvHeads() > 1 ? c
                : c.withDims(c.batch(), 2 * Math.max(2, c.kvHeads()), Math.max(2, c.kvHeads()), c.qLength(),
                c.kvLength(), c.qkHeadDim(), c.vHeadDim())), c -> {
            AttentionProblem gqa = c.materialize();
            AttentionProblem mha = Problems.withRepeatedKeyValueHeads(gqa);
            Expectation.attention(mha, gqa, precision(), OUTPUT_K).check(run(gqa, c));
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // S7 Agreement with the oracle

    /**
     * The output agrees with the high-precision oracle within the tolerance model: error at most
     * max(floor, 2 x the error of a plain same-precision naive computation of the same input).
     * If this fails, check the worst element printed: its (b, h, i, d) usually names the broken axis or mask.
     */
    @Test
    public void required_S7_agrees_with_the_oracle_within_the_tolerance_model() {
        property(Clause.S7, cases(), c -> {
            AttentionProblem p = c.materialize();
            Expectation.attention(p, precision(), OUTPUT_K).check(run(p, c));
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // S2 Order of operations

    /**
     * Logits near +-1e4 give finite outputs that agree with the oracle: the softmax subtracts the row maximum.
     * If this fails, check: exp of raw logits (overflow to inf, then inf/inf = NaN).
     */
    @Test
    public void required_S2_logits_near_plus_minus_1e4_stay_finite() {
        property(Clause.S2, cases().without(SOFTCAP).finishing(c -> c.withData(c.inputLayout(), c.outputLayout(),
                Values.LARGE_LOGITS, c.dataSeed())), c -> {
            AttentionProblem p = c.materialize();
            Expectation.attention(p, precision(), OUTPUT_K).check(run(p, c));
        });
    }

    /**
     * A logit scale s equals scale 1 on queries pre-multiplied by s (s a power of two, so the product is exact).
     * If this fails, check: the custom scale ignored, applied twice, or applied as 1/sqrt(D) regardless.
     */
    @Test
    public void required_S2_scale_s_equals_queries_premultiplied_by_s() {
        requireFeatures(CUSTOM_SCALE);
        property(Clause.S2, cases().without(SOFTCAP), c -> {
            double s = Math.scalb(1.0, (int) Math.floorMod(c.dataSeed(), 6) - 3);
            AttentionProblem scaled = c.withOptions(s, 0, c.causal(), c.alignment(), c.window()).materialize();
            Tensor q = Problems.scaled(scaled.query(), s);
            AttentionSpec unit = scaled.spec().toBuilder().scale(1.0).build();
            AttentionProblem premultiplied = new AttentionProblem(unit, q, scaled.key(), scaled.value(),
                    scaled.mask(), scaled.keyLengths());
            Expectation.attention(scaled, premultiplied, precision(), OUTPUT_K)
                    .check(run(premultiplied, c));
            Expectation.attention(scaled, precision(), OUTPUT_K).check(run(scaled, c));
        });
    }

    /**
     * Adding a constant to every logit of a row (an additive bias of shape (Sq, 1), broadcast over keys) changes
     * nothing: softmax is shift-invariant.
     * If this fails, check: bias broadcasting along the key axis; a bias applied to the wrong row.
     */
    @Test
    public void required_S2_adding_a_constant_to_every_logit_of_a_row_changes_nothing() {
        requireFeatures(ADDITIVE_MASK);
        property(Clause.S2, cases().masks(MaskKind.NONE), c -> {
            AttentionProblem p = c.materialize();
            AttentionSpec s = p.spec();
            SplittableRandom random = new SplittableRandom(c.dataSeed());
            float[] rowShift = new float[s.qLength()];
            for (int i = 0; i < rowShift.length; i++) rowShift[i] = (float) random.nextInt(-30, 31);
            AttentionProblem shifted = p.with(s, new Mask.Bias(rowShift, new int[]{s.qLength(), 1}), p.keyLengths());
            Expectation.attention(p, shifted, precision(), OUTPUT_K).check(run(shifted, c));
        });
    }

    /**
     * With an additive bias, softcap applies to the raw logit and the bias is added after it:
     * {@code c*tanh(s/c) + bias}, never {@code c*tanh((s + bias)/c)}; a -inf bias keeps weight exactly 0.
     * If this fails, check: the order of softcap and mask.
     */
    @Test
    public void required_S2_softcap_is_applied_before_the_mask() {
        requireFeatures(SOFTCAP, ADDITIVE_MASK);
        property(Clause.S2, cases().masks(MaskKind.ADDITIVE).finishing(c -> c.withOptions(c.scale(),
                1 + Math.floorMod(c.dataSeed(), 4), c.causal(), c.alignment(), c.window())), c -> {
            AttentionProblem p = c.materialize();
            Expectation.attention(p, precision(), OUTPUT_K).check(run(p, c));
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // S3 Masks and S4 causal alignment

    /**
     * A boolean mask equals the additive mask with 0 where attended and -inf where not.
     * If this fails, check: the boolean polarity (true = attend); -inf handled differently from a skip.
     */
    @Test
    public void required_S3_a_boolean_mask_equals_the_minus_infinity_additive_mask() {
        requireFeatures(BOOLEAN_MASK, ADDITIVE_MASK);
        property(Clause.S3, cases().masks(MaskKind.BOOLEAN, MaskKind.BOOLEAN_WITH_EMPTY_ROWS), c -> {
            AttentionProblem bool = c.materialize();
            AttentionProblem bias = bool.with(bool.spec(), Problems.asBias((Mask.Keep) bool.mask()), bool.keyLengths());
            Expectation.attention(bool, bias, precision(), OUTPUT_K).check(run(bias, c));
        });
    }

    /**
     * A sliding window equals the explicit boolean mask of {@code p - left <= j <= p + right}.
     * If this fails, check: off-by-one at the window edge; the alignment offset used for the window.
     */
    @Test
    public void required_S3_a_sliding_window_equals_its_explicit_mask() {
        requireFeatures(SLIDING_WINDOW);
        property(Clause.S3, cases().masks(MaskKind.NONE).finishing(c -> c.window() != null ? c
                : c.withOptions(c.scale(), c.softcap(), c.causal(), c.causal() ? c.alignment() : Alignment.TOP_LEFT,
                new dev.attest.reference.Window((int) Math.floorMod(c.dataSeed(), 3), (int) Math.floorMod(c.dataSeed() >> 8, 2)))),
                c -> checkAgainstExplicitMask(c));
    }

    /**
     * Each causal alignment (TOP_LEFT, BOTTOM_RIGHT, an explicit offset, and with PER_SEQUENCE_OFFSETS the
     * bottom-right of each sequence's key length and explicit per-sequence offsets) equals its explicit mask
     * {@code j <= i + offset_b}, with Sq and Skv unequal in both directions.
     * If this fails, check: top-left used where bottom-right was asked; {@code j < i} instead of {@code j <= i};
     * one offset used for every sequence of the batch (Skv - Sq where {@code keyLengths[b] - Sq} is asked).
     */
    @Test
    public void required_S4_each_causal_alignment_equals_its_explicit_mask() {
        requireFeatures(CAUSAL);
        boolean perSequence = capabilities().supports(PER_SEQUENCE_OFFSETS);
        property(Clause.S4, cases().masks(MaskKind.NONE).without(SLIDING_WINDOW).finishing(c -> {
            Alignment[] alignments = {Alignment.TOP_LEFT, Alignment.BOTTOM_RIGHT, Alignment.offset(1),
                    Alignment.KEY_LENGTHS, Alignment.perSequence(1, 0, -1, 3)};
            Alignment alignment = c.causal() ? c.alignment()
                    : alignments[(int) Math.floorMod(c.dataSeed(), perSequence ? alignments.length : 3)];
            AttentionCase causal = c.withOptions(c.scale(), c.softcap(), true, alignment, null);
            // the per-sequence frontier of ONNX nonpad_kv_seqlen: bottom-right to each sequence's own key length
            return alignment.kind() == Alignment.Kind.KEY_LENGTHS && capabilities().supports(KEY_PADDING)
                    ? causal.withMask(causal.maskKind(), causal.maskAxes(), true) : causal;
        }), c -> checkAgainstExplicitMask(c));
    }

    /** The backend runs the structural mask only; the explicit one is the oracle's (so BOOLEAN_MASK is not needed). */
    void checkAgainstExplicitMask(AttentionCase c) {
        AttentionProblem structural = c.materialize();
        AttentionProblem explicit = Problems.withExplicitMask(structural);
        Expectation.attention(explicit, structural, precision(), OUTPUT_K).check(run(structural, c));
    }

}
