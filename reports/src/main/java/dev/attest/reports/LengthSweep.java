package dev.attest.reports;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.UpdateRule;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
import dev.attest.reports.model.Interval;
import dev.attest.reports.model.LengthSweepPoint;
import dev.attest.reports.model.Status;
import dev.attest.reports.timing.AlternatingCalls;
import dev.attest.reports.timing.Sampler;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Feature;
import dev.attest.spi.LinearAttentionBackend;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Linear against softmax attention as the sequence grows (the promise of linear attention: O(n) against O(n²)): one
 * backend's forward pass at each length n of the profile, in each form it declares (causal, non-causal), timed with
 * {@link Sampler} and checked bit for bit ({@link AlternatingCalls}), with its error against exact softmax attention
 * on the same inputs beside it.
 *
 * <p>Shape: B = 1, Hq = Hkv = 4, D = 64 (tiny: 2 heads, D = 8); Q, K, V uniform in [-1, 1]; the linear backends run
 * normalised linear attention with m orthogonal FAVOR+ positive features (the unbiased softmax-kernel estimator,
 * Choromanski et al. 2021), the softmax backend exact attention with the default scale 1/√D. Input B of the timed
 * calls negates Q (another output at the same cost). A series stops after the first length whose call takes longer
 * than the profile's cap: the lengths show where softmax takes seconds, and linear goes further.
 *
 * <p>The error is the relative RMS error against softmax attention in double on {@link Settings#sampledRows} query
 * rows of every head, spread evenly over the sequence (the last row included): exact rows cost O(n·D) each, so the
 * error is affordable at every length.
 */
final class LengthSweep {
    /** The softmax side of the sweep: the JVM's fastest exact backend. */
    static final String SOFTMAX_BACKEND = "cpu-tiled";
    static final String ITEM = "length-sweep";
    static final long DATA_SEED = 23, FEATURE_SEED = 29;

    private LengthSweep() {
    }

    /**
     * What the profile sweeps: lengths for softmax and (further) for linear, the shape, m, the sampled rows, the cap
     * on one call's time that ends a series, and the timing rule.
     */
    record Settings(int[] softmaxLengths, int[] linearLengths, int heads, int dim, int features, int sampledRows,
                    double maxCallMillis, Sampler sampler) {
    }

    /** What a worker reports: points as they are measured, and issues (unsupported forms, failures). */
    interface Sink {
        void point(LengthSweepPoint p);

        void issue(String item, Status status, String message);
    }

    /** The softmax backend's series, each form it declares (a form it does not is an unsupported item). */
    static void softmax(AttentionBackend backend, Settings s, Sink sink) {
        for (boolean causal : new boolean[]{false, true}) {
            String item = item(causal);
            Inputs probe = Inputs.of(s.heads(), s.softmaxLengths()[0], s.dim());
            AttentionProblem p = probe.softmax(causal, false);
            Set<Feature> missing = backend.capabilities().missing(Feature.requiredBy(p, p.allocateOutput(Layout.BHSD)));
            if (!missing.isEmpty()) {
                sink.issue(item, Status.UNSUPPORTED, "unsupported: " + backend.name() + " does not declare " + missing);
                continue;
            }
            series(backend.name(), LengthSweepPoint.SOFTMAX, causal, s.softmaxLengths(), s, sink, n -> {
                Inputs in = Inputs.of(s.heads(), n, s.dim());
                AttentionProblem a = in.softmax(causal, false), b = in.softmax(causal, true);
                Tensor out = a.allocateOutput(Layout.BHSD);
                return new Timed(in, out, () -> backend.attention(a, out), () -> backend.attention(b, out), null);
            });
        }
    }

    /** A linear backend's series, each form it declares with normalised FAVOR+ (else an unsupported item). */
    static void linear(LinearAttentionBackend backend, Settings s, Sink sink) {
        for (boolean causal : new boolean[]{false, true}) {
            String item = item(causal);
            List<String> missing = backend.capabilities().missing(Inputs.of(s.heads(), s.linearLengths()[0], s.dim())
                    .linear(causal, s.features(), false));
            if (!missing.isEmpty()) {
                sink.issue(item, Status.UNSUPPORTED, "unsupported: " + backend.name() + " does not declare "
                        + String.join(", ", missing));
                continue;
            }
            series(backend.name(), LengthSweepPoint.LINEAR, causal, s.linearLengths(), s, sink, n -> {
                Inputs in = Inputs.of(s.heads(), n, s.dim());
                LinearProblem a = in.linear(causal, s.features(), false), b = in.linear(causal, s.features(), true);
                Tensor out = a.allocateOutput();
                return new Timed(in, out, () -> backend.forward(a, out), () -> backend.forward(b, out), s.features());
            });
        }
    }

    static String item(boolean causal) {
        return ITEM + ":" + (causal ? LengthSweepPoint.CAUSAL : LengthSweepPoint.NON_CAUSAL);
    }

    /** One length's timed workload: inputs, the output both calls write, the calls on input A and B, and m. */
    private record Timed(Inputs inputs, Tensor out, Runnable a, Runnable b, Integer features) {
    }

    private static void series(String backend, String kind, boolean causal, int[] lengths, Settings s, Sink sink,
                               java.util.function.IntFunction<Timed> at) {
        String item = item(causal);
        for (int n : lengths) {
            Timed t = at.apply(n);
            AlternatingCalls calls = new AlternatingCalls(t.out(), t.a(), t.b());
            Sampler.Result r = s.sampler().measure(calls);
            if (r.integrityFailure() != null) {
                sink.issue(item, Status.FAIL, backend + " gets no length-sweep figure (" + item(causal) + ") at n=" + n
                        + ": " + r.integrityFailure());
                return;
            }
            t.a().run();                           // the output on input A again: the error is of what was timed
            double error = t.inputs().sampledError(t.out(), causal, s.sampledRows());
            Interval latency = r.perCall();
            sink.point(new LengthSweepPoint(backend, kind, causal ? LengthSweepPoint.CAUSAL
                    : LengthSweepPoint.NON_CAUSAL, n, t.features(), latency, error));
            if (latency.median() > s.maxCallMillis()) return;
        }
    }

    /** Q, K, V of one length, (1, H, n, D), uniform in [-1, 1] from a seed of the length. */
    record Inputs(Tensor q, Tensor k, Tensor v) {
        static Inputs of(int heads, int n, int dim) {
            SplittableRandom random = new SplittableRandom(DATA_SEED * 1_000_003L + n);
            return new Inputs(uniform(random, heads, n, dim), uniform(random, heads, n, dim),
                    uniform(random, heads, n, dim));
        }

        AttentionProblem softmax(boolean causal, boolean negatedQuery) {
            int heads = q.dim(1), n = q.dim(2), dim = q.dim(3);
            AttentionSpec.Builder spec = AttentionSpec.builder().heads(heads, heads).headDim(dim).lengths(n, n);
            if (causal) spec.causal(Alignment.TOP_LEFT);
            return new AttentionProblem(spec.build(), negatedQuery ? negated(q) : q, k, v);
        }

        LinearProblem linear(boolean causal, int features, boolean negatedQuery) {
            int heads = q.dim(1), n = q.dim(2), dim = q.dim(3);
            FeatureMap map = FeatureMap.favorPositive(dim, features, FEATURE_SEED, true);
            LinearSpec spec = LinearSpec.of(1, heads, heads, n, dim, dim, causal, map, UpdateRule.LINEAR, true);
            return new LinearProblem(spec, negatedQuery ? negated(q) : q, k, v, null, null, null);
        }

        /**
         * Relative RMS error of {@code out} (1, H, n, Dv) against exact softmax attention in double (scale 1/√D),
         * over {@code rows} query rows of every head spread evenly from the first to the last.
         */
        double sampledError(Tensor out, boolean causal, int rows) {
            int heads = q.dim(1), n = q.dim(2), dim = q.dim(3), dv = v.dim(3);
            double scale = 1 / Math.sqrt(dim), se = 0, sr = 0;
            float[] qd = q.data(), kd = k.data(), vd = v.data();
            double[] logits = new double[n], exact = new double[dv];
            int count = Math.min(rows, n);
            for (int h = 0; h < heads; h++) {
                for (int r = 0; r < count; r++) {
                    int i = count == 1 ? n - 1 : (int) Math.round((double) r * (n - 1) / (count - 1));
                    int keys = causal ? i + 1 : n;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < keys; j++) {
                        double dot = 0;
                        for (int d = 0, qi = q.index(0, h, i, 0), ki = k.index(0, h, j, 0); d < dim; d++) {
                            dot += (double) qd[qi + d] * kd[ki + d];
                        }
                        logits[j] = dot * scale;
                        max = Math.max(max, logits[j]);
                    }
                    java.util.Arrays.fill(exact, 0);
                    double sum = 0;
                    for (int j = 0; j < keys; j++) {
                        double w = Math.exp(logits[j] - max);
                        sum += w;
                        for (int d = 0, vi = v.index(0, h, j, 0); d < dv; d++) exact[d] += w * vd[vi + d];
                    }
                    for (int d = 0; d < dv; d++) {
                        double e = exact[d] / sum, got = out.get(0, h, i, d);
                        se += (got - e) * (got - e);
                        sr += e * e;
                    }
                }
            }
            return Math.sqrt(se / sr);
        }

        private static Tensor uniform(SplittableRandom random, int heads, int n, int dim) {
            Tensor t = Tensor.zeros(1, heads, n, dim);
            float[] data = t.data();
            for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextDouble() * 2 - 1);
            return t;
        }

        private static Tensor negated(Tensor t) {
            Tensor copy = t.copy();
            float[] data = copy.data();
            for (int i = 0; i < data.length; i++) data[i] = -data[i];
            return copy;
        }
    }
}
