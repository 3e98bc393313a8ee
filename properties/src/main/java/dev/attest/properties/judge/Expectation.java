package dev.attest.properties.judge;

import dev.attest.oracle.Oracle;
import dev.attest.oracle.OracleResult;
import dev.attest.oracle.RoundedArithmetic;
import dev.attest.properties.engine.Facts;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * The tolerance model of DESIGN.md "Precision and tolerances", for one problem: what the oracle says, and how far a
 * backend of a given precision may be from it.
 *
 * <pre>
 *   allowance = max(floor, k * max|baseline - oracle|)
 *   baseline  = the plain naive computation of the same problem in the backend's precision: once rounding to
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
    private final double baselineError;
    private final double floor;
    private final double k;
    private final Precision precision;

    private Expectation(String what, OracleResult oracle, java.util.function.Function<RoundedArithmetic, OracleResult> naive,
                        double magnitude, double k, Precision precision) {
        this.what = what;
        this.shape = oracle.shape();
        this.oracle = oracle.values();
        double worst = maxAbsError(this.oracle, naive.apply(new RoundedArithmetic(precision)).values());
        for (int seed = 1; seed <= RANDOM_ROUNDINGS; seed++) {
            worst = Math.max(worst, maxAbsError(this.oracle, naive.apply(new RoundedArithmetic(precision, seed)).values()));
        }
        this.baselineError = worst;
        this.floor = FLOOR_UNITS * precision.unitRoundoff() * magnitude;
        this.k = k;
        this.precision = precision;
    }

    /** What a backend of {@code precision} should produce for core attention {@code problem}. */
    public static Expectation attention(AttentionProblem problem, Precision precision, double k) {
        return attention(problem, problem, precision, k);
    }

    /**
     * For a metamorphic relation: the backend runs {@code asRun}, which is mathematically equal to {@code exact}
     * (GQA vs repeated heads, a boolean mask vs its -inf bias, ...). The oracle answers {@code exact}; the baseline
     * is the plain computation of {@code asRun}, so the allowance covers what rounding the transformed inputs cost.
     */
    public static Expectation attention(AttentionProblem exact, AttentionProblem asRun, Precision precision,
                                        double k) {
        OracleResult oracle = Oracle.attention(exact);
        double magnitude = Math.max(maxAbsFinite(oracle.values()), maxAbsFinite(asRun.value().toArray()));
        return new Expectation("attention", oracle, arithmetic -> Oracle.attention(asRun, arithmetic), magnitude, k,
                precision);
    }

    /**
     * The tolerance model for any oracle-backed computation (linear attention uses it): {@code naive} runs the same
     * algorithm in a rounded arithmetic, {@code magnitude} sets the floor.
     */
    public static Expectation of(String what, OracleResult oracle,
                                 java.util.function.Function<RoundedArithmetic, OracleResult> naive, double magnitude,
                                 double k, Precision precision) {
        return new Expectation(what, oracle, naive, magnitude, k, precision);
    }

    /** What a backend of {@code precision} should produce for the layer {@code problem}. */
    public static Expectation layer(LayerProblem problem, Precision precision, double k) {
        return layer(problem, problem, precision, k);
    }

    /** The layer form of {@link #attention(AttentionProblem, AttentionProblem, Precision, double)}. */
    public static Expectation layer(LayerProblem exact, LayerProblem asRun, Precision precision, double k) {
        OracleResult oracle = Oracle.layer(exact);
        return new Expectation("layer", oracle, arithmetic -> Oracle.layer(asRun, arithmetic),
                maxAbsFinite(oracle.values()), k, precision);
    }

    /** The worst error of the plain same-precision naive computation against the oracle (what k multiplies). */
    public double baselineError() {
        return baselineError;
    }

    public double allowance() {
        return Math.max(floor, k * baselineError);
    }

    public double oracleValue(int flatIndex) {
        return oracle[flatIndex];
    }

    public int[] shape() {
        return shape.clone();
    }

    /**
     * Compares {@code actual} (same logical shape, any strides) element by element. A non-finite mismatch (NaN or
     * Inf where the oracle is finite, or a finite value where the oracle's is NaN or Inf) is an infinite error:
     * {@code maxAbsError} and {@code relativeRms} are then {@code +Inf} and the worst element is the first such
     * mismatch, so a backend that writes NaN everywhere can never show an error of 0 in a report.
     */
    public Comparison compare(Tensor actual) {
        if (!Arrays.equals(actual.shape(), shape)) {
            throw new AssertionError(Facts.of().add("failure", "output has the wrong shape")
                    .add("expected shape", Arrays.toString(shape)).add("but was", Arrays.toString(actual.shape())));
        }
        float[] values = actual.toArray();
        int worst = -1;
        double worstError = -1, sumSquaredError = 0, sumSquared = 0;
        int nonFiniteMismatch = -1;
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
            if (error > worstError) {
                worstError = error;
                worst = i;
            }
        }
        if (nonFiniteMismatch >= 0) {
            return new Comparison(this, values, nonFiniteMismatch, Double.POSITIVE_INFINITY,
                    Double.POSITIVE_INFINITY, nonFiniteMismatch);
        }
        double relativeRms = sumSquared == 0 ? Math.sqrt(sumSquaredError) : Math.sqrt(sumSquaredError / sumSquared);
        return new Comparison(this, values, worst, Math.max(worstError, 0), relativeRms, nonFiniteMismatch);
    }

    /** Compares and throws an {@link AssertionError} with a fact block when outside the allowance. */
    public Comparison check(Tensor actual) {
        Comparison comparison = compare(actual);
        comparison.requireWithinAllowance();
        return comparison;
    }

    /**
     * The result of comparing one output with this expectation. {@code maxAbsError} and {@code relativeRms} are
     * {@code +Inf} when {@code nonFiniteMismatch >= 0} (the first element whose finiteness differs from the
     * oracle's, else -1); {@code worstIndex} is then that element.
     */
    public record Comparison(Expectation expectation, float[] actual, int worstIndex, double maxAbsError,
                             double relativeRms, int nonFiniteMismatch) {

        public double ratio() {
            double allowance = expectation.allowance();
            return allowance == 0 ? (maxAbsError == 0 ? 0 : Double.POSITIVE_INFINITY) : maxAbsError / allowance;
        }

        public boolean passes() {
            return nonFiniteMismatch < 0 && maxAbsError <= expectation.allowance();
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
            facts.add("max abs error", String.format(Locale.ROOT, "%.3g", maxAbsError));
            facts.add("allowance", String.format(Locale.ROOT,
                    "%.3g = max(floor %.3g, k %.1f x naive %s error %.3g)", e.allowance(), e.floor, e.k,
                    e.precision.name().toLowerCase(Locale.ROOT), e.baselineError));
            facts.add("error/allowance", String.format(Locale.ROOT, "%.3g", ratio()));
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

    static double maxAbsFinite(float[] values) {
        double max = 0;
        for (float v : values) if (Float.isFinite(v)) max = Math.max(max, Math.abs(v));
        return max;
    }
}
