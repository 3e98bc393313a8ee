package dev.attest.reports.model;

/**
 * Linear-attention error against exact softmax attention at m random features (one point of
 * {@code ApproximationSweep}, averaged over seeded redraws of the features).
 *
 * @param backend       the linear backend that computed it (e.g. {@code linear-parallel})
 * @param variant       the feature map: {@code favor+ iid} or {@code favor+ orthogonal}
 * @param length        sequence length S of the sweep's problem
 * @param features      m, the number of random features
 * @param error         relative RMS error of the output against softmax attention
 * @param maxAbsError   max-abs error of the output against softmax attention
 * @param kernelMse     the kernel estimate's relative MSE E[(φ(q)ᵀφ(k) − SM(q,k))²]/SM² over all (q, k) pairs
 * @param theory        the same relative MSE from the Performer closed form (Lemma 2; i.i.d. features only, else null)
 * @param latencyMillis median time of one forward pass at this m (null when latency was not measured)
 * @param latency       the same with its 95% interval and reliability (absent in older reports)
 */
public record LinearErrorPoint(String backend, String variant, int length, int features, double error,
                               double maxAbsError, double kernelMse, Double theory, Double latencyMillis,
                               Interval latency) {
    public LinearErrorPoint {
        if (theory != null && !Double.isFinite(theory)) theory = null;
        if (latencyMillis != null && !Double.isFinite(latencyMillis)) latencyMillis = null;
    }

    public LinearErrorPoint(String backend, String variant, int length, int features, double error,
                            double maxAbsError, double kernelMse, Double theory, Double latencyMillis) {
        this(backend, variant, length, features, error, maxAbsError, kernelMse, theory, latencyMillis, null);
    }
}
