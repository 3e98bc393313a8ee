package dev.attest.oracle;

import java.util.ArrayList;
import java.util.List;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ScoreStage;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.MaskView;
import dev.attest.reference.Rotary;
import dev.attest.reference.Tensor;

/**
 * The one algorithm behind every {@link Oracle} mode, written once over an {@link Arithmetic}. It reads top-down in
 * DESIGN.md "Semantics" order (as ONNX's {@code op_attention.py} does):
 *
 * <pre>
 *   Q (B,Hq,Sq,Dqk)      K (B,Hkv,Skv,Dqk)              V (B,Hkv,Skv,Dv)
 *        |                    | kv head = h / (Hq/Hkv)       |
 *        +------ q . k -------+                              |
 *               | * scale            (1) scale = 1/sqrt(Dqk) unless given
 *               | c tanh(s/c)        (2) softcap, BEFORE the mask: masked keys keep exactly zero weight
 *               | + bias, skip hidden (3) MaskView: causal+alignment, window, key lengths, bool mask, -inf bias
 *               | softmax over visible (4) max subtracted; no visible key -> all-zero row
 *               +-------- p . V ---------------------------------+  (5)
 *                           |
 *                      out (B,Hq,Sq,Dv)
 * </pre>
 *
 * Non-finite values: they are checked in plain double before entering the arithmetic (a {@code null} in a
 * {@link Grid}). Hidden keys are skipped, never read into arithmetic, so NaN there cannot leak. A non-finite value
 * in an attended query or key, or a non-finite visible logit, makes the whole output row NaN; a non-finite visible
 * value {@code v[j][d]} makes output column {@code d} of that row NaN.
 */
final class Reference<T> {
    private final Arithmetic<T> ar;
    private final KernelRoundings roundings;

    Reference(Arithmetic<T> ar) {
        this(ar, KernelRoundings.NONE);
    }

    Reference(Arithmetic<T> ar, KernelRoundings roundings) {
        this.ar = ar;
        this.roundings = roundings;
    }

    private T round(T x, dev.attest.reference.ElementType type) {
        return type == null || x == null ? x : ar.of(type.round(ar.toDouble(x)));
    }

    // ---- core attention ----------------------------------------------------------------------------------------

    Grid<T> attention(AttentionProblem problem) {
        return attention(problem.spec(), problem.maskView(), Grid.of(problem.query(), ar), Grid.of(problem.key(), ar),
                Grid.of(problem.value(), ar));
    }

    Grid<T> attention(AttentionSpec spec, MaskView mask, Grid<T> q, Grid<T> k, Grid<T> v) {
        Grid<T> out = new Grid<>(spec.batch(), spec.qHeads(), spec.qLength(), spec.vHeadDim());
        T scale = scale(spec);                                                             // (1)
        T cap = spec.softcap() != 0 ? ar.of(spec.softcap()) : null;
        for (int b = 0; b < spec.batch(); b++) {
            for (int h = 0; h < spec.qHeads(); h++) {
                int kvh = spec.kvHeadOf(h);                                                  // GQA: repeat-interleave
                for (int i = 0; i < spec.qLength(); i++) {
                    List<T> row = out.row(b, h, i);
                    attendRow(spec, mask, scale, cap, b, h, i, q.row(b, h, i), k, v, kvh, row);
                }
            }
        }
        return out;
    }

    private void attendRow(AttentionSpec spec, MaskView mask, T scale, T cap, int b, int h, int i, List<T> qi,
                           Grid<T> k, Grid<T> v, int kvh, List<T> out) {
        List<Integer> keys = new ArrayList<>();
        for (int j = 0; j < spec.kvLength(); j++) if (mask.visible(b, h, i, j)) keys.add(j);
        if (keys.isEmpty()) {                                     // fully masked row: zeros, never NaN
            for (int d = 0; d < out.size(); d++) out.set(d, ar.of(0));
            return;
        }
        // logits over visible keys only
        List<T> logits = new ArrayList<>(keys.size());
        boolean finite = true;
        for (int j : keys) {
            T s = finite ? logit(qi, k.row(b, kvh, j), scale, cap) : null;               // (1) (q.k) * scale, (2) softcap
            if (s == null) { finite = false; break; }
            if (mask.hasBias()) s = ar.add(s, ar.of(mask.bias(b, h, i, j)));             // (3) additive mask
            if (!ar.isFinite(s)) { finite = false; break; }
            logits.add(s);
        }
        if (!finite) {                                            // attended NaN/Inf: the whole row is NaN
            for (int d = 0; d < out.size(); d++) out.set(d, null);
            return;
        }
        if (roundings.probabilities() != null) {
            attendRounded(logits, keys, v, b, kvh, out);
            return;
        }
        List<T> p = softmax(logits);                                                     // (4)
        for (int d = 0; d < out.size(); d++) {                                           // (5) p . V[:, d]
            List<T> column = new ArrayList<>(keys.size());
            for (int j : keys) column.add(v.get(b, kvh, j, d));
            out.set(d, Grid.finite(column) ? round(ar.dot(p, column), roundings.output()) : null);
        }
    }

    /**
     * (4)-(5) as a FlashAttention-style kernel computes them: weights {@code e = exp(s - max)} rounded to V's type
     * for {@code e . V}, the row sum of the unrounded weights, one division at the end, the output rounded once.
     */
    private void attendRounded(List<T> logits, List<Integer> keys, Grid<T> v, int b, int kvh, List<T> out) {
        T max = logits.get(0);
        for (T s : logits) max = ar.max(max, s);
        List<T> e = new ArrayList<>(logits.size()), rounded = new ArrayList<>(logits.size());
        for (T s : logits) {
            T x = ar.exp(ar.subtract(s, max));
            e.add(x);
            rounded.add(round(x, roundings.probabilities()));
        }
        T z = ar.sum(e);
        for (int d = 0; d < out.size(); d++) {
            List<T> column = new ArrayList<>(keys.size());
            for (int j : keys) column.add(v.get(b, kvh, j, d));
            out.set(d, Grid.finite(column) ? round(ar.divide(ar.dot(rounded, column), z), roundings.output()) : null);
        }
    }

    /** {@code exp(s_j - max s) / sum}: max subtraction keeps every exponent at most 0. */
    private List<T> softmax(List<T> logits) {
        T max = logits.get(0);
        for (T s : logits) max = ar.max(max, s);
        List<T> e = new ArrayList<>(logits.size());
        for (T s : logits) e.add(ar.exp(ar.subtract(s, max)));
        T z = ar.sum(e);
        List<T> p = new ArrayList<>(e.size());
        for (T x : e) p.add(ar.divide(x, z));
        return p;
    }

    // ---- auxiliary outputs (AuxiliaryOutputs) ----------------------------------------------------------------------

    /**
     * Per row, {@code ln sum_j exp(s_j)} over the keys it sees, s_j as the softmax reads them (scaled, softcapped,
     * biased): shape (B, Hq, Sq); -inf for a row that sees no key, NaN where an attended input is not finite.
     */
    OracleResult logSumExp(AttentionProblem problem) {
        AttentionSpec spec = problem.spec();
        double[] out = new double[spec.batch() * spec.qHeads() * spec.qLength()];
        forEachRow(problem, (at, keys, logits) -> {
            if (keys.isEmpty()) out[at] = Double.NEGATIVE_INFINITY;
            else if (logits == null) out[at] = Double.NaN;
            else {
                T max = logits.get(0);
                for (T s : logits) max = ar.max(max, s);
                List<T> e = new ArrayList<>(logits.size());
                for (T s : logits) e.add(ar.exp(ar.subtract(s, max)));
                out[at] = ar.toDouble(ar.add(max, ar.log(ar.sum(e))));
            }
        });
        return new OracleResult(new int[]{spec.batch(), spec.qHeads(), spec.qLength()}, out);
    }

    /** The scores at {@code stage} ({@link ScoreStage}), shape (B, Hq, Sq, Skv). */
    OracleResult scores(AttentionProblem problem, ScoreStage stage) {
        AttentionSpec spec = problem.spec();
        int skv = spec.kvLength();
        double[] out = new double[spec.batch() * spec.qHeads() * spec.qLength() * skv];
        MaskView mask = problem.maskView();
        Grid<T> q = Grid.of(problem.query(), ar), k = Grid.of(problem.key(), ar);
        T scale = scale(spec), cap = spec.softcap() != 0 ? ar.of(spec.softcap()) : null;
        if (stage == ScoreStage.PROBABILITIES) {
            forEachRow(problem, (at, keys, logits) -> {
                if (keys.isEmpty()) return;                               // all zero
                List<T> p = logits == null ? null : softmax(logits);
                for (int n = 0; n < keys.size(); n++) {
                    out[at * skv + keys.get(n)] = p == null ? Double.NaN : ar.toDouble(p.get(n));
                }
            });
            return new OracleResult(new int[]{spec.batch(), spec.qHeads(), spec.qLength(), skv}, out);
        }
        int at = 0;
        for (int b = 0; b < spec.batch(); b++) {
            for (int h = 0; h < spec.qHeads(); h++) {
                for (int i = 0; i < spec.qLength(); i++, at++) {
                    for (int j = 0; j < skv; j++) {
                        boolean visible = mask.visible(b, h, i, j);
                        if (stage == ScoreStage.BIASED && !visible) {
                            out[at * skv + j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        T s = logit(q.row(b, h, i), k.row(b, spec.kvHeadOf(h), j), scale,
                                stage == ScoreStage.LOGITS ? null : cap);
                        if (s != null && stage == ScoreStage.BIASED && mask.hasBias()) {
                            s = ar.add(s, ar.of(mask.bias(b, h, i, j)));
                        }
                        out[at * skv + j] = s == null || !ar.isFinite(s) ? Double.NaN : ar.toDouble(s);
                    }
                }
            }
        }
        return new OracleResult(new int[]{spec.batch(), spec.qHeads(), spec.qLength(), skv}, out);
    }

    /** A row's visible keys and their logits as the softmax reads them ({@code null} when one is not finite). */
    private interface RowLogits<T> {
        void accept(int flatRow, List<Integer> keys, List<T> logits);
    }

    private void forEachRow(AttentionProblem problem, RowLogits<T> each) {
        AttentionSpec spec = problem.spec();
        MaskView mask = problem.maskView();
        Grid<T> q = Grid.of(problem.query(), ar), k = Grid.of(problem.key(), ar);
        T scale = scale(spec), cap = spec.softcap() != 0 ? ar.of(spec.softcap()) : null;
        int at = 0;
        for (int b = 0; b < spec.batch(); b++) {
            for (int h = 0; h < spec.qHeads(); h++) {
                for (int i = 0; i < spec.qLength(); i++, at++) {
                    List<Integer> keys = new ArrayList<>();
                    for (int j = 0; j < spec.kvLength(); j++) if (mask.visible(b, h, i, j)) keys.add(j);
                    List<T> logits = new ArrayList<>(keys.size());
                    for (int j : keys) {
                        T s = logit(q.row(b, h, i), k.row(b, spec.kvHeadOf(h), j), scale, cap);
                        if (s != null && mask.hasBias()) s = ar.add(s, ar.of(mask.bias(b, h, i, j)));
                        if (s == null || !ar.isFinite(s)) {
                            logits = null;
                            break;
                        }
                        logits.add(s);
                    }
                    each.accept(at, keys, logits);
                }
            }
        }
    }

    /** {@code (q . k) * scale}, softcapped when {@code cap} is given; {@code null} when an input is not finite. */
    private T logit(List<T> qi, List<T> kj, T scale, T cap) {
        if (!Grid.finite(qi) || !Grid.finite(kj)) return null;
        T s = ar.multiply(ar.dot(qi, kj), scale);
        return cap == null ? s : ar.multiply(cap, ar.tanh(ar.divide(s, cap)));
    }

    private T scale(AttentionSpec spec) {
        return spec.scale().isPresent() ? ar.of(spec.scale().getAsDouble())
                : ar.divide(ar.of(1), ar.sqrt(ar.of(spec.qkHeadDim())));
    }

    // ---- the multi-head layer ----------------------------------------------------------------------------------

    /**
     * <pre>
     *   X -> Q = X Wq + bq + (alpha/r)(X Aq) Bq -> heads -> rotary at queryPosition + i --+
     *   M -> K = M Wk + bk + (alpha/r)(M Ak) Bk -> heads -> rotary at keyPosition + j ----+-> core -> concat -> O Wo + bo
     *   M -> V = M Wv + bv + (alpha/r)(M Av) Bv -> heads ---------------------------------+
     * </pre>
     * Intermediates stay in the arithmetic (a rounded arithmetic rounds each operation, nothing more). With typed
     * {@link KernelRoundings} (a bf16 or fp16 layer's baseline) the activations are rounded to the output's type where
     * a kernel stores them: the projected Q, K, V, the attention output before Wo (the core's output rounding) and
     * the layer's output; weights are rounded to it before P.V as in the core.
     */
    Grid<T> layer(LayerProblem problem) {
        LayerSpec spec = problem.spec();
        AttentionSpec core = spec.core();
        LayerWeights w = problem.weights();
        Grid<T> x = Grid.of(problem.input(), ar);
        Grid<T> m = Grid.of(problem.keyValueSource(), ar);
        Grid<T> qp = stored(project(x, w.wq(), w.bq(), w.loraQ()));
        Grid<T> kp = stored(project(m, w.wk(), w.bk(), w.loraK()));
        Grid<T> vp = stored(project(m, w.wv(), w.bv(), w.loraV()));
        Grid<T> q = heads(qp, core.qHeads(), core.qkHeadDim());
        Grid<T> k = heads(kp, core.kvHeads(), core.qkHeadDim());
        Grid<T> v = heads(vp, core.kvHeads(), core.vHeadDim());
        if (spec.rotary() != null) {
            rotate(q, spec.rotary(), problem.queryPosition());
            rotate(k, spec.rotary(), problem.keyPosition());
        }
        MaskView mask = new AttentionProblem(core, zeros(core.batch(), core.qHeads(), core.qLength(), core.qkHeadDim()),
                zeros(core.batch(), core.kvHeads(), core.kvLength(), core.qkHeadDim()),
                zeros(core.batch(), core.kvHeads(), core.kvLength(), core.vHeadDim()),
                problem.mask(), problem.keyLengths()).maskView();
        Grid<T> o = attention(core, mask, q, k, v);
        return stored(project(concat(o), w.wo(), w.bo(), null));
    }

    /** An activation as a typed kernel stores it: rounded to the output's type (unchanged without one). */
    private Grid<T> stored(Grid<T> activation) {
        if (roundings.output() != null) activation.replaceAll(x -> round(x, roundings.output()));
        return activation;
    }

    /** A zero tensor of the given shape without storage: every index reads one element (stride 0). */
    private static Tensor zeros(int... shape) {
        return Tensor.view(new float[1], 0, shape, new int[shape.length]);
    }

    /**
     * {@code Y = X W + b + (alpha/r) (X A) B} row by row over (B, S, in). A row with a non-finite input is
     * non-finite in every output column (each column's sum reads every input).
     */
    private Grid<T> project(Grid<T> x, Tensor weight, Tensor bias, LayerWeights.Lora lora) {
        int batch = x.shape[0], length = x.shape[1], out = weight.dim(1);
        List<List<T>> wCols = columns(weight);
        List<T> bs = bias == null ? null : Grid.of(bias, ar).row();
        List<List<T>> aCols = lora == null ? null : columns(lora.a());
        List<List<T>> bCols = lora == null ? null : columns(lora.b());
        T scaling = lora == null ? null : ar.divide(ar.of(lora.alpha()), ar.of(lora.rank()));
        Grid<T> y = new Grid<>(batch, length, out);
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < length; s++) {
                List<T> row = x.row(b, s);
                if (!Grid.finite(row)) continue;                  // stays null: NaN
                List<T> xa = null;
                if (lora != null) {
                    xa = new ArrayList<>(aCols.size());
                    for (List<T> a : aCols) xa.add(ar.dot(row, a));
                }
                for (int c = 0; c < out; c++) {
                    T value = ar.dot(row, wCols.get(c));
                    if (bs != null) value = ar.add(value, bs.get(c));
                    if (lora != null) value = ar.add(value, ar.multiply(scaling, ar.dot(xa, bCols.get(c))));
                    y.set(value, b, s, c);
                }
            }
        }
        return y;
    }

    /** Columns of an (in, out) matrix as lists in the arithmetic. */
    private List<List<T>> columns(Tensor matrix) {
        Grid<T> g = Grid.of(matrix.permute(1, 0), ar);
        List<List<T>> cols = new ArrayList<>(matrix.dim(1));
        for (int c = 0; c < matrix.dim(1); c++) cols.add(g.row(c));
        return cols;
    }

    /** (B, S, H*D) -> (B, H, S, D): head h owns columns [h*D, (h+1)*D). */
    private Grid<T> heads(Grid<T> x, int heads, int dim) {
        int batch = x.shape[0], length = x.shape[1];
        Grid<T> g = new Grid<>(batch, heads, length, dim);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int s = 0; s < length; s++)
                    for (int d = 0; d < dim; d++) g.set(x.get(b, s, h * dim + d), b, h, s, d);
        return g;
    }

    /** (B, Hq, Sq, Dv) -> (B, Sq, Hq*Dv), heads in order. */
    private Grid<T> concat(Grid<T> o) {
        int batch = o.shape[0], heads = o.shape[1], length = o.shape[2], dim = o.shape[3];
        Grid<T> g = new Grid<>(batch, length, heads * dim);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int s = 0; s < length; s++)
                    for (int d = 0; d < dim; d++) g.set(o.get(b, h, s, d), b, s, h * dim + d);
        return g;
    }

    /**
     * Rotary embedding in place on (B, H, S, D) at positions {@code first + s}: pair t rotates by
     * {@code pos * base^(-2t/dims)}, {@code x1' = x1 cos - x2 sin}, {@code x2' = x2 cos + x1 sin}.
     */
    private void rotate(Grid<T> x, Rotary rotary, int first) {
        int batch = x.shape[0], heads = x.shape[1], length = x.shape[2];
        int pairs = rotary.dims() / 2;
        List<T> inverseFrequency = new ArrayList<>(pairs);
        for (int t = 0; t < pairs; t++) {
            inverseFrequency.add(ar.pow(ar.of(rotary.base()), ar.divide(ar.of(-2.0 * t), ar.of(rotary.dims()))));
        }
        for (int s = 0; s < length; s++) {
            T pos = ar.of(first + s);
            for (int t = 0; t < pairs; t++) {
                T angle = ar.multiply(pos, inverseFrequency.get(t));
                T cos = ar.cos(angle), sin = ar.sin(angle);
                int i1 = rotary.first(t), i2 = rotary.second(t);
                for (int b = 0; b < batch; b++) {
                    for (int h = 0; h < heads; h++) {
                        T x1 = x.get(b, h, s, i1), x2 = x.get(b, h, s, i2);
                        if (x1 == null || x2 == null) {           // a non-finite feature stays non-finite
                            x.set(null, b, h, s, i1);
                            x.set(null, b, h, s, i2);
                            continue;
                        }
                        x.set(ar.subtract(ar.multiply(x1, cos), ar.multiply(x2, sin)), b, h, s, i1);
                        x.set(ar.add(ar.multiply(x2, cos), ar.multiply(x1, sin)), b, h, s, i2);
                    }
                }
            }
        }
    }
}
