package dev.attest.linear;

import java.util.Arrays;

import dev.attest.reference.Tensor;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * The explicit recurrent state of linear attention, which is also its decoding cache:
 * {@code S = Σ_t φ(k_t) v_tᵀ} (under the update rule) of shape (B, Hkv, F, Dv), and for a normalised output
 * {@code z = Σ_t φ(k_t)} of shape (B, Hkv, F) ({@code null} when unnormalised); {@code position} counts the tokens
 * absorbed. A state is a value: backends return a new one and never modify the one they were given.
 */
public record LinearState(Tensor s, Tensor z, int position) {

    public LinearState {
        require(s != null && s.rank() == 4, "state S must be a rank-4 tensor (B, Hkv, F, Dv), was %s", s);
        require(z == null || z.rank() == 3, "state z must be a rank-3 tensor (B, Hkv, F), was %s", z);
        require(position >= 0, "state position must be non-negative, was %d", position);
    }

    /** The empty state of a spec: zeros, position 0. */
    public static LinearState zeros(LinearSpec spec) {
        return new LinearState(Tensor.zeros(spec.batch(), spec.kvHeads(), spec.features(), spec.vDim()),
                spec.normalized() ? Tensor.zeros(spec.batch(), spec.kvHeads(), spec.features()) : null, 0);
    }

    /** Throws an {@link dev.attest.reference.InvalidProblemException} naming the axis unless this state fits. */
    public void requireFits(LinearSpec spec) {
        int[] expected = {spec.batch(), spec.kvHeads(), spec.features(), spec.vDim()};
        String[] axes = {"B (batch)", "Hkv (key/value heads)", "F (features of " + spec.featureMap().describe() + ")",
                "Dv (value head dimension)"};
        int[] shape = s.shape();
        for (int axis = 0; axis < 4; axis++) {
            require(shape[axis] == expected[axis], "state S has the wrong shape: axis %d, %s, is %d but the spec "
                    + "needs %d (state S %s, expected %s)", axis, axes[axis], shape[axis], expected[axis],
                    Arrays.toString(shape), Arrays.toString(expected));
        }
        if (spec.normalized()) {
            require(z != null, "state z is missing: a normalised spec needs z = Σ φ(k) of shape %s",
                    Arrays.toString(new int[]{spec.batch(), spec.kvHeads(), spec.features()}));
            int[] zs = z.shape();
            for (int axis = 0; axis < 3; axis++) {
                require(zs[axis] == expected[axis], "state z has the wrong shape: axis %d, %s, is %d but the spec "
                        + "needs %d", axis, axes[axis], zs[axis], expected[axis]);
            }
        }
    }

    /** A dense copy (so a caller can keep a state while a backend returns new ones). */
    public LinearState copy() {
        return new LinearState(s.copy(), z == null ? null : z.copy(), position);
    }
}
