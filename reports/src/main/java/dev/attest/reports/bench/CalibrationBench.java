package dev.attest.reports.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A fixed plain-Java workload (a 96x96 float matrix product) measured in every run beside the backends, so that
 * {@code attest compare} can judge a slowdown relative to the machine's speed of the day rather than in absolute
 * time: reports from different CI machines stay comparable.
 */
@State(Scope.Benchmark)
public class CalibrationBench {
    static final int N = 96;
    private final float[] a = new float[N * N], b = new float[N * N], c = new float[N * N];

    @Setup
    public void setup() {
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 7) * 0.25f;
            b[i] = (i % 5) * 0.5f;
        }
    }

    @Benchmark
    public float[] matmul() {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) c[i * N + j] = 0;
            for (int k = 0; k < N; k++) {
                float aik = a[i * N + k];
                for (int j = 0; j < N; j++) c[i * N + j] += aik * b[k * N + j];
            }
        }
        return c;
    }
}
