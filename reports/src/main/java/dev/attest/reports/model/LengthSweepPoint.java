package dev.attest.reports.model;

/**
 * One point of linear against softmax attention as the sequence grows: a backend's forward pass at one length, its
 * latency with its interval, and its error against exact softmax attention on the same Q, K, V.
 *
 * @param backend  the backend timed (a {@code linear-*} backend, or the softmax backend of the sweep)
 * @param kind     {@code linear} or {@code softmax}
 * @param form     {@code causal} or {@code non-causal}
 * @param length   n = Sq = Skv
 * @param features m, the random features of the linear backend's FAVOR+ map (null for softmax)
 * @param latency  one forward pass, median with its 95% interval and reliability
 * @param error    relative RMS error of the output against softmax attention computed in double, on the sampled
 *                 query rows of every head (for softmax that is its own rounding; for linear, the approximation)
 */
public record LengthSweepPoint(String backend, String kind, String form, int length, Integer features,
                               Interval latency, double error) {
    public static final String LINEAR = "linear", SOFTMAX = "softmax", CAUSAL = "causal", NON_CAUSAL = "non-causal";

    /** The series this point belongs to: backend and form. */
    public String series() {
        return backend + " " + form;
    }
}
