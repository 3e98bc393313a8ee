package dev.attest.reports;

import dev.attest.properties.judge.Expectation;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Tensor;
import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.spi.AttentionBackend;

/**
 * Error of a backend against the oracle on one configuration in its element types, judged by the tolerance model
 * (k = 2, as for the core outputs in the properties): max-abs, relative RMS, ulps of the output type, and
 * error / allowance.
 */
public final class Accuracy {
    /** The tolerance factor of core outputs (DESIGN.md "Precision and tolerances"). */
    public static final double K = 2.0;
    public static final long DATA_SEED = 7;

    private Accuracy() {
    }

    public static AccuracyResult measure(AttentionBackend backend, ConfigInfo config) {
        AttentionProblem problem = Workloads.problem(config, DATA_SEED);
        Expectation expectation = Expectation.attention(problem, backend.capabilities().precision(), K);
        Tensor out = Workloads.output(config, problem);
        backend.attention(problem, out);
        Expectation.Comparison c = expectation.compare(out);
        return new AccuracyResult(backend.name(), config.name(), config.types(), c.maxAbsError(), c.relativeRms(),
                c.ulpError(), c.baselineError(), c.allowance(), c.ratio(), c.passes());
    }
}
