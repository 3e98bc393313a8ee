package dev.attest.properties.linear;

import java.util.function.Function;

import dev.attest.oracle.LinearOracle;
import dev.attest.oracle.OracleResult;
import dev.attest.properties.judge.Expectation;
import dev.attest.linear.LinearProblem;
import dev.attest.reference.Precision;

/**
 * The tolerance model of DESIGN.md applied to linear attention: the oracle is {@link LinearOracle} in
 * double-double; the baseline is the same recurrent definition with every operation rounded to the backend's
 * precision; the allowance is {@code max(floor, k × baseline error)}.
 */
public final class LinearJudge {
    /** k for outputs and states: twice the plain same-precision error (FlashAttention's rule). */
    public static final double K = 2;

    private LinearJudge() {
    }

    /** The backend runs {@code asRun}, mathematically equal to {@code exact} (rows {@code [from, to)} of it). */
    public static Expectation output(LinearProblem exact, LinearProblem asRun, Precision precision) {
        OracleResult oracle = LinearOracle.compute(exact).output();
        return Expectation.of("linear attention", oracle, ar -> LinearOracle.compute(asRun, ar).output(),
                Math.max(oracle.maxAbs(), maxAbs(asRun.value().toArray())), K, precision);
    }

    public static Expectation output(LinearProblem problem, Precision precision) {
        return output(problem, problem, precision);
    }

    /** The returned state S. */
    public static Expectation stateS(LinearProblem problem, Precision precision) {
        return state("state S", problem, precision, LinearOracle.Result::s);
    }

    /** The returned normaliser state z. */
    public static Expectation stateZ(LinearProblem problem, Precision precision) {
        return state("state z", problem, precision, LinearOracle.Result::z);
    }

    private static Expectation state(String what, LinearProblem p, Precision precision,
                                     Function<LinearOracle.Result, OracleResult> part) {
        OracleResult oracle = part.apply(LinearOracle.compute(p));
        return Expectation.of(what, oracle, ar -> part.apply(LinearOracle.compute(p, ar)), oracle.maxAbs(), K,
                precision);
    }

    static double maxAbs(float[] values) {
        double max = 0;
        for (float v : values) if (Float.isFinite(v)) max = Math.max(max, Math.abs(v));
        return max;
    }
}
