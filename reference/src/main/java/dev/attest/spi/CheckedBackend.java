package dev.attest.spi;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Tensor;

/**
 * A convenient base for backends: it keeps the name, description and capabilities, and does the checks every
 * backend owes its callers before it writes anything — undeclared features refused with
 * {@link UnsupportedFeatureException}, a wrong output shape refused naming the axis — so that a subclass only
 * computes.
 */
public abstract class CheckedBackend implements AttentionBackend {
    private final String name;
    private final String description;
    private final Capabilities capabilities;

    protected CheckedBackend(String name, String description, Capabilities capabilities) {
        this.name = name;
        this.description = description;
        this.capabilities = capabilities;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public final void attention(AttentionProblem problem, Tensor out) {
        capabilities.require(name, problem, out);
        problem.requireOutput(out);
        computeAttention(problem, out);
    }

    @Override
    public final void attention(AttentionProblem problem, Tensor out, dev.attest.reference.AuxiliaryOutputs aux) {
        if (aux == null || aux.isEmpty()) {
            attention(problem, out);
            return;
        }
        capabilities.require(name, problem, out, aux);
        problem.requireOutput(out);
        aux.requireMatches(problem.spec());
        computeAttention(problem, out, aux);
    }

    /**
     * Core attention with auxiliary outputs, on a checked problem; LOG_SUM_EXP or ATTENTION_SCORES backends
     * override (one pass that writes both, as a kernel returns its softmax_lse).
     */
    protected void computeAttention(AttentionProblem problem, Tensor out, dev.attest.reference.AuxiliaryOutputs aux) {
        throw new IllegalStateException("backend " + name + " declares auxiliary outputs but does not compute them");
    }

    @Override
    public final void pagedAttention(dev.attest.reference.paged.PagedProblem problem, Tensor out) {
        capabilities.requirePaged(name, problem, out);
        problem.requireOutput(out);
        computePagedAttention(problem, out);
    }

    @Override
    public final void packedAttention(dev.attest.reference.packed.PackedProblem problem, Tensor out) {
        capabilities.requirePacked(name, problem, out);
        problem.requireOutput(out);
        computePackedAttention(problem, out);
    }

    @Override
    public final void packedLayer(dev.attest.reference.packed.PackedLayerProblem problem, Tensor out) {
        capabilities.requirePackedLayer(name, problem);
        problem.requireOutput(out);
        problem.runEach((b, alone, rows) -> computeLayer(alone, rows), out);
    }

    @Override
    public final void layer(LayerProblem problem, Tensor out) {
        capabilities.requireLayer(name, problem);
        problem.requireOutput(out);
        computeLayer(problem, out);
    }

    @Override
    public final KvCache openCache(dev.attest.reference.cache.CacheSpec spec) {
        dev.attest.reference.InvalidProblemException.require(spec != null, "cache spec must not be null");
        dev.attest.reference.InvalidProblemException.require(!spec.isLayer(),
                "openCache is for core attention; this spec has a layer, use openLayerCache");
        capabilities.requireCache(name, spec);
        return ChunkCheckedCache.of(name, capabilities, createCache(spec, null));
    }

    @Override
    public final KvCache openLayerCache(dev.attest.reference.cache.CacheSpec spec,
                                        dev.attest.reference.LayerWeights weights) {
        dev.attest.reference.InvalidProblemException.require(spec != null && spec.isLayer(),
                "openLayerCache needs a cache spec with a layer (CacheSpec.layer)");
        dev.attest.reference.InvalidProblemException.require(weights != null, "layer weights must not be null");
        capabilities.requireCache(name, spec);
        weights.requireMatches(spec.layer());
        return ChunkCheckedCache.of(name, capabilities, createCache(spec, weights));
    }

    /** An empty cache on a checked spec ({@code weights} null for core attention); KV_CACHE backends override. */
    protected KvCache createCache(dev.attest.reference.cache.CacheSpec spec, dev.attest.reference.LayerWeights weights) {
        throw new IllegalStateException("backend " + name + " declares KV_CACHE but does not implement createCache");
    }

    /** Core attention on a problem already checked against the capabilities and {@code out}. */
    protected abstract void computeAttention(AttentionProblem problem, Tensor out);

    /**
     * Paged attention on a checked problem: by default its contiguous meaning (the blocks gathered); a backend whose
     * kernel reads blocks in place overrides it.
     */
    protected void computePagedAttention(dev.attest.reference.paged.PagedProblem problem, Tensor out) {
        computeAttention(problem.contiguous(), out);
    }

    /** A packed batch on a checked problem: by default each sequence alone; a varlen kernel overrides it. */
    protected void computePackedAttention(dev.attest.reference.packed.PackedProblem problem, Tensor out) {
        problem.runEach((b, alone, rows) -> computeAttention(alone, rows), out);
    }

    /** The layer on a checked problem; backends that declare {@link Feature#LAYER} override it. */
    protected void computeLayer(LayerProblem problem, Tensor out) {
        throw new IllegalStateException("backend " + name + " declares LAYER but does not implement computeLayer");
    }
}
