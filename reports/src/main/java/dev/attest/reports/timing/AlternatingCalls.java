package dev.attest.reports.timing;

import dev.attest.reference.Tensor;

/**
 * A timed workload with its integrity check ({@link OutputCheck}): two calls that write the same output tensor from
 * two different inputs, alternated, so that no call repeats the one before it. Each is made once untimed before
 * warm-up (cold) and once after it (warm); the warm output must agree with the cold one within the JIT's rounding,
 * and every timed call on that input must write the warm one again, bit for bit. The output is poisoned before each
 * sample and compared after it.
 */
public final class AlternatingCalls implements Sampler.Workload {
    private final Tensor out;
    private final Runnable a, b;
    private final int[] coldA, coldB;
    private int[] expectedA, expectedB;
    private boolean lastWasA;

    public AlternatingCalls(Tensor out, Runnable a, Runnable b) {
        this.out = out;
        this.a = a;
        this.b = b;
        a.run();
        coldA = OutputCheck.snapshot(out);
        b.run();
        coldB = OutputCheck.snapshot(out);
    }

    @Override
    public String afterWarmUp() {
        OutputCheck.poison(out);
        a.run();
        expectedA = OutputCheck.snapshot(out);
        OutputCheck.poison(out);
        b.run();
        expectedB = OutputCheck.snapshot(out);
        lastWasA = false;
        String drift = OutputCheck.drift(out.type(), coldA, expectedA, "input A");
        return drift != null ? drift : OutputCheck.drift(out.type(), coldB, expectedB, "input B");
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
