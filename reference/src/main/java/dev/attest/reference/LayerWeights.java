package dev.attest.reference;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * Parameters of a {@link LayerSpec}: weights are (in, out) matrices, so {@code Y = X*W + b}; biases are vectors.
 * Biases are {@code null} exactly when the spec has none; adapters are {@code null} exactly when LoRA rank is 0.
 */
public record LayerWeights(Tensor wq, Tensor bq, Tensor wk, Tensor bk, Tensor wv, Tensor bv, Tensor wo, Tensor bo,
                           Lora loraQ, Lora loraK, Lora loraV) {

    /**
     * A low-rank adapter: the effective weight is {@code W + (alpha / r) * A * B} with A (in, r), B (r, out).
     * Applied unmerged it is {@code X*W + (alpha/r) * (X*A)*B}; the properties check both forms agree.
     */
    public record Lora(Tensor a, Tensor b, double alpha) {
        public Lora {
            require(a != null && b != null, "LoRA adapter needs both A and B");
            require(a.rank() == 2 && b.rank() == 2, "LoRA A and B must be matrices, got shapes %s and %s",
                    Arrays.toString(a.shape()), Arrays.toString(b.shape()));
            InvalidProblemException.requireSame("LoRA rank r", "A (in, r)", a.dim(1), "B (r, out)", b.dim(0));
            require(Double.isFinite(alpha), "LoRA alpha must be finite, was %s", alpha);
        }

        public int rank() {
            return a.dim(1);
        }

        public double scaling() {
            return alpha / rank();
        }
    }

    /** Checks every weight against the spec, naming the matrix, the axis and both sizes. */
    public void requireMatches(LayerSpec spec) {
        int in = spec.keyValueSourceDim();
        matrix("Wq", wq, spec.modelDim(), spec.qWidth());
        matrix("Wk", wk, in, spec.kWidth());
        matrix("Wv", wv, in, spec.vWidth());
        matrix("Wo", wo, spec.concatWidth(), spec.outputDim());
        vector("bq", bq, spec.biases(), spec.qWidth());
        vector("bk", bk, spec.biases(), spec.kWidth());
        vector("bv", bv, spec.biases(), spec.vWidth());
        vector("bo", bo, spec.biases(), spec.outputDim());
        adapter("Q", loraQ, spec.loraRank(), spec.modelDim(), spec.qWidth());
        adapter("K", loraK, spec.loraRank(), in, spec.kWidth());
        adapter("V", loraV, spec.loraRank(), in, spec.vWidth());
    }

    private static void matrix(String name, Tensor w, int rows, int cols) {
        require(w != null, "weight %s must not be null", name);
        require(w.rank() == 2, "weight %s must be a matrix (in, out), got shape %s", name, Arrays.toString(w.shape()));
        require(w.dim(0) == rows, "weight %s has %d input rows but the spec needs %d", name, w.dim(0), rows);
        require(w.dim(1) == cols, "weight %s has %d output columns but the spec needs %d", name, w.dim(1), cols);
        require(!w.hasNonFinite(), "weight %s contains NaN or infinity", name);
    }

    private static void vector(String name, Tensor b, boolean present, int size) {
        if (!present) {
            require(b == null, "bias %s given but the spec has no biases", name);
            return;
        }
        require(b != null, "bias %s missing: the spec has biases", name);
        require(b.rank() == 1 && b.dim(0) == size, "bias %s has shape %s but the spec needs [%d]", name,
                Arrays.toString(b.shape()), size);
        require(!b.hasNonFinite(), "bias %s contains NaN or infinity", name);
    }

    private static void adapter(String name, Lora lora, int rank, int in, int out) {
        if (rank == 0) {
            require(lora == null, "LoRA adapter on %s given but the spec's LoRA rank is 0", name);
            return;
        }
        require(lora != null, "LoRA adapter on %s missing: the spec's LoRA rank is %d", name, rank);
        require(lora.rank() == rank, "LoRA adapter on %s has rank %d but the spec says %d", name, lora.rank(), rank);
        matrix("A" + name.toLowerCase(java.util.Locale.ROOT), lora.a(), in, rank);
        matrix("B" + name.toLowerCase(java.util.Locale.ROOT), lora.b(), rank, out);
    }
}
