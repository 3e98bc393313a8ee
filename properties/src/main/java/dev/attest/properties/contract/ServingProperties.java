package dev.attest.properties.contract;

import dev.attest.properties.cases.AttentionCase;
import dev.attest.properties.cases.AttentionCases;
import dev.attest.properties.cases.LayerCase;
import dev.attest.properties.cases.LayerCases;
import dev.attest.properties.cases.MaskKind;
import dev.attest.properties.cases.PackedBatches;
import dev.attest.properties.cases.PagedLayouts;
import dev.attest.properties.cases.Problems;
import dev.attest.properties.engine.Cases;
import dev.attest.properties.engine.Facts;
import dev.attest.properties.judge.Bitwise;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import dev.attest.reference.packed.PackedLayerProblem;
import dev.attest.reference.packed.PackedProblem;
import dev.attest.reference.paged.PagedProblem;
import dev.attest.spi.Feature;
import dev.attest.spi.TensorTypes;
import org.junit.jupiter.api.Assumptions;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static dev.attest.spi.Feature.*;

/**
 * The serving-engine clauses of the conformance kit: paged KV (S10), packed variable-length batches (S11) and the
 * auxiliary outputs (S12); see {@link AttentionContract}.
 */
public abstract class ServingProperties extends CacheProperties {
    // ---------------------------------------------------------------------------------------------------------
    // S10 Paged KV

    /**
     * K and V in blocks of any size, the physical blocks in any order with spare ones between them, each block in
     * FlashAttention's (slot, head, dim) order or vLLM's head-major one, give the output of the same problem with
     * K and V contiguous, bit for bit (the slots no sequence owns hold garbage). If this fails, check: a block
     * table read for the wrong sequence; the last, partly filled block skipped; slot and block of token j swapped.
     */
    @Test
    public void required_S10_any_page_size_and_block_order_gives_the_contiguous_result_bit_for_bit() {
        requireFeatures(PAGED_KV, KEY_PADDING);
        property(Clause.S10, pagedCases(), c -> checkPaged(c, PagedLayouts.Unowned.GARBAGE, false));
    }

    /**
     * NaN in every slot past a sequence's length and in every block no sequence owns changes nothing: the output
     * is bit for bit the contiguous one. If this fails, check: the last block read whole; a spare block read.
     */
    @Test
    public void required_S10_slots_and_blocks_a_sequence_does_not_own_do_not_change_its_output() {
        requireFeatures(PAGED_KV, KEY_PADDING);
        property(Clause.S10, pagedCases(), c -> checkPaged(c, PagedLayouts.Unowned.NAN, false));
    }

    /**
     * Block ids so high that their elements sit past 2^31 in the pool (numBlocks·blockSize·Hkv·D > 2^31; only the
     * used blocks exist, so it fits in memory) are read exactly: bit for bit the contiguous output. If this fails,
     * check: a block's offset computed in 32-bit arithmetic.
     */
    @Test
    public void required_S10_block_ids_past_2_to_the_31_pool_elements_are_read_exactly() {
        requireFeatures(PAGED_KV, KEY_PADDING);
        property(Clause.S10, pagedCases(), c -> checkPaged(c, PagedLayouts.Unowned.GARBAGE, true));
    }

    /**
     * A paged KV cache (blocks of a shared pool taken as sequences grow, given back by a rollback and taken again in
     * another order) computes what the contiguous cache does: outputs within the tolerance model of the full pass,
     * present K/V bit for bit the contiguous cache's. If this fails, check: a block given back while still read; a
     * block table not extended when a chunk crosses a block's end; a slot's offset within its block.
     */
    @Test
    public void required_S10_a_paged_cache_equals_the_contiguous_one() {
        requireCache(PAGED_KV);
        property(Clause.S10, cacheCases().finishing(ServingCacheChecks::withoutRing),
                c -> serving(CACHE_K).pagedEqualsContiguous(c));
    }

    static boolean allZero(float[] values) {
        for (float v : values) if (v != 0) return false;            // NaN != 0 too
        return true;
    }

    /** Cases with per-sequence key lengths (the sequences' lengths) and K and V in a type a pool holds (not fp8). */
    AttentionCases pagedCases() {
        return withoutFp8(cases()).finishing(c -> c.withMask(c.maskKind(), c.maskAxes(), true));
    }

    /**
     * The cases in element types without fp8 (a block pool and a packed batch hold fp32, fp16 or bf16): a case
     * drawn in fp8 takes the first declared combination without it.
     */
    AttentionCases withoutFp8(AttentionCases cases) {
        List<TensorTypes> kept = capabilities().types().stream().filter(t -> !t.query().isFp8() && !t.key().isFp8()
                && !t.value().isFp8()).toList();
        if (kept.isEmpty()) Assumptions.abort("unsupported: " + backend().name() + " declares only fp8 inputs");
        return cases.finishing(c -> kept.contains(c.types()) ? c : c.withTypes(kept.getFirst(), false));
    }

    void checkPaged(AttentionCase c, PagedLayouts.Unowned unowned, boolean hugePool) {
        int blockSize = PagedLayouts.blockSize(c.dataSeed() >>> 7);
        PagedProblem paged = PagedLayouts.paged(c.materialize(), hugePool ? Math.max(2, blockSize) : blockSize,
                c.dataSeed(), unowned, hugePool);
        Tensor contiguous = run(paged.contiguous(), c);
        Tensor out = runPaged(paged, c);
        Bitwise.requireIdentical("the paged output (blocks of " + paged.kv().blockSize() + ") differs from the"
                + " contiguous one", contiguous, out);
    }

    /** Runs paged attention into a NaN-filled output in the case's output layout and type. */
    protected Tensor runPaged(PagedProblem problem, AttentionCase c) {
        Tensor out = c.outputLayout().allocate(c.types().output(), problem.spec().batch(), problem.spec().qHeads(),
                problem.spec().qLength(), problem.spec().vHeadDim()).fill(Float.NaN);
        Declared.require(backend(), Feature.requiredBy(problem, out), problem);
        Cases.footnote(GIVEN, problem);
        declaredIsNotRefused(problem, () -> backend().pagedAttention(problem, out));
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------
    // S11 Packed variable-length batches

    /**
     * A packed variable-length batch (cu_seqlens offsets, query and key lengths differing per sequence, empty
     * sequences included) equals each sequence run alone: sequence b's rows agree with the oracle of its own problem
     * within the tolerance model, and the rows of a sequence without keys are exactly zero. If this fails, check:
     * attention across sequence boundaries; the longest sequence's key count read for every sequence; cu_seqlens
     * read off by one; the bottom-right offset of the longest sequences used for all.
     */
    @Test
    public void required_S11_a_packed_batch_equals_each_sequence_run_alone() {
        requireFeatures(PACKED_VARLEN);
        property(Clause.S11, withoutFp8(cases().masks(MaskKind.NONE)).finishing(c -> {
            AttentionCase plain = c.withMask(MaskKind.NONE, c.maskAxes(), false);
            return plain.alignment() != null && plain.alignment().kind() == Alignment.Kind.KEY_LENGTHS
                    ? plain.withOptions(plain.scale(), plain.softcap(), plain.causal(), Alignment.BOTTOM_RIGHT,
                    plain.window()) : plain;
        }), c -> {
            PackedProblem packed = PackedBatches.packed(c.materialize(), c.dataSeed() ^ 0x5eedL);
            Tensor out = packed.allocateOutput().fill(Float.NaN);
            if (c.types().output() != ElementType.FP32) {
                out = Tensor.zeros(c.types().output(), packed.outputShape()).fill(Float.NaN);
            }
            Tensor written = out;
            Declared.require(backend(), Feature.requiredBy(packed, written), packed);
            Cases.footnote(GIVEN, packed);
            declaredIsNotRefused(packed, () -> backend().packedAttention(packed, written));
            int[] cu = packed.queryOffsets();
            for (int b = 0; b < packed.spec().batch(); b++) {
                int sq = packed.queryLength(b);
                if (sq == 0) continue;
                Tensor rows = written.view(written.index(cu[b], 0, 0), new int[]{1, packed.spec().qHeads(), sq,
                        packed.spec().vHeadDim()}, new int[]{0, written.stride(1), written.stride(0), written.stride(2)});
                AttentionProblem alone = packed.sequence(b);
                if (alone != null) {
                    Expectation.attention(alone, precision(), OUTPUT_K).check(rows);
                } else if (!allZero(rows.toArray())) {
                    throw new AssertionError(Facts.of().add("failure", "sequence " + b + " has no keys, so its rows"
                            + " are fully masked and must be exactly zero").add("but was", Arrays.toString(
                            rows.toArray())).toString());
                }
            }
        });
    }

    /**
     * The layer over a packed batch (self-attention, each sequence's rotary positions from 0, empty sequences
     * included) equals each sequence through the layer alone, within the tolerance model of its own oracle. If this
     * fails, check: rotary positions counted across sequences instead of from each one's start; keys of another
     * sequence projected into this one's attention.
     */
    @Test
    public void required_S11_a_packed_layer_batch_equals_each_sequence_run_alone() {
        requireFeatures(PACKED_VARLEN, LAYER);
        property(Clause.S11, layerCases().finishing(c -> {
            AttentionCase core = LayerCases.selfAttention(c.core().withMask(MaskKind.NONE, c.core().maskAxes(), false));
            if (core.alignment() != null && core.alignment().kind() == Alignment.Kind.KEY_LENGTHS) {
                core = core.withOptions(core.scale(), core.softcap(), core.causal(), Alignment.BOTTOM_RIGHT,
                        core.window());
            }
            return new LayerCase(core, c.modelDim(), 0, c.outputDim(), c.biases(), c.rotaryDims(), c.interleaved(),
                    c.loraRank(), 0, 0, c.weightSeed());
        }), c -> {
            PackedLayerProblem packed = PackedBatches.packedLayer(c.materialize(), c.weightSeed() ^ 0x5eedL);
            Tensor out = Tensor.zeros(packed.input().type(), packed.outputShape()).fill(Float.NaN);
            Declared.require(backend(), Feature.requiredBy(packed), packed);
            Cases.footnote(GIVEN, packed);
            declaredIsNotRefused(packed, () -> backend().packedLayer(packed, out));
            int[] cu = packed.offsets();
            for (int b = 0; b < packed.spec().core().batch(); b++) {
                LayerProblem alone = packed.sequence(b);
                if (alone == null) continue;
                Tensor rows = out.view(out.index(cu[b], 0), new int[]{1, packed.length(b), packed.spec().outputDim()},
                        new int[]{0, out.stride(0), out.stride(1)});
                Expectation.layer(alone, precision(), LAYER_K).check(rows);
            }
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // S12 Auxiliary outputs (AuxiliaryChecks)

    /**
     * The per-row log-sum-exp (FlashAttention's softmax_lse: ln of the softmax's denominator over the logits it
     * reads, scaled, softcapped and biased) agrees with the oracle's within the tolerance model, is -inf exactly for
     * a row that sees no key, and comes with the same output as a call without it.
     * If this fails, check: the LSE in base 2 (a kernel's exp2 trick not converted back); the running max left out
     * (ln l alone); the scale applied after the max.
     */
    @Test
    public void required_S12_the_log_sum_exp_agrees_with_the_oracle() {
        requireFeatures(LOG_SUM_EXP);
        property(Clause.S12, cases(), c -> {
            AttentionProblem p = c.materialize();
            dev.attest.reference.AuxiliaryOutputs aux = dev.attest.reference.AuxiliaryOutputs.allocate(p.spec(), true,
                    null);
            Tensor out = runWithAuxiliary(p, c, aux);
            AuxiliaryChecks.requireLogSumExp(p, aux.logSumExp(), precision(), OUTPUT_K);
            Expectation.attention(p, precision(), OUTPUT_K).check(out);
        });
    }

    /**
     * Two halves of the keys (split at any point, the mask made explicit and cut with them) run separately and
     * combined through their log-sum-exp, as a split-KV decode combines them, give the output over all the keys:
     * within twice the tolerance model of one pass (each half brings its own rounding and error, weighted to 1).
     * If this fails, check: an LSE in another base or offset than the output's softmax; a half without visible keys
     * given a finite LSE.
     */
    @Test
    public void required_S12_two_halves_of_the_keys_combined_through_their_log_sum_exp_equal_the_whole() {
        requireFeatures(LOG_SUM_EXP);
        boolean masks = capabilities().supports(BOOLEAN_MASK) && capabilities().supports(ADDITIVE_MASK);
        AttentionCases drawn = withoutFp8(masks ? cases() : cases().masks(MaskKind.NONE).without(CAUSAL,
                SLIDING_WINDOW, KEY_PADDING));
        property(Clause.S12, drawn.finishing(c -> c.kvLength() >= 2 ? c : c.withDims(c.batch(), c.qHeads(),
                c.kvHeads(), c.qLength(), 2, c.qkHeadDim(), c.vHeadDim())), c -> {
            AttentionProblem whole = c.materialize();
            AttentionProblem explicit = masks ? Problems.withExplicitMask(whole) : whole;
            int skv = whole.spec().kvLength(), split = 1 + (int) Math.floorMod(c.dataSeed() >>> 3, skv - 1);
            AttentionProblem first = AuxiliaryChecks.keys(explicit, 0, split);
            AttentionProblem second = AuxiliaryChecks.keys(explicit, split, skv);
            dev.attest.reference.AuxiliaryOutputs a1 = dev.attest.reference.AuxiliaryOutputs.allocate(first.spec(),
                    true, null), a2 = dev.attest.reference.AuxiliaryOutputs.allocate(second.spec(), true, null);
            Tensor o1 = runWithAuxiliary(first, c, a1), o2 = runWithAuxiliary(second, c, a2);
            Tensor combined = AuxiliaryChecks.combine(o1, a1.logSumExp(), o2, a2.logSumExp(),
                    Tensor.zeros(c.types().output(), whole.spec().batch(), whole.spec().qHeads(),
                            whole.spec().qLength(), whole.spec().vHeadDim()));
            Cases.footnote("split", "keys [0, " + split + ") and [" + split + ", " + skv + ")");
            Expectation.attention(whole, explicit, precision(), 2 * OUTPUT_K).check(combined);
        });
    }

    /**
     * The attention scores at each ONNX qk_matmul_output stage (0 logits, 1 softcapped, 2 biased with -inf where a
     * key is hidden, 3 probabilities with 0 where hidden) agree with the oracle's within the tolerance model, their
     * infinities and hidden zeros exact.
     * If this fails, check: softcap applied after the mask (mode 2 then holds -softcap where it must hold -inf);
     * mode 3 taken before the fully-masked-row guard (NaN or 1/n instead of 0).
     */
    @Test
    public void required_S12_attention_scores_at_each_onnx_stage_agree_with_the_oracle() {
        requireFeatures(ATTENTION_SCORES);
        property(Clause.S12, cases(), c -> {
            AttentionProblem p = c.materialize();
            dev.attest.reference.ScoreStage stage = dev.attest.reference.ScoreStage.values()[
                    (int) Math.floorMod(c.dataSeed() >>> 11, 4)];
            dev.attest.reference.AuxiliaryOutputs aux = dev.attest.reference.AuxiliaryOutputs.allocate(p.spec(), false,
                    stage);
            Cases.footnote("stage", stage + " (qk_matmul_output_mode " + stage.onnxMode() + ")");
            runWithAuxiliary(p, c, aux);
            AuxiliaryChecks.requireScores(p, stage, aux.scores(), precision(), OUTPUT_K);
        });
    }

    /** Runs core attention returning {@code aux} into a NaN-filled output in the case's layout and type. */
    protected Tensor runWithAuxiliary(AttentionProblem problem, AttentionCase c,
                                      dev.attest.reference.AuxiliaryOutputs aux) {
        Tensor out = c.outputLayout().allocate(c.types().output(), problem.spec().batch(), problem.spec().qHeads(),
                problem.spec().qLength(), problem.spec().vHeadDim()).fill(Float.NaN);
        Declared.require(backend(), Feature.requiredBy(problem, out, aux), problem);
        noteGiven(problem, out);
        declaredIsNotRefused(problem, () -> backend().attention(problem, out, aux));
        return out;
    }

}
