package dev.attest.reports.timing;

import dev.attest.reference.Tensor;

/**
 * A timed workload with its integrity check ({@link OutputCheck}): two calls that write the same output tensor from
 * two different inputs, alternated, so that no call repeats the one before it. Each is made once untimed first, and
 * its output kept as what every timed call on that input must write again, bit for bit; the output is poisoned
 * before each sample and compared after it.
 */
public final class AlternatingCalls implements Sampler.Workload {
    private final Tensor out;
    private final Runnable a, b;
    private final int[] expectedA, expectedB;
    private boolean lastWasA;

    public AlternatingCalls(Tensor out, Runnable a, Runnable b) {
        this.out = out;
        this.a = a;
        this.b = b;
        a.run();
        expectedA = OutputCheck.snapshot(out);
        b.run();
        expectedB = OutputCheck.snapshot(out);
    }

    @Override
    public void call() {
        lastWasA = !lastWasA;
        (lastWasA ? a : b).run();
    }

    @Override
    public void beforeSample() {
        OutputCheck.poison(out);
    }

    @Override
    public String afterSample() {
        return OutputCheck.mismatch(out, lastWasA ? expectedA : expectedB, lastWasA ? "input A" : "input B");
    }
}
