package dev.attest.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

import static dev.attest.reference.InvalidProblemException.require;
import static dev.attest.reference.InvalidProblemException.requirePositive;

/**
 * Shapes and options of one core attention call (DESIGN.md "Semantics"; ONNX {@code Attention}, opset 23/24).
 *
 * <pre>
 *   Q (B, Hq, Sq, Dqk)   K (B, Hkv, Skv, Dqk)   V (B, Hkv, Skv, Dv)   -> out (B, Hq, Sq, Dv)
 *   query head h reads kv head h / (Hq / Hkv)                          (repeat-interleave GQA)
 *   s = (q . k) * scale -> softcap c*tanh(s/c) -> + mask/bias -> softmax over keys -> * V
 * </pre>
 *
 * @param scale     logit scale; empty means the default {@code 1/sqrt(Dqk)}
 * @param softcap   {@code c} in {@code c*tanh(s/c)}, or 0 for none
 * @param causal    whether key {@code j} is hidden from query {@code i} when {@code j > i + offset}
 * @param alignment where queries sit among keys; required when causal or a window is set
 * @param window    a sliding window, or {@code null}
 */
public record AttentionSpec(int batch, int qHeads, int kvHeads, int qLength, int kvLength, int qkHeadDim,
                            int vHeadDim, OptionalDouble scale, double softcap, boolean causal, Alignment alignment,
                            Window window) {

    public AttentionSpec {
        requirePositive("batch B", batch);
        requirePositive("query heads Hq", qHeads);
        requirePositive("key/value heads Hkv", kvHeads);
        requirePositive("query length Sq", qLength);
        requirePositive("key/value length Skv", kvLength);
        requirePositive("query/key head dim Dqk", qkHeadDim);
        requirePositive("value head dim Dv", vHeadDim);
        require(qHeads % kvHeads == 0, "query heads Hq = %d is not a multiple of key/value heads Hkv = %d",
                qHeads, kvHeads);
        require(scale != null, "scale must not be null (use OptionalDouble.empty() for 1/sqrt(Dqk))");
        scale.ifPresent(s -> require(Double.isFinite(s) && s > 0, "scale must be finite and positive, was %s", s));
        require(Double.isFinite(softcap) && softcap >= 0, "softcap must be finite and >= 0 (0 = none), was %s", softcap);
        require(!(causal || window != null) || alignment != null,
                "a causal mask or sliding window needs an explicit alignment (TOP_LEFT, BOTTOM_RIGHT, offset(n),"
                        + " KEY_LENGTHS or perSequence(...))");
        require(alignment == null || alignment.kind() != Alignment.Kind.PER_SEQUENCE
                        || alignment.offsets().length == batch, "per-sequence offsets have %d entries but batch B = %d",
                alignment == null || alignment.offsets() == null ? 0 : alignment.offsets().length, batch);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().batch(batch).heads(qHeads, kvHeads).lengths(qLength, kvLength)
                .headDims(qkHeadDim, vHeadDim).scaleOption(scale).softcap(softcap).masking(causal, alignment, window);
    }

    /** Query heads sharing one key/value head: 1 for MHA, Hq for MQA. */
    public int groupSize() {
        return qHeads / kvHeads;
    }

    /** The key/value head that query head {@code h} reads (repeat-interleave, torch {@code enable_gqa}). */
    public int kvHeadOf(int queryHead) {
        return queryHead / groupSize();
    }

    /** The scale actually applied to {@code q.k}. */
    public double effectiveScale() {
        return scale.orElse(1.0 / Math.sqrt(qkHeadDim));
    }

    /**
     * Position offset of query rows among keys (0 when no alignment is named), the same for every sequence; a
     * per-sequence alignment has none: ask {@link AttentionProblem#positionOffset(int)}.
     */
    public int positionOffset() {
        return alignment == null ? 0 : alignment.offsetFor(qLength, kvLength);
    }

    /** Position offset of sequence {@code batchRow}'s query rows, whose valid keys number {@code keyLength}. */
    public int positionOffset(int batchRow, int keyLength) {
        return alignment == null ? 0 : alignment.offsetFor(batchRow, qLength, kvLength, keyLength);
    }

    /** A compact summary, e.g. {@code B=1 Hq=2 Hkv=1 Sq=2 Skv=3 Dqk=1 Dv=1 causal=BOTTOM_RIGHT}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add("B=" + batch);
        parts.add("Hq=" + qHeads);
        parts.add("Hkv=" + kvHeads);
        parts.add("Sq=" + qLength);
        parts.add("Skv=" + kvLength);
        parts.add(qkHeadDim == vHeadDim ? "D=" + qkHeadDim : "Dqk=" + qkHeadDim + " Dv=" + vHeadDim);
        scale.ifPresent(s -> parts.add(String.format(Locale.ROOT, "scale=%.6g", s)));
        if (softcap != 0) parts.add(String.format(Locale.ROOT, "softcap=%.6g", softcap));
        if (causal) parts.add("causal=" + alignment);
        if (window != null) parts.add("window=" + window + (causal ? "" : " align=" + alignment));
        return String.join(" ", parts);
    }

    /** Builds a spec; defaults are B = H = 1, no scale override, no softcap, no causal mask, no window. */
    public static final class Builder {
        private int batch = 1, qHeads = 1, kvHeads = 1, qLength = 1, kvLength = 1, qkHeadDim = 1, vHeadDim = 1;
        private OptionalDouble scale = OptionalDouble.empty();
        private double softcap;
        private boolean causal;
        private Alignment alignment;
        private Window window;

        public Builder batch(int batch) { this.batch = batch; return this; }

        public Builder heads(int qHeads, int kvHeads) { this.qHeads = qHeads; this.kvHeads = kvHeads; return this; }

        public Builder lengths(int qLength, int kvLength) { this.qLength = qLength; this.kvLength = kvLength; return this; }

        public Builder headDims(int qkHeadDim, int vHeadDim) { this.qkHeadDim = qkHeadDim; this.vHeadDim = vHeadDim; return this; }

        public Builder headDim(int headDim) { return headDims(headDim, headDim); }

        public Builder scale(double scale) { this.scale = OptionalDouble.of(scale); return this; }

        public Builder scaleOption(OptionalDouble scale) { this.scale = scale; return this; }

        public Builder softcap(double softcap) { this.softcap = softcap; return this; }

        /** Causal masking aligned as named; replaces any previous causal setting. */
        public Builder causal(Alignment alignment) { return masking(true, alignment, window); }

        public Builder noCausal() { causal = false; if (window == null) alignment = null; return this; }

        /** A sliding window aligned as named. */
        public Builder window(Window window, Alignment alignment) { return masking(causal, alignment, window); }

        public Builder masking(boolean causal, Alignment alignment, Window window) {
            this.causal = causal;
            this.alignment = alignment;
            this.window = window;
            return this;
        }

        public AttentionSpec build() {
            return new AttentionSpec(batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap,
                    causal, alignment, window);
        }
    }
}
