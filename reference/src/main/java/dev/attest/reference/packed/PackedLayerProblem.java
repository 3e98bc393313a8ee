package dev.attest.reference.packed;

import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Tensor;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * The multi-head self-attention layer over a packed variable-length batch: the inputs X of B sequences one after
 * another, (totalX, dModel), with {@code offsets} ({@code cu_seqlens}: B + 1 entries from 0, never decreasing,
 * ending at totalX). It means each sequence run alone through the layer ({@link #sequence(int)}): its own
 * projections, its rotary positions from 0, its causal alignment resolved for its own length. The output is
 * (totalX, dOut); an empty sequence has no rows.
 *
 * @param spec the layer, self-attention, with core batch B and Sq = Skv the longest sequence (1 when all are empty)
 */
public record PackedLayerProblem(LayerSpec spec, LayerWeights weights, Tensor input, int[] offsets) {

    public PackedLayerProblem {
        require(spec != null && weights != null, "a packed layer problem needs a layer spec and its weights");
        require(!spec.crossAttention(), "a packed layer batch is self-attention: K and V come from the packed X");
        weights.requireMatches(spec);
        CuSeqlens.requireNoKeyPadding(spec.core().alignment());
        require(input != null && input.rank() == 2 && input.dim(1) == spec.modelDim(), "X has shape %s but a packed"
                + " layer takes (total, dModel = %d)", input == null ? "none" : Arrays.toString(input.shape()),
                spec.modelDim());
        require(!input.type().isFp8(), "a layer is fp32, fp16 or bf16 throughout; X is %s", input.type());
        offsets = CuSeqlens.checked("cu_seqlens", offsets, spec.core().batch(), "X", input.dim(0), "");
        int longest = CuSeqlens.longest(offsets);
        require(spec.core().qLength() == Math.max(1, longest), "max_seqlen: the core's Sq is %d but the longest"
                + " sequence has %d tokens", spec.core().qLength(), longest);
    }

    @Override
    public int[] offsets() {
        return offsets.clone();
    }

    public int length(int b) {
        return offsets[b + 1] - offsets[b];
    }

    /** (totalX, dOut). */
    public int[] outputShape() {
        return new int[]{offsets[offsets.length - 1], spec.outputDim()};
    }

    public void requireOutput(Tensor out) {
        require(out != null && Arrays.equals(out.shape(), outputShape()), "output has shape %s but the packed layer"
                + " writes (total, dOut) = %s", out == null ? "null" : Arrays.toString(out.shape()),
                Arrays.toString(outputShape()));
    }

    /** Sequence b alone through the layer, (1, n, dModel), or null when it is empty. */
    public LayerProblem sequence(int b) {
        int n = length(b);
        if (n == 0) return null;
        AttentionSpec core = spec.core();
        AttentionSpec one = core.toBuilder().batch(1).lengths(n, n)
                .masking(core.causal(), CuSeqlens.resolved(core.alignment(), b, n, n), core.window()).build();
        LayerSpec alone = new LayerSpec(one, spec.modelDim(), 0, spec.outputDim(), spec.biases(), spec.rotary(),
                spec.loraRank());
        Tensor x = Tensor.zeros(input.type(), 1, n, spec.modelDim());
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < spec.modelDim(); c++) x.setBits(input.bits(offsets[b] + i, c), 0, i, c);
        }
        return new LayerProblem(alone, weights, x, null);
    }

    /** Runs {@code layer} on each sequence alone and writes its rows into {@code out} (totalX, dOut). */
    public void runEach(SequenceLayer layer, Tensor out) {
        for (int b = 0; b + 1 < offsets.length; b++) {
            LayerProblem alone = sequence(b);
            if (alone == null) continue;
            Tensor rows = Tensor.zeros(out.type(), 1, length(b), spec.outputDim());
            layer.run(b, alone, rows);
            for (int i = 0; i < length(b); i++) {
                for (int c = 0; c < spec.outputDim(); c++) out.setBits(rows.bits(0, i, c), offsets[b] + i, c);
            }
        }
    }

    /** The layer on sequence b alone into its (1, n, dOut) rows. */
    @FunctionalInterface
    public interface SequenceLayer {
        void run(int b, LayerProblem alone, Tensor rows);
    }

    @Override
    public String toString() {
        return spec + " packed cu_seqlens=" + Arrays.toString(offsets);
    }
}
