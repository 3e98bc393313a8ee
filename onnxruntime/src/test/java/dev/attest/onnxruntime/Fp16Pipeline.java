package dev.attest.onnxruntime;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.MaskView;
import dev.attest.reference.Tensor;

/**
 * An fp16 attention pipeline with wide (double) arithmetic and fp16 roundings chosen one by one, to tell which of
 * ONNX Runtime's roundings the judge objects to. The output is always rounded once to fp16.
 *
 * @param scoreBuffer the scores (scale * q.k, after softcap, plus the mask) rounded to fp16, the softcap and its
 *                    input rounded too, as ORT's fp16 kernel keeps them (attention.cc: the GEMM writes a T buffer;
 *                    ComputeAttentionSoftcapInplace takes MLFloat16(softcap))
 * @param normalised  the normalised weights p = e / z rounded to fp16 before P.V (ORT; PyTorch's
 *                    {@code softmax(...).to(v.dtype)}), instead of the unnormalised e with one division at the end
 *                    (FlashAttention 2's kernel, the judge's KernelRoundings)
 */
record Fp16Pipeline(String name, boolean scoreBuffer, boolean normalised) {
    static final Fp16Pipeline FLASH = new Fp16Pipeline("FlashAttention-style (the judge's roundings)", false, false);
    static final Fp16Pipeline NORMALISED = new Fp16Pipeline("normalised P rounded to fp16", false, true);
    static final Fp16Pipeline SCORE_BUFFER = new Fp16Pipeline("scores in an fp16 buffer", true, false);
    static final Fp16Pipeline ORT = new Fp16Pipeline("ONNX Runtime 1.29 fp16 (both)", true, true);

    private static double h(double x) {
        return ElementType.FP16.round(x);
    }

    /** The pipeline's fp16 output (BHSD) for {@code p}. */
    Tensor run(AttentionProblem p) {
        AttentionSpec s = p.spec();
        MaskView mask = p.maskView();
        double scale = s.effectiveScale(), cap = scoreBuffer ? h(s.softcap()) : s.softcap();
        int skv = s.kvLength();
        Tensor out = Tensor.zeros(ElementType.FP16, s.batch(), s.qHeads(), s.qLength(), s.vHeadDim());
        double[] score = new double[skv], weight = new double[skv];
        for (int b = 0; b < s.batch(); b++) for (int hq = 0; hq < s.qHeads(); hq++) for (int i = 0; i < s.qLength(); i++) {
            int g = s.kvHeadOf(hq);
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < skv; j++) {
                if (!mask.visible(b, hq, i, j)) continue;
                double dot = 0;
                for (int d = 0; d < s.qkHeadDim(); d++) dot += p.query().value(b, hq, i, d) * p.key().value(b, g, j, d);
                double x = scale * dot;
                if (cap != 0) x = scoreBuffer ? h(cap * Math.tanh(h(x) / cap)) : cap * Math.tanh(x / cap);
                x += mask.bias(b, hq, i, j);
                score[j] = scoreBuffer ? h(x) : x;
                max = Math.max(max, score[j]);
            }
            for (int j = 0; j < skv; j++) if (mask.visible(b, hq, i, j)) z += weight[j] = Math.exp(score[j] - max);
            for (int d = 0; d < s.vHeadDim(); d++) {
                double y = 0;
                for (int j = 0; j < skv; j++) {
                    if (mask.visible(b, hq, i, j)) y += h(normalised ? weight[j] / z : weight[j]) * p.value().value(b, g, j, d);
                }
                out.set((float) h(z == 0 ? 0 : normalised ? y : y / z), b, hq, i, d);
            }
        }
        return out;
    }
}
