package dev.attest.linear;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import dev.attest.oracle.Arithmetic;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * A feature map φ of linear attention: {@code φ(q)ᵀφ(k)} replaces the softmax kernel {@code exp(qᵀk · scale)}, so
 * that {@code Σ_j φ(k_j) v_jᵀ} can be accumulated once and read by every query (cost linear in sequence length).
 *
 * <p>Every map is a pure function of its input with fixed parameters: the random maps keep their projection
 * {@code W} (m × d, drawn from a seed and stored rounded to fp32), so a map is reproducible from its seed and
 * {@link #redraw redrawable} with another. {@link #apply(Arithmetic, List)} is the definition (the oracle evaluates
 * it in double-double); {@link #apply(double[])} is the same formula in double for kernels.
 *
 * <ul>
 *   <li>{@link PositiveRandom}: Performer FAVOR+ (Choromanski et al., ICLR 2021, eq. 7 / Lemma 1), m features
 *       {@code φ_i(x) = exp(w_iᵀx' − ‖x'‖²/2) / √m}, {@code x' = c·x} with {@code c = d^{-1/4}} so that
 *       {@code E[φ(q)ᵀφ(k)] = exp(qᵀk/√d)}, the default-scaled softmax kernel. Numerically stabilised form: the
 *       exponent is formed first and exponentiated once (no {@code exp(wᵀx)·exp(−‖x‖²/2)} overflow/underflow), and a
 *       query may be shifted by its largest exponent ({@link #applyQuery}), which cancels in the normalised
 *       output. Keys are not shifted by a data-dependent maximum: that would make the streaming form depend on
 *       future keys.</li>
 *   <li>{@link TrigRandom}: trigonometric random features (Rahimi–Recht, as used in Lemma 2 for comparison),
 *       2m features {@code exp(‖x'‖²/2)/√m · [sin(w_iᵀx'), cos(w_iᵀx')]}; not positive.</li>
 *   <li>{@link EluPlusOne} (Katharopoulos et al. 2020): {@code elu(x) + 1}, positive; {@link Relu}: {@code max(x, 0)};
 *       {@link Identity}: {@code φ(x) = x}, the map of the ONNX {@code LinearAttention} update rules.</li>
 * </ul>
 * Random projections are i.i.d. N(0, I) rows, or orthogonal: blocks of d rows made orthonormal (Gram–Schmidt on a
 * Gaussian block), each row then scaled by a χ(d) norm, so every row is still marginally N(0, I) (Performer §2.4).
 * A d-row block of Gram–Schmidt on a Gaussian block in fp32 rounding is orthogonal to about 1e-7.
 */
public sealed interface FeatureMap {

    enum Kind { IDENTITY, ELU_PLUS_ONE, RELU, FAVOR_POSITIVE, FAVOR_TRIG }

    Kind kind();

    /** Input width d (the key/query head dimension). */
    int inputDim();

    /** Output width F: the row count of the recurrent state. */
    int outputDim();

    /** Whether every feature is strictly positive, so a normalised output's denominator is never zero. */
    boolean positive();

    /** The definition, in any arithmetic. */
    <T> List<T> apply(Arithmetic<T> ar, List<T> x);

    /** The same formula in double. */
    double[] apply(double[] x);

    /**
     * Features of a query for a normalised output: a constant factor per query may be dropped, since it cancels
     * between numerator and denominator. FAVOR+ shifts the exponents so the largest is 0; others are unchanged.
     */
    default double[] applyQuery(double[] x) {
        return apply(x);
    }

    /** The same map with its random parameters drawn again from {@code seed} (deterministic maps return this). */
    default FeatureMap redraw(long seed) {
        return this;
    }

    /** Short description for failure messages and reports, e.g. {@code favor+(m=16, orthogonal, seed=3)}. */
    String describe();

    // ---- deterministic maps ------------------------------------------------------------------------------------

    record Identity(int inputDim) implements FeatureMap {
        public Kind kind() { return Kind.IDENTITY; }
        public int outputDim() { return inputDim; }
        public boolean positive() { return false; }
        public <T> List<T> apply(Arithmetic<T> ar, List<T> x) { return new ArrayList<>(x); }
        public double[] apply(double[] x) { return x.clone(); }
        public String describe() { return "identity"; }
    }

    record EluPlusOne(int inputDim) implements FeatureMap {
        public Kind kind() { return Kind.ELU_PLUS_ONE; }
        public int outputDim() { return inputDim; }
        public boolean positive() { return true; }

        public <T> List<T> apply(Arithmetic<T> ar, List<T> x) {
            List<T> out = new ArrayList<>(x.size());
            T zero = ar.of(0);
            for (T v : x) out.add(ar.compare(v, zero) > 0 ? ar.add(v, ar.of(1)) : ar.exp(v)); // elu(x)+1
            return out;
        }

        public double[] apply(double[] x) {
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] + 1 : Math.exp(x[i]);
            return out;
        }

        public String describe() { return "elu+1"; }
    }

    record Relu(int inputDim) implements FeatureMap {
        public Kind kind() { return Kind.RELU; }
        public int outputDim() { return inputDim; }
        public boolean positive() { return false; }

        public <T> List<T> apply(Arithmetic<T> ar, List<T> x) {
            List<T> out = new ArrayList<>(x.size());
            T zero = ar.of(0);
            for (T v : x) out.add(ar.max(v, zero));
            return out;
        }

        public double[] apply(double[] x) {
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) out[i] = Math.max(x[i], 0);
            return out;
        }

        public String describe() { return "relu"; }
    }

    // ---- random maps ---------------------------------------------------------------------------------------------

    /** FAVOR+ positive random features for the default-scaled softmax kernel (input scale d^{-1/4}). */
    static PositiveRandom favorPositive(int d, int m, long seed, boolean orthogonal) {
        return new PositiveRandom(d, m, seed, orthogonal, Math.pow(d, -0.25));
    }

    /** Trigonometric random features for the default-scaled softmax kernel. */
    static TrigRandom favorTrig(int d, int m, long seed, boolean orthogonal) {
        return new TrigRandom(d, m, seed, orthogonal, Math.pow(d, -0.25));
    }

    /** FAVOR+ positive random features; {@code φ(x)ᵀφ(y)} estimates {@code exp((c x)ᵀ(c y))}. */
    final class PositiveRandom extends Random {
        public PositiveRandom(int d, int m, long seed, boolean orthogonal, double inputScale) {
            super(d, m, seed, orthogonal, inputScale);
        }

        public Kind kind() { return Kind.FAVOR_POSITIVE; }
        public int outputDim() { return m; }
        public boolean positive() { return true; }

        public <T> List<T> apply(Arithmetic<T> ar, List<T> x) {
            List<T> xs = scaled(ar, x);
            T halfNorm = ar.divide(ar.dot(xs, xs), ar.of(2));
            T norm = ar.sqrt(ar.of(m));
            List<T> out = new ArrayList<>(m);
            for (int i = 0; i < m; i++) {
                T exponent = ar.subtract(ar.dot(row(ar, i), xs), halfNorm);      // w_iᵀx' − ‖x'‖²/2, then one exp
                out.add(ar.divide(ar.exp(exponent), norm));
            }
            return out;
        }

        public double[] apply(double[] x) {
            double[] e = exponents(x);
            double norm = Math.sqrt(m);
            for (int i = 0; i < m; i++) e[i] = Math.exp(e[i]) / norm;
            return e;
        }

        @Override
        public double[] applyQuery(double[] x) {
            double[] e = exponents(x);
            double max = Double.NEGATIVE_INFINITY;
            for (double v : e) max = Math.max(max, v);
            for (int i = 0; i < m; i++) e[i] = Math.exp(e[i] - max);   // the factor exp(−max)/√m cancels
            return e;
        }

        private double[] exponents(double[] x) {
            double[] xs = new double[d];
            double sq = 0;
            for (int j = 0; j < d; j++) {
                xs[j] = inputScale * x[j];
                sq += xs[j] * xs[j];
            }
            double[] e = new double[m];
            for (int i = 0; i < m; i++) {
                double dot = 0;
                for (int j = 0; j < d; j++) dot += w[i * d + j] * xs[j];
                e[i] = dot - sq / 2;
            }
            return e;
        }

        @Override
        public PositiveRandom redraw(long newSeed) {
            return new PositiveRandom(d, m, newSeed, orthogonal, inputScale);
        }

        public String describe() { return "favor+(" + parameters() + ")"; }
    }

    /** Trigonometric random features; {@code φ(x)ᵀφ(y)} estimates {@code exp((c x)ᵀ(c y))}, features may be negative. */
    final class TrigRandom extends Random {
        public TrigRandom(int d, int m, long seed, boolean orthogonal, double inputScale) {
            super(d, m, seed, orthogonal, inputScale);
        }

        public Kind kind() { return Kind.FAVOR_TRIG; }
        public int outputDim() { return 2 * m; }
        public boolean positive() { return false; }

        public <T> List<T> apply(Arithmetic<T> ar, List<T> x) {
            List<T> xs = scaled(ar, x);
            T prefactor = ar.divide(ar.exp(ar.divide(ar.dot(xs, xs), ar.of(2))), ar.sqrt(ar.of(m)));
            List<T> sin = new ArrayList<>(m), cos = new ArrayList<>(m);
            for (int i = 0; i < m; i++) {
                T p = ar.dot(row(ar, i), xs);
                sin.add(ar.multiply(prefactor, ar.sin(p)));
                cos.add(ar.multiply(prefactor, ar.cos(p)));
            }
            sin.addAll(cos);
            return sin;
        }

        public double[] apply(double[] x) {
            double[] xs = new double[d];
            double sq = 0;
            for (int j = 0; j < d; j++) {
                xs[j] = inputScale * x[j];
                sq += xs[j] * xs[j];
            }
            double prefactor = Math.exp(sq / 2) / Math.sqrt(m);
            double[] out = new double[2 * m];
            for (int i = 0; i < m; i++) {
                double p = 0;
                for (int j = 0; j < d; j++) p += w[i * d + j] * xs[j];
                out[i] = prefactor * Math.sin(p);
                out[m + i] = prefactor * Math.cos(p);
            }
            return out;
        }

        @Override
        public TrigRandom redraw(long newSeed) {
            return new TrigRandom(d, m, newSeed, orthogonal, inputScale);
        }

        public String describe() { return "trig(" + parameters() + ")"; }
    }

    /** The shared part of the random maps: the projection W and its drawing. */
    abstract sealed class Random implements FeatureMap permits PositiveRandom, TrigRandom {
        final int d, m;
        final long seed;
        final boolean orthogonal;
        final double inputScale;
        /** W, m × d row-major, each entry rounded to fp32 so the map is exactly the same in every arithmetic. */
        final float[] w;

        Random(int d, int m, long seed, boolean orthogonal, double inputScale) {
            require(d > 0 && m > 0, "random features need d > 0 and m > 0, got d=%d m=%d", d, m);
            this.d = d;
            this.m = m;
            this.seed = seed;
            this.orthogonal = orthogonal;
            this.inputScale = inputScale;
            this.w = draw(d, m, seed, orthogonal);
        }

        public int inputDim() { return d; }
        public int features() { return m; }
        public long seed() { return seed; }
        public boolean orthogonal() { return orthogonal; }
        public double inputScale() { return inputScale; }

        /** Row i of W (a copy). */
        public float[] row(int i) {
            return java.util.Arrays.copyOfRange(w, i * d, (i + 1) * d);
        }

        <T> List<T> row(Arithmetic<T> ar, int i) {
            List<T> r = new ArrayList<>(d);
            for (int j = 0; j < d; j++) r.add(ar.of(w[i * d + j]));
            return r;
        }

        <T> List<T> scaled(Arithmetic<T> ar, List<T> x) {
            T c = ar.of(inputScale);
            List<T> xs = new ArrayList<>(x.size());
            for (T v : x) xs.add(ar.multiply(c, v));
            return xs;
        }

        String parameters() {
            return "m=" + m + ", " + (orthogonal ? "orthogonal" : "iid") + ", seed=" + seed;
        }

        /**
         * Block by block, a d × d Gaussian G: i.i.d. rows are G's rows; orthogonal rows are G's rows made
         * orthonormal (Gram–Schmidt, i.e. QR with a positive diagonal, which is Haar-distributed) and scaled by
         * G's own row norms. Those norms are χ(d) and independent of the directions Gram–Schmidt sees, so each
         * orthogonal row is still N(0, I) — and the same seed gives coupled i.i.d. and orthogonal draws (common
         * random numbers), which makes their comparison paired.
         */
        static float[] draw(int d, int m, long seed, boolean orthogonal) {
            SplittableRandom random = new SplittableRandom(seed);
            float[] w = new float[m * d];
            for (int start = 0; start < m; start += d) {
                double[][] block = new double[d][d];
                double[] norms = new double[d];
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        block[i][j] = random.nextGaussian();
                        norms[i] += block[i][j] * block[i][j];
                    }
                    norms[i] = Math.sqrt(norms[i]);                      // a χ(d) row norm
                }
                if (orthogonal) {
                    for (int i = 0; i < d; i++) {                          // Gram–Schmidt, twice for stability
                        for (int pass = 0; pass < 2; pass++) {
                            for (int k = 0; k < i; k++) {
                                double dot = 0;
                                for (int j = 0; j < d; j++) dot += block[i][j] * block[k][j];
                                for (int j = 0; j < d; j++) block[i][j] -= dot * block[k][j];
                            }
                        }
                        double norm = 0;
                        for (int j = 0; j < d; j++) norm += block[i][j] * block[i][j];
                        norm = Math.sqrt(norm);
                        for (int j = 0; j < d; j++) block[i][j] /= norm;
                    }
                    for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) block[i][j] *= norms[i];
                }
                for (int i = 0; i < d && start + i < m; i++) {
                    for (int j = 0; j < d; j++) w[(start + i) * d + j] = (float) block[i][j];
                }
            }
            return w;
        }

        @Override
        public String toString() {
            return describe();
        }
    }
}
