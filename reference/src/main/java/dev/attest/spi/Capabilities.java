package dev.attest.spi;

import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Precision;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a backend declares it supports: contract features, the element types of its tensors and its accumulation
 * precision. Capability is data (PyTorch OpInfo style): the suite reads it to decide which properties apply and in
 * which types, and checks it in both directions — declared features and types must work, undeclared ones must be
 * refused.
 *
 * @param features  the contract features the backend implements
 * @param precision the precision it accumulates in (fp32 for a bf16 kernel with fp32 accumulators, fp16 for one that
 *                  accumulates in half); the tolerance model's baseline accumulates in the same precision
 * @param types     the combinations of Q, K, V and output types it takes; fp32 alone unless it says more
 */
public record Capabilities(Set<Feature> features, Precision precision, Set<TensorTypes> types) {

    public Capabilities {
        InvalidProblemException.require(features != null && precision != null && types != null && !types.isEmpty(),
                "capabilities need a feature set, a precision and at least one combination of element types");
        Set<Feature> declared = features.isEmpty() ? EnumSet.noneOf(Feature.class) : EnumSet.copyOf(features);
        types = Collections.unmodifiableSet(new java.util.LinkedHashSet<>(types));
        // LOW_PRECISION follows the types, whatever the feature set said (everything() lists every feature)
        declared.remove(Feature.LOW_PRECISION);
        if (types.stream().anyMatch(t -> !t.isFp32())) declared.add(Feature.LOW_PRECISION);
        features = Collections.unmodifiableSet(declared);
    }

    /** fp32 tensors only. */
    public Capabilities(Set<Feature> features, Precision precision) {
        this(features, precision, Set.of(TensorTypes.FP32));
    }

    /** Every feature of the contract, in the given precision, on fp32 tensors. */
    public static Capabilities everything(Precision precision) {
        return new Capabilities(EnumSet.allOf(Feature.class), precision);
    }

    /** The same, without {@code dropped} (a wrapper that cannot promise them). */
    public Capabilities without(Feature... dropped) {
        Set<Feature> kept = EnumSet.copyOf(features.isEmpty() ? EnumSet.noneOf(Feature.class) : features);
        kept.removeAll(java.util.List.of(dropped));
        return new Capabilities(kept, precision, types);
    }

    /** The same features and precision, taking {@code newTypes}. */
    public Capabilities withTypes(Set<TensorTypes> newTypes) {
        return new Capabilities(features, precision, newTypes);
    }

    public boolean supports(TensorTypes combination) {
        return types.contains(combination);
    }

    /**
     * Refuses a call this backend has not declared: a missing feature or a combination of element types it does not
     * take (the message names every tensor's type and what is declared).
     */
    public void require(String backend, dev.attest.reference.AttentionProblem problem, dev.attest.reference.Tensor out) {
        require(backend, problem, out, null);
    }

    /** As {@link #require(String, dev.attest.reference.AttentionProblem, dev.attest.reference.Tensor)}, with {@code aux}. */
    public void require(String backend, dev.attest.reference.AttentionProblem problem, dev.attest.reference.Tensor out,
                        dev.attest.reference.AuxiliaryOutputs aux) {
        requireAll(backend, Feature.requiredBy(problem, out, aux));
        requireTypes(backend, TensorTypes.of(problem, out));
    }

    private void requireTypes(String backend, TensorTypes asked) {
        if (!types.contains(asked)) {
            throw new UnsupportedFeatureException("backend " + backend + " does not take element types " + asked
                    + " (it declares " + types + ")");
        }
    }

    /** Refuses a paged call this backend has not declared: PAGED_KV, what its contiguous meaning needs, its types. */
    public void requirePaged(String backend, dev.attest.reference.paged.PagedProblem problem,
                             dev.attest.reference.Tensor out) {
        requireAll(backend, Feature.requiredBy(problem, out));
        requireTypes(backend, TensorTypes.of(problem, out));
    }

    /** Refuses a packed call this backend has not declared: PACKED_VARLEN, the options, its element types. */
    public void requirePacked(String backend, dev.attest.reference.packed.PackedProblem problem,
                              dev.attest.reference.Tensor out) {
        requireAll(backend, Feature.requiredBy(problem, out));
        requireTypes(backend, TensorTypes.of(problem, out));
    }

    /** Refuses a packed layer call this backend has not declared: its features, or a layer type it does not take. */
    public void requirePackedLayer(String backend, dev.attest.reference.packed.PackedLayerProblem problem) {
        requireAll(backend, Feature.requiredBy(problem));
        TensorTypes asked = TensorTypes.uniform(problem.input().type());
        if (!types.contains(asked)) {
            throw new UnsupportedFeatureException("backend " + backend + " does not take a " + problem.input().type()
                    + " layer (element types " + asked + "; it declares " + types + ")");
        }
    }

    /** Refuses a layer call this backend has not declared: a missing feature, or a layer type it does not take. */
    public void requireLayer(String backend, dev.attest.reference.LayerProblem problem) {
        requireAll(backend, Feature.requiredBy(problem));
        TensorTypes asked = TensorTypes.uniform(problem.type());
        if (!types.contains(asked)) {
            throw new UnsupportedFeatureException("backend " + backend + " does not take a " + problem.type()
                    + " layer (element types " + asked + "; it declares " + types + ")");
        }
    }

    /**
     * Refuses a KV cache this backend has not declared: a missing feature, or cache types whose combination (chunks
     * and outputs in the activation type, K and V in the storage type) it does not take.
     */
    public void requireCache(String backend, dev.attest.reference.cache.CacheSpec spec) {
        requireAll(backend, Feature.requiredBy(spec));
        TensorTypes asked = TensorTypes.of(spec.types());
        if (!types.contains(asked)) {
            throw new UnsupportedFeatureException("backend " + backend + " does not take a cache of " + spec.types()
                    + " (element types " + asked + "; it declares " + types + ")");
        }
    }

    public boolean supports(Feature feature) {
        return features.contains(feature);
    }

    /** The required features this backend lacks (empty when it supports them all). */
    public Set<Feature> missing(Set<Feature> required) {
        Set<Feature> missing = EnumSet.noneOf(Feature.class);
        for (Feature f : required) if (!features.contains(f)) missing.add(f);
        return missing;
    }

    /** Throws {@link UnsupportedFeatureException} naming the backend and every missing feature. */
    public void requireAll(String backend, Set<Feature> required) {
        Set<Feature> missing = missing(required);
        if (!missing.isEmpty()) throw new UnsupportedFeatureException(backend, missing);
    }
}
