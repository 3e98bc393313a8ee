package dev.attest.reports;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.properties.linear.ApproximationSweep;
import dev.attest.reference.Tensor;
import dev.attest.reports.model.LinearErrorPoint;
import dev.attest.spi.LinearAttentionBackend;

import java.util.ArrayList;
import java.util.List;

/**
 * Linear attention error against m through {@link ApproximationSweep} (FAVOR+ positive features, i.i.d. and
 * orthogonal, non-causal, one head, Q, K, V uniform in [-1, 1]), with the Lemma 2 theory value of the kernel MSE
 * (i.i.d. only), and, when {@code timing} is given, the median latency of the backend's forward pass on the sweep's
 * problem at each m (the linear-attention curve of the accuracy-against-latency chart).
 */
public final class LinearSweep {
    /** The backend the sweep runs on: the parallel form, whose cost is what a user of linear attention pays. */
    public static final String BACKEND = "linear-parallel";
    static final long DATA_SEED = 11;

    private LinearSweep() {
    }

    public static List<LinearErrorPoint> run(LinearAttentionBackend backend, Profile.LinearSweep sweep, Timing timing) {
        List<LinearErrorPoint> out = new ArrayList<>();
        for (boolean orthogonal : new boolean[]{false, true}) {
            var config = new ApproximationSweep.Config(backend.name(), FeatureMap.Kind.FAVOR_POSITIVE, orthogonal,
                    false, sweep.dim(), sweep.dim(), sweep.redraws(), DATA_SEED);
            for (int m : sweep.features()) {
                LinearProblem[] first = new LinearProblem[1];
                ApproximationSweep.Point p = ApproximationSweep.point(problem -> {
                    if (first[0] == null) first[0] = problem;
                    Tensor o = problem.allocateOutput();
                    backend.forward(problem, o);
                    return o;
                }, config, m, sweep.length());
                Double latency = null;
                if (timing != null && first[0] != null) {
                    LinearProblem problem = first[0];
                    Tensor o = problem.allocateOutput();
                    if (out.isEmpty()) timing.medianMillis(() -> backend.forward(problem, o)); // JIT warm-up, discarded
                    latency = timing.medianMillis(() -> backend.forward(problem, o));
                }
                out.add(new LinearErrorPoint(backend.name(), orthogonal ? "favor+ orthogonal" : "favor+ iid",
                        sweep.length(), m, p.relativeRms(), p.maxAbsError(), p.kernelRelativeMse(),
                        p.theoryKernelRelativeMse(), latency));
            }
        }
        return out;
    }
}
