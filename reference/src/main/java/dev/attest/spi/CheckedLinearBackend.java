package dev.attest.spi;

import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearState;
import dev.attest.reference.Tensor;

/**
 * Base for linear backends: refuses undeclared features and misfit outputs or states before anything is written,
 * so a subclass only computes.
 */
public abstract class CheckedLinearBackend implements LinearAttentionBackend {
    private final String name;
    private final String description;
    private final LinearCapabilities capabilities;

    protected CheckedLinearBackend(String name, String description, LinearCapabilities capabilities) {
        this.name = name;
        this.description = description;
        this.capabilities = capabilities;
    }

    @Override public final String name() { return name; }
    @Override public final String description() { return description; }
    @Override public final LinearCapabilities capabilities() { return capabilities; }

    @Override
    public final LinearState forward(LinearProblem problem, Tensor out) {
        capabilities.requireAll(name, problem);
        problem.requireOutput(out);
        if (problem.initialState() != null) problem.initialState().requireFits(problem.spec());
        return compute(problem, out);
    }

    /** Computes a checked problem. */
    protected abstract LinearState compute(LinearProblem problem, Tensor out);

    @Override
    public String toString() {
        return name;
    }
}
