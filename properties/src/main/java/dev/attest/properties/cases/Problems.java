package dev.attest.properties.cases;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.MaskView;
import dev.attest.reference.Tensor;

/**
 * Transformations of problems that metamorphic properties need: copies in the same layout, perturbations,
 * explicit masks equivalent to structural ones, repeated heads. Each returns a new problem and never touches the
 * original's arrays.
 */
public final class Problems {
    private Problems() {
    }

    /** A copy of {@code t} in the same layout (BHSD when it has neither dense layout), type and descale. */
    public static Tensor copy(Tensor t) {
        return relayout(t, Layout.of(t) == null ? Layout.BHSD : Layout.of(t));
    }

    /**
     * {@code t} times {@code s}, a power of two, exactly: an fp8 tensor through its descale (its stored values
     * unchanged, so nothing saturates), any other type value by value.
     */
    public static Tensor scaled(Tensor t, double s) {
        if (t.type().isFp8()) {
            dev.attest.reference.Descale d = t.descale();
            float[] factors = d.factors();
            for (int i = 0; i < factors.length; i++) factors[i] = (float) (factors[i] * s);
            return copy(t).withDescale(new dev.attest.reference.Descale(factors, d.batches(), d.heads()));
        }
        Tensor copy = copy(t);
        for (int b = 0; b < t.dim(0); b++)
            for (int h = 0; h < t.dim(1); h++)
                for (int i = 0; i < t.dim(2); i++)
                    for (int d = 0; d < t.dim(3); d++) copy.set((float) (t.value(b, h, i, d) * s), b, h, i, d);
        return copy;
    }

    /** The same tensors re-laid out in {@code layout} (values identical). */
    public static AttentionProblem inLayout(AttentionProblem p, Layout layout) {
        return new AttentionProblem(p.spec(), relayout(p.query(), layout), relayout(p.key(), layout),
                relayout(p.value(), layout), p.mask(), p.keyLengths());
    }

    private static Tensor relayout(Tensor t, Layout layout) {
        Tensor copy = layout.allocate(t.type(), t.descale(), t.dim(0), t.dim(1), t.dim(2), t.dim(3));
        copy.copyFrom(t);
        return copy;
    }

    public static AttentionProblem withTensors(AttentionProblem p, Tensor q, Tensor k, Tensor v) {
        return new AttentionProblem(p.spec(), q, k, v, p.mask(), p.keyLengths());
    }

    /** The visibility of every (b, h, i, j) as an explicit boolean mask; the spec loses causal and window. */
    public static AttentionProblem withExplicitMask(AttentionProblem p) {
        AttentionSpec s = p.spec();
        MaskView view = p.maskView();
        boolean[] keep = new boolean[s.batch() * s.qHeads() * s.qLength() * s.kvLength()];
        int n = 0;
        for (int b = 0; b < s.batch(); b++)
            for (int h = 0; h < s.qHeads(); h++)
                for (int i = 0; i < s.qLength(); i++)
                    for (int j = 0; j < s.kvLength(); j++) keep[n++] = view.visible(b, h, i, j);
        AttentionSpec plain = s.toBuilder().masking(false, null, null).build();
        if (view.hasBias()) {
            float[] bias = new float[keep.length];
            n = 0;
            for (int b = 0; b < s.batch(); b++)
                for (int h = 0; h < s.qHeads(); h++)
                    for (int i = 0; i < s.qLength(); i++)
                        for (int j = 0; j < s.kvLength(); j++, n++)
                            bias[n] = keep[n] ? view.bias(b, h, i, j) : Float.NEGATIVE_INFINITY;
            return p.with(plain, new Mask.Bias(bias, new int[]{s.batch(), s.qHeads(), s.qLength(), s.kvLength()}), null);
        }
        return p.with(plain, new Mask.Keep(keep, new int[]{s.batch(), s.qHeads(), s.qLength(), s.kvLength()}), null);
    }

    /** A boolean mask rewritten as the equivalent additive mask: 0 where attended, -inf where not. */
    public static Mask.Bias asBias(Mask.Keep keep) {
        boolean[] values = keep.keep();
        float[] bias = new float[values.length];
        for (int i = 0; i < bias.length; i++) bias[i] = values[i] ? 0f : Float.NEGATIVE_INFINITY;
        return new Mask.Bias(bias, keep.shape());
    }

    /** MHA with each key/value head repeated for its query group (torch {@code repeat_interleave}). */
    public static AttentionProblem withRepeatedKeyValueHeads(AttentionProblem p) {
        AttentionSpec s = p.spec();
        Tensor k = repeatedHeads(p.key(), s), v = repeatedHeads(p.value(), s);
        AttentionSpec mha = s.toBuilder().heads(s.qHeads(), s.qHeads()).build();
        return new AttentionProblem(mha, copy(p.query()), k, v, p.mask(), p.keyLengths());
    }

    /** A key or value tensor with each head repeated for its query group, bits and descale included. */
    private static Tensor repeatedHeads(Tensor t, AttentionSpec s) {
        dev.attest.reference.Descale descale = t.descale();
        if (descale != null && descale.heads() > 1) {
            float[] factors = new float[descale.batches() * s.qHeads()];
            for (int b = 0; b < descale.batches(); b++)
                for (int h = 0; h < s.qHeads(); h++) factors[b * s.qHeads() + h] = descale.factor(b, s.kvHeadOf(h));
            descale = new dev.attest.reference.Descale(factors, descale.batches(), s.qHeads());
        }
        Tensor out = Layout.BHSD.allocate(t.type(), descale, s.batch(), s.qHeads(), t.dim(2), t.dim(3));
        for (int b = 0; b < s.batch(); b++)
            for (int h = 0; h < s.qHeads(); h++)
                for (int j = 0; j < t.dim(2); j++)
                    for (int d = 0; d < t.dim(3); d++) {
                        out.set((float) t.value(b, s.kvHeadOf(h), j, d), b, h, j, d);   // exact: same stored value
                    }
        return out;
    }

    /** A copy of {@code t} with {@code delta} added to every element of batch {@code b}, head {@code h}. */
    public static Tensor perturbHead(Tensor t, int h, float delta) {
        Tensor copy = copy(t);
        for (int b = 0; b < t.dim(0); b++)
            for (int s = 0; s < t.dim(2); s++)
                for (int d = 0; d < t.dim(3); d++) copy.set((float) (t.value(b, h, s, d) + delta), b, h, s, d);
        return copy;
    }

    /** A copy of {@code t} with token {@code s} of batch {@code b} (every head) set to {@code value} or shifted. */
    public static Tensor perturbToken(Tensor t, int b, int s, float value, boolean replace) {
        Tensor copy = copy(t);
        for (int h = 0; h < t.dim(1); h++)
            for (int d = 0; d < t.dim(3); d++) {
                copy.set(replace ? value : (float) (t.value(b, h, s, d) + value), b, h, s, d);
            }
        return copy;
    }
}
