package dev.attest.linear;

import java.util.Arrays;

import dev.attest.reference.Tensor;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * One linear-attention call: a {@link LinearSpec}, its tensors (any strides), the per-token gates and write
 * strengths where the rule reads them, and the state carried in from earlier tokens ({@code null} = empty). The
 * state's shape is checked by whoever computes (backend or oracle), so a misfit state reaches the backend under test.
 *
 * @param gates (B, Hkv, S) decays g_t, required iff {@link UpdateRule#gated()}
 * @param betas (B, Hkv, S) write strengths β_t, required iff {@link UpdateRule#delta()}
 */
public record LinearProblem(LinearSpec spec, Tensor query, Tensor key, Tensor value, Tensor gates, Tensor betas,
                            LinearState initialState) {

    public LinearProblem {
        require(spec != null, "a linear problem needs a spec");
        requireShape("Q", query, spec.batch(), spec.qHeads(), spec.length(), spec.kDim());
        requireShape("K", key, spec.batch(), spec.kvHeads(), spec.length(), spec.kDim());
        requireShape("V", value, spec.batch(), spec.kvHeads(), spec.length(), spec.vDim());
        require(spec.rule().gated() == (gates != null), "rule %s %s gates (B, Hkv, S)", spec.rule(),
                spec.rule().gated() ? "needs" : "takes no");
        require(spec.rule().delta() == (betas != null), "rule %s %s betas (B, Hkv, S)", spec.rule(),
                spec.rule().delta() ? "needs" : "takes no");
        if (gates != null) requireShape("gates", gates, spec.batch(), spec.kvHeads(), spec.length());
        if (betas != null) requireShape("betas", betas, spec.batch(), spec.kvHeads(), spec.length());
    }

    private static void requireShape(String name, Tensor t, int... expected) {
        require(t != null, "%s is missing", name);
        require(Arrays.equals(t.shape(), expected), "%s has shape %s but the spec needs %s", name,
                Arrays.toString(t.shape()), Arrays.toString(expected));
    }

    public int[] outputShape() {
        return new int[]{spec.batch(), spec.qHeads(), spec.length(), spec.vDim()};
    }

    public Tensor allocateOutput() {
        return Tensor.zeros(outputShape());
    }

    public void requireOutput(Tensor out) {
        requireShape("output", out, outputShape());
    }

    /** The same tokens continuing from {@code state}. */
    public LinearProblem withInitialState(LinearState state) {
        return new LinearProblem(spec, query, key, value, gates, betas, state);
    }

    /** Tokens {@code [from, to)} as a problem of their own (views, not copies), continuing from {@code state}. */
    public LinearProblem slice(int from, int to, LinearState state) {
        require(0 <= from && from < to && to <= spec.length(), "slice [%d, %d) outside 0..%d", from, to, spec.length());
        return new LinearProblem(spec.withLength(to - from), sliceAxis(query, 2, from, to), sliceAxis(key, 2, from, to),
                sliceAxis(value, 2, from, to), gates == null ? null : sliceAxis(gates, 2, from, to),
                betas == null ? null : sliceAxis(betas, 2, from, to), state);
    }

    /** A view of {@code t} restricted to {@code [from, to)} on {@code axis}. */
    public static Tensor sliceAxis(Tensor t, int axis, int from, int to) {
        int[] shape = t.shape();
        shape[axis] = to - from;
        return Tensor.view(t.data(), t.offset() + from * t.stride(axis), shape, t.strides());
    }

    @Override
    public String toString() {
        return spec + (initialState == null ? "" : " initialState@" + initialState.position());
    }
}
