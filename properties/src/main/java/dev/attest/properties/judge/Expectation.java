package dev.attest.properties.judge;

import dev.attest.oracle.Oracle;
import dev.attest.oracle.OracleResult;
import dev.attest.oracle.RoundedArithmetic;
import dev.attest.properties.engine.Facts;
import dev.attest.oracle.KernelRoundings;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.ElementType;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.Locale;

/**
 * The tolerance model of DESIGN.md "Precision and tolerances", for one problem: what the oracle says, and how far a
 * backend of a given precision may be from it.
 *
 * <pre>
 *   allowed   = max(floor, k * max|baseline - oracle|) + ulp(output type, oracle) / 2     (per element)
 *   baseline  = the plain naive computation of the same problem, accumulating in the backend's precision, from
 *               the inputs as stored, with the roundings a fast kernel makes (KernelRoundings): once rounding to
 *               nearest, and RANDOM_ROUNDINGS times with randomised rounding (Monte Carlo arithmetic); the
 *               largest error counts, so the luck of one rounding pattern on a small problem does not set the bar
 *   floor     = FLOOR_UNITS * unit roundoff * magnitude   (guards against a baseline that happens to be exact)
 * </pre>
 * k is stated by each property (2 for core outputs, as FlashAttention judges its kernels). Every comparison reports
 * its error as a ratio to the allowance, so "how close to failing" is visible even when it passes.
 */
public final class Expectation {
    /** The floor in units of roundoff of the output's magnitude. */
    public static final double FLOOR_UNITS = 8;
    /** Randomised-rounding runs of the baseline, besides the round-to-nearest one. */
    public static final int RANDOM_ROUNDINGS = 3;

    private final String what;
    private final int[] shape;
    private final double[] oracle;
    private final BiFunction<RoundedArithmetic, ElementType, OracleResult> naive;
    private final Map<ElementType, Double> baselines = new EnumMap<>(ElementType.class);
    private final double floor;
    private final double k;
    private final Precision precision;

    private Expectation(String what, OracleResult oracle, BiFunction<RoundedArithmetic, ElementType, OracleResult> naive,
                        double magnitude, double k, Precision precision) {
        this.what = what;
        this.shape = oracle.shape();
        this.oracle = oracle.values();
        this.naive = naive;
        this.floor = FLOOR_UNITS * precision.unitRoundoff() * magnitude;
        this.k = k;
        this.precision = precision;
    }

    /**
     * What a backend accumulating in {@code precision} should produce for core attention {@code problem}, whose
     * tensors carry their element types (the output's type is the tensor it is compared with).
     */
    public static Expectation attention(AttentionProblem problem, Precision precision, double k) {
        return attention(problem, problem, precision, k);
    }

    /**
     * For a metamorphic relation: the backend runs {@code asRun}, which is mathematically equal to {@code exact}
     * (GQA vs repeated heads, a boolean mask vs its -inf bias, ...). The oracle answers {@code exact}; the baseline
     * is the plain computation of {@code asRun}, so the allowance covers what rounding the transformed inputs cost.
     * The baseline makes the roundings a fast kernel may ({@link KernelRoundings}: weights rounded to V's type before
     * {@code P·V}, the output rounded to its type).
     */
    public static Expectation attention(AttentionProblem exact, AttentionProblem asRun, Precision precision,
                                        double k) {
        OracleResult oracle = Oracle.attention(exact);
        double magnitude = Math.max(maxAbsFinite(oracle.values()), maxAbsFinite(asRun.value().toDoubleArray()));
        return new Expectation("attention", oracle, (arithmetic, output) -> Oracle.attention(asRun, arithmetic,
                KernelRoundings.of(asRun.value().type(), output)), magnitude, k, precision);
    }

    /**
     * The tolerance model for any oracle-backed computation (linear attention uses it): {@code naive} runs the same
     * algorithm in a rounded arithmetic, {@code magnitude} sets the floor.
     */
    public static Expectation of(String what, OracleResult oracle,
                                 java.util.function.Function<RoundedArithmetic, OracleResult> naive, double magnitude,
                                 double k, Precision precision) {
        return new Expectation(what, oracle, (arithmetic, output) -> naive.apply(arithmetic), magnitude, k, precision);
    }

    /** What a backend of {@code precision} should produce for the layer {@code problem}. */
    public static Expectation layer(LayerProblem problem, Precision precision, double k) {
        return layer(problem, problem, precision, k);
    }

    /** The layer form of {@link #attention(AttentionProblem, AttentionProblem, Precision, double)}. */
    public static Expectation layer(LayerProblem exact, LayerProblem asRun, Precision precision, double k) {
        OracleResult oracle = Oracle.layer(exact);
        // a bf16 or fp16 layer stores its activations (Q, K, V, the heads' output) in its type: the baseline does too
        return new Expectation("layer", oracle, (arithmetic, output) -> Oracle.layer(asRun, arithmetic,
                KernelRoundings.of(asRun.type(), output)), maxAbsFinite(oracle.values()), k, precision);
    }

    /**
     * The worst error, against the oracle, of the plain naive computation accumulating in the backend's precision
     * and writing an {@code output} tensor (what k multiplies): once rounding to nearest and
     * {@value #RANDOM_ROUNDINGS} times with randomised rounding.
     */
    public double baselineError(ElementType output) {
        return baselines.computeIfAbsent(output, type -> {
            double worst = maxAbsError(oracle, naive.apply(new RoundedArithmetic(precision), type).values());
            for (int seed = 1; seed <= RANDOM_ROUNDINGS; seed++) {
                worst = Math.max(worst, maxAbsError(oracle, naive.apply(new RoundedArithmetic(precision, seed), type)
                        .values()));
            }
            return worst;
        });
    }

    /** {@link #baselineError(ElementType)} for an fp32 output. */
    public double baselineError() {
        return baselineError(ElementType.FP32);
    }

    /** {@code max(floor, k * baseline)} for an {@code output} tensor, before its own half-ulp rounding term. */
    public double allowance(ElementType output) {
        return Math.max(floor, k * baselineError(output));
    }

    public double allowance() {
        return allowance(ElementType.FP32);
    }

    public double oracleValue(int flatIndex) {
        return oracle[flatIndex];
    }

    public int[] shape() {
        return shape.clone();
    }

    /**
     * Compares {@code actual} (same logical shape, any strides, any output type) element by element: element i
     * passes when {@code |actual - oracle| <= allowance(type) + ulp(type, oracle) / 2}. A non-finite mismatch (NaN or
     * Inf where the oracle is finite, or a finite value where the oracle's is NaN or Inf) is an infinite error:
     * {@code maxAbsError}, {@code relativeRms} and the ratio are then {@code +Inf} and the worst element is the first
     * such mismatch, so a backend that writes NaN everywhere can never show an error of 0 in a report.
     */
    public Comparison compare(Tensor actual) {
        if (!Arrays.equals(actual.shape(), shape)) {
            throw new AssertionError(Facts.of().add("failure", "output has the wrong shape")
                    .add("expected shape", Arrays.toString(shape)).add("but was", Arrays.toString(actual.shape())));
        }
        ElementType type = actual.type();
        double base = allowance(type);
        float[] values = actual.toArray();
        int worst = -1;
        double maxError = 0, worstRatio = -1, ulps = 0, sumSquaredError = 0, sumSquared = 0;
        int nonFiniteMismatch = -1;
        double scale = rootMeanSquare(oracle);
        for (int i = 0; i < values.length; i++) {
            double expected = oracle[i];
            double got = values[i];
            if (!Double.isFinite(expected) || !Double.isFinite(got)) {
                if (Double.isFinite(expected) != Double.isFinite(got) && nonFiniteMismatch < 0) nonFiniteMismatch = i;
                continue;
            }
            double error = Math.abs(got - expected);
            sumSquaredError += error * error;
            sumSquared += expected * expected;
            maxError = Math.max(maxError, error);
            // in ulps at the expected value, but no finer than at the output's RMS: an output near 0 would count an
            // fp32 error of 1e-8 as 10^4 ulps of its own tiny exponent, saying nothing about the format's precision
            ulps = Math.max(ulps, error / type.ulp(Math.max(Math.abs(expected), scale)));
            double allowed = base + 0.5 * type.ulp(expected);    // the output's own rounding at the oracle's value
            double ratio = allowed == 0 ? (error == 0 ? 0 : Double.POSITIVE_INFINITY) : error / allowed;
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
        }
        double inf = Double.POSITIVE_INFINITY;
        if (nonFiniteMismatch >= 0) {
            return new Comparison(this, type, values, nonFiniteMismatch, inf, inf, nonFiniteMismatch, inf, inf);
        }
        double relativeRms = sumSquared == 0 ? Math.sqrt(sumSquaredError) : Math.sqrt(sumSquaredError / sumSquared);
        return new Comparison(this, type, values, worst, maxError, relativeRms, -1, Math.max(worstRatio, 0), ulps);
    }

    private static double rootMeanSquare(double[] values) {
        double sum = 0;
        int n = 0;
        for (double v : values) {
            if (!Double.isFinite(v)) continue;
            sum += v * v;
            n++;
        }
        return n == 0 ? 0 : Math.sqrt(sum / n);
    }

    /** Compares and throws an {@link AssertionError} with a fact block when outside the allowance. */
    public Comparison check(Tensor actual) {
        Comparison comparison = compare(actual);
        comparison.requireWithinAllowance();
        return comparison;
    }

    /**
     * The result of comparing one output with this expectation. {@code maxAbsError}, {@code relativeRms},
     * {@code ratio} and {@code ulpError} are {@code +Inf} when {@code nonFiniteMismatch >= 0} (the first element whose
     * finiteness differs from the oracle's, else -1).
     *
     * @param worstIndex the element nearest to (or furthest past) its allowance: the one that decides
     * @param ratio      the largest error / allowance over the elements; above 1 fails
     * @param ulpError   the largest error in units in the last place of the output type at the oracle's value, or
     *                   at the output's RMS where the value is smaller (so near-zero outputs do not inflate it)
     */
    public record Comparison(Expectation expectation, ElementType outputType, float[] actual, int worstIndex,
                             double maxAbsError, double relativeRms, int nonFiniteMismatch, double ratio,
                             double ulpError) {

        public boolean passes() {
            return nonFiniteMismatch < 0 && ratio <= 1;
        }

        public double baselineError() {
            return expectation.baselineError(outputType);
        }

        /** The allowance before the output's half-ulp term. */
        public double allowance() {
            return expectation.allowance(outputType);
        }

        public void requireWithinAllowance() {
            if (passes()) return;
            Expectation e = expectation;
            Facts facts = Facts.of();
            if (nonFiniteMismatch >= 0) {
                boolean expectedFinite = Double.isFinite(e.oracle[nonFiniteMismatch]);
                facts.add("failure", expectedFinite ? "non-finite output where the oracle is finite"
                        : "finite output where an attended NaN/Inf must propagate");
                facts.add("element", index(e.shape, nonFiniteMismatch));
                facts.add("expected (oracle)", e.oracle[nonFiniteMismatch]);
                facts.add("but was", actual[nonFiniteMismatch]);
            } else {
                facts.add("failure", e.what + " output outside the tolerance model");
                facts.add("worst element", index(e.shape, worstIndex));
                facts.add("expected (oracle)", String.format(Locale.ROOT, "%.9g", e.oracle[worstIndex]));
                facts.add("but was", String.format(Locale.ROOT, "%.9g", actual[worstIndex]));
            }
            describe(facts);
            throw new AssertionError(facts.toString());
        }

        /** Adds the error figures (used by failures and by reports). */
        public Facts describe(Facts facts) {
            Expectation e = expectation;
            facts.add("max abs error", String.format(Locale.ROOT, "%.3g (%.3g ulp of %s)", maxAbsError, ulpError,
                    outputType));
            facts.add("allowance", String.format(Locale.ROOT,
                    "%.3g = max(floor %.3g, k %.1f x naive %s error %.3g) + ulp(%s)/2 at the expected value",
                    allowance(), e.floor, e.k, e.precision.name().toLowerCase(Locale.ROOT), baselineError(),
                    outputType));
            facts.add("error/allowance", String.format(Locale.ROOT, "%.3g", ratio));
            facts.add("relative RMS", String.format(Locale.ROOT, "%.3g", relativeRms));
            return facts;
        }
    }

    /** Multi-index of a row-major flat index, e.g. {@code [b=0, h=1, i=2, d=0]} for a 4-D output. */
    public static String index(int[] shape, int flat) {
        String[] names = shape.length == 4 ? new String[]{"b", "h", "i", "d"}
                : shape.length == 3 ? new String[]{"b", "i", "c"} : null;
        int[] idx = new int[shape.length];
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            idx[axis] = flat % shape[axis];
            flat /= shape[axis];
        }
        StringBuilder text = new StringBuilder("[");
        for (int axis = 0; axis < idx.length; axis++) {
            if (axis > 0) text.append(", ");
            if (names != null) text.append(names[axis]).append('=');
            text.append(idx[axis]);
        }
        return text.append(']').toString();
    }

    static double maxAbsError(double[] reference, double[] other) {
        double max = 0;
        for (int i = 0; i < reference.length; i++) {
            if (Double.isFinite(reference[i]) && Double.isFinite(other[i])) {
                max = Math.max(max, Math.abs(reference[i] - other[i]));
            }
        }
        return max;
    }

    static double maxAbsFinite(double[] values) {
        double max = 0;
        for (double v : values) if (Double.isFinite(v)) max = Math.max(max, Math.abs(v));
        return max;
    }
}
