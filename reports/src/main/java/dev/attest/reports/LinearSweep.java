package dev.attest.reports;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.properties.linear.ApproximationSweep;
import dev.attest.reference.Tensor;
import dev.attest.reports.model.Interval;
import dev.attest.reports.model.LinearErrorPoint;
import dev.attest.reports.timing.AlternatingCalls;
import dev.attest.reports.timing.Sampler;
import dev.attest.spi.LinearAttentionBackend;

import java.util.ArrayList;
import java.util.List;

/**
 * Linear attention error against m through {@link ApproximationSweep} (FAVOR+ positive features, i.i.d. and
 * orthogonal, non-causal, one head, Q, K, V uniform in [-1, 1]), with the Lemma 2 theory value of the kernel MSE
 * (i.i.d. only), and, when {@code timing} is given, the latency of the backend's forward pass on the sweep's problem
 * at each m with its interval, checked bit for bit against untimed calls (the linear-attention curve of the
 * accuracy-against-latency chart).
 */
public final class LinearSweep {
    /** The backend the sweep runs on: the parallel form, whose cost is what a user of linear attention pays. */
    public static final String BACKEND = "linear-parallel";
    static final long DATA_SEED = 11;

    private LinearSweep() {
    }

    /** The points, and the first integrity failure of a timed forward pass (null: none; then no point has latency). */
    public record Outcome(List<LinearErrorPoint> points, String integrityFailure) {
    }

    public static Outcome run(LinearAttentionBackend backend, Profile.LinearSweep sweep, Sampler timing) {
        String integrity = null;
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
                Interval latency = null;
                if (timing != null && first[0] != null) {
                    LinearProblem a = first[0], b = withNegatedQuery(a);
                    Tensor o = a.allocateOutput();
                    Sampler.Result r = timing.measure(new AlternatingCalls(o, () -> backend.forward(a, o),
                            () -> backend.forward(b, o)));
                    if (r.integrityFailure() == null) latency = r.perCall();
                    else if (integrity == null) integrity = "forward pass at m=" + m + ", " + r.integrityFailure();
                }
                out.add(new LinearErrorPoint(backend.name(), orthogonal ? "favor+ orthogonal" : "favor+ iid",
                        sweep.length(), m, p.relativeRms(), p.maxAbsError(), p.kernelRelativeMse(),
                        p.theoryKernelRelativeMse(), latency == null ? null : latency.median(), latency));
            }
        }
        return new Outcome(out, integrity);
    }

    /** Input B of the timed calls: the same problem with −Q (another output, the same cost). */
    private static LinearProblem withNegatedQuery(LinearProblem p) {
        Tensor q = Tensor.zeros(p.query().shape());
        double[] values = p.query().toDoubleArray();
        for (int i = 0; i < values.length; i++) q.data()[i] = (float) -values[i];
        return new LinearProblem(p.spec(), q, p.key(), p.value(), p.gates(), p.betas(), p.initialState());
    }
}
