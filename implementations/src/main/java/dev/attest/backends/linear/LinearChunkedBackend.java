package dev.attest.backends.linear;

import java.util.EnumSet;
import java.util.Optional;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.LinearState;
import dev.attest.linear.UpdateRule;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.CheckedLinearBackend;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearCapabilities;
import dev.attest.spi.LinearFeature;

/**
 * {@code linear-chunked}: the chunkwise form of the LINEAR and GATED rules (as in GLA/flash-linear-attention):
 * within a chunk of C tokens the quadratic masked form with decay weights {@code Π_{r=j+1..i} g_r}; across chunks the
 * state {@code S ← (Π g) S + Σ_j (Π_{r>j} g_r) φ(k_j) v_jᵀ}. The chunk size is a tuning knob
 * ({@link #withChunkSize}) that must not change the result beyond rounding. Default: C = 4, feature map ELU+1.
 */
public final class LinearChunkedBackend extends CheckedLinearBackend {
    private final int chunk;

    public LinearChunkedBackend() {
        this(4);
    }

    public LinearChunkedBackend(int chunk) {
        super("linear-chunked", "chunkwise form (intra-chunk masked, inter-chunk state), linear and gated rules, "
                        + "chunk " + chunk + ", fp32",
                new LinearCapabilities(EnumSet.of(LinearFeature.CAUSAL, LinearFeature.NON_CAUSAL,
                        LinearFeature.NORMALIZED, LinearFeature.UNNORMALIZED, LinearFeature.INITIAL_STATE,
                        LinearFeature.GROUPED_QUERY_HEADS), EnumSet.of(UpdateRule.LINEAR, UpdateRule.GATED),
                        EnumSet.allOf(FeatureMap.Kind.class), Precision.FP32));
        InvalidProblemException.require(chunk > 0, "chunk size must be positive, was %d", chunk);
        this.chunk = chunk;
    }

    public int chunkSize() {
        return chunk;
    }

    @Override
    public Optional<LinearAttentionBackend> withChunkSize(int chunkSize) {
        return Optional.of(new LinearChunkedBackend(chunkSize));
    }

    @Override
    public FeatureMap defaultFeatureMap(int kDim) {
        return new FeatureMap.EluPlusOne(kDim);
    }

    @Override
    protected LinearState compute(LinearProblem p, Tensor out) {
        LinearSpec spec = p.spec();
        LinearState next = LinearKernels.newState(p);
        int f = spec.features(), dv = spec.vDim(), n = spec.length();
        float scale = (float) spec.effectiveScale();
        for (int b = 0; b < spec.batch(); b++) {
            for (int g = 0; g < spec.kvHeads(); g++) {
                float[][] phiK = LinearKernels.featureRows(spec.featureMap(), p.key(), b, g, n, false);
                float[][] v = new float[n][];
                float[] gate = new float[n];
                for (int t = 0; t < n; t++) {
                    v[t] = LinearKernels.row(p.value(), b, g, t);
                    gate[t] = LinearKernels.scalar(p.gates(), b, g, t);
                }
                float[][][] phiQ = new float[spec.groupSize()][][];
                for (int r = 0; r < spec.groupSize(); r++) {
                    phiQ[r] = LinearKernels.featureRows(spec.featureMap(), p.query(), b, g * spec.groupSize() + r, n,
                            spec.normalized());
                }
                float[][] s = LinearKernels.initialS(p, b, g);
                float[] z = LinearKernels.initialZ(p, b, g);
                for (int c0 = 0; c0 < n; c0 += chunk) {
                    int c1 = Math.min(n, c0 + chunk);
                    if (spec.causal()) {
                        for (int r = 0; r < spec.groupSize(); r++) {
                            for (int i = c0; i < c1; i++) {
                                intraChunkRow(spec, phiQ[r][i], phiK, v, gate, s, z, c0, i, scale, out, b,
                                        g * spec.groupSize() + r);
                            }
                        }
                    }
                    // carry the state over the chunk: S ← (Π g) S + Σ_j (Π_{r>j} g_r) φk_j v_jᵀ
                    float decay = 1;
                    float[] weight = new float[c1 - c0];
                    for (int j = c1 - 1; j >= c0; j--) {
                        weight[j - c0] = decay;
                        decay *= gate[j];
                    }
                    for (int i = 0; i < f; i++) {
                        for (int e = 0; e < dv; e++) {
                            float sum = 0;
                            for (int j = c0; j < c1; j++) sum += weight[j - c0] * phiK[j][i] * v[j][e];
                            s[i][e] = decay * s[i][e] + sum;
                        }
                        float sum = 0;
                        for (int j = c0; j < c1; j++) sum += phiK[j][i];
                        z[i] += sum;
                    }
                }
                if (!spec.causal()) {
                    for (int r = 0; r < spec.groupSize(); r++)
                        for (int t = 0; t < n; t++)
                            LinearKernels.read(spec, s, z, phiQ[r][t], out, b, g * spec.groupSize() + r, t);
                }
                LinearKernels.storeState(next, b, g, s, z);
            }
        }
        return next;
    }

    /** Output row i of the chunk starting at c0: the carried state decayed to i, plus the masked in-chunk terms. */
    private static void intraChunkRow(LinearSpec spec, float[] phiQ, float[][] phiK, float[][] v, float[] gate,
                                      float[][] s, float[] z, int c0, int i, float scale, Tensor out, int b, int h) {
        int f = s.length, dv = spec.vDim();
        float[] w = new float[i - c0 + 1];                  // w_j = Π_{r=j+1..i} g_r · (φq · φk_j)
        float decay = 1, rowSum = 0;
        for (int j = i; j >= c0; j--) {
            float dot = 0;
            for (int c = 0; c < f; c++) dot += phiQ[c] * phiK[j][c];
            w[j - c0] = decay * dot;
            rowSum += dot;
            decay *= gate[j];
        }
        float denominator = rowSum;
        if (spec.normalized()) for (int c = 0; c < f; c++) denominator += phiQ[c] * z[c];
        for (int e = 0; e < dv; e++) {
            float carried = 0;
            for (int c = 0; c < f; c++) carried += phiQ[c] * s[c][e];
            float numerator = decay * carried;              // decay is now Π_{r=c0..i} g_r
            for (int j = c0; j <= i; j++) numerator += w[j - c0] * v[j][e];
            out.data()[out.index(b, h, i, e)] = spec.normalized() ? numerator / denominator : scale * numerator;
        }
    }
}
