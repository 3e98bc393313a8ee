package dev.attest.spi;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Tensor;

import java.util.Optional;

/**
 * An attention implementation under test. Backends are found with {@link java.util.ServiceLoader}: a jar that
 * lists its class in {@code META-INF/services/dev.attest.spi.AttentionBackend} (and has a public no-argument
 * constructor) joins the suite without any change to Attest.
 *
 * <p>Contract for every method that computes:
 * <ul>
 *   <li>first check {@link Capabilities#require} (features from {@link Feature#requiredBy}, and the tensors'
 *       element types), so an undeclared feature or type is refused with {@link UnsupportedFeatureException} before
 *       anything is written;</li>
 *   <li>read and write tensors in their own element type ({@link Tensor#type()}): a bf16 tensor's bits are in
 *       {@link Tensor#bits16()}, an fp8 tensor's in {@link Tensor#bits8()} with its {@link Tensor#descale()};</li>
 *   <li>write every element of {@code out} (whatever it held before) and nothing else; never modify an input;</li>
 *   <li>be deterministic: the same inputs give bit-identical outputs.</li>
 * </ul>
 */
public interface AttentionBackend {

    /** Short stable name used on the command line and in reports, e.g. {@code cpu-naive}. */
    String name();

    /** One line on how it computes, for reports. */
    default String description() {
        return name();
    }

    Capabilities capabilities();

    /**
     * The processor its kernels run on: {@code cpu} (the default), or e.g. {@code cuda}. A report reads a CPU
     * backend's GFLOP/s against the CPU's measured FMA peak and flags a figure above it as implausible; a backend on
     * another device is not held to the CPU's roofline.
     */
    default String runsOn() {
        return "cpu";
    }

    /** Why the backend cannot run on this machine (no GPU, missing native library), or empty when it can. */
    default Optional<String> unavailableReason() {
        return Optional.empty();
    }

    /** Core attention: writes {@code out} with logical shape (B, Hq, Sq, Dv), in any layout. */
    void attention(AttentionProblem problem, Tensor out);

    /**
     * Core attention over a paged KV ({@link Feature#PAGED_KV}): writes {@code out} (B, Hq, Sq, Dv). A paged problem
     * means its {@link dev.attest.reference.paged.PagedProblem#contiguous() contiguous} problem, so the default
     * gathers the blocks and calls {@link #attention}; a serving kernel overrides it to read the blocks in place.
     */
    default void pagedAttention(dev.attest.reference.paged.PagedProblem problem, Tensor out) {
        capabilities().requirePaged(name(), problem, out);
        problem.requireOutput(out);
        attention(problem.contiguous(), out);
    }

    /**
     * Core attention over a packed variable-length batch ({@link Feature#PACKED_VARLEN}): writes {@code out}
     * (totalQ, Hq, Dv). It means each sequence run alone, so the default runs {@link #attention} on each; a varlen
     * kernel overrides it.
     */
    default void packedAttention(dev.attest.reference.packed.PackedProblem problem, Tensor out) {
        capabilities().requirePacked(name(), problem, out);
        problem.requireOutput(out);
        problem.runEach((b, alone, rows) -> attention(alone, rows), out);
    }

    /**
     * The layer over a packed variable-length batch ({@link Feature#PACKED_VARLEN} and {@link Feature#LAYER}):
     * writes {@code out} (totalX, dOut). It means each sequence through the layer alone; the default does that.
     */
    default void packedLayer(dev.attest.reference.packed.PackedLayerProblem problem, Tensor out) {
        capabilities().requirePackedLayer(name(), problem);
        problem.requireOutput(out);
        problem.runEach((b, alone, rows) -> layer(alone, rows), out);
    }

    /**
     * Core attention that also returns {@code aux} (the log-sum-exp, the scores at a stage; features
     * {@link Feature#LOG_SUM_EXP}, {@link Feature#ATTENTION_SCORES}). The default takes only an empty {@code aux}.
     */
    default void attention(AttentionProblem problem, Tensor out, dev.attest.reference.AuxiliaryOutputs aux) {
        if (aux != null && !aux.isEmpty()) {
            capabilities().requireAll(name(), Feature.requiredBy(problem, out, aux));
            throw new IllegalStateException("backend " + name() + " declares " + Feature.requiredBy(problem, out, aux)
                    + " but does not implement attention(problem, out, aux)");
        }
        attention(problem, out);
    }

    /** The multi-head layer: writes {@code out} with shape (B, Sq, dOut). */
    default void layer(LayerProblem problem, Tensor out) {
        capabilities().requireLayer(name(), problem);
        throw new IllegalStateException("backend " + name() + " declares LAYER but does not implement layer()");
    }

    /**
     * Opens an empty KV cache for core attention (chunks of Q, K, V). Backends that do not declare
     * {@link Feature#KV_CACHE} refuse with {@link UnsupportedFeatureException}.
     */
    default KvCache openCache(dev.attest.reference.cache.CacheSpec spec) {
        capabilities().requireCache(name(), spec);
        throw new UnsupportedFeatureException(name(), java.util.Set.of(Feature.KV_CACHE));
    }

    /**
     * Opens a core KV cache holding {@code past} (ONNX {@code past_key}/{@code past_value}): the cache that appended
     * those keys. The default opens an empty cache and appends the past as one chunk: its keys alone where the
     * backend takes uneven chunks (no attention computed), else with one zero query per key (outputs discarded),
     * which every {@link Feature#KV_CACHE} backend can; a backend may store them directly instead.
     */
    default KvCache openCache(dev.attest.reference.cache.CacheSpec spec, dev.attest.reference.cache.Past past) {
        if (past == null) throw new dev.attest.reference.InvalidProblemException("openCache needs past K and V");
        if (spec != null) past.requireMatches(spec);
        KvCache cache = openCache(spec);
        boolean keysOnly = spec.eviction() == dev.attest.reference.cache.Eviction.NONE
                && capabilities().supports(Feature.KV_CACHE_UNEVEN_CHUNKS);
        dev.attest.reference.cache.Chunk chunk = past.asChunk(spec, keysOnly);
        if (chunk.width() > 0) cache.append(chunk, Tensor.zeros(spec.types().activations(), chunk.outputShape(spec)));
        return cache;
    }

    /** Opens an empty KV cache for the layer {@code spec.layer()} with these weights (chunks of X). */
    default KvCache openLayerCache(dev.attest.reference.cache.CacheSpec spec, dev.attest.reference.LayerWeights weights) {
        capabilities().requireCache(name(), spec);
        throw new UnsupportedFeatureException(name(), java.util.Set.of(Feature.KV_CACHE));
    }
}
