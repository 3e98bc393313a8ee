package dev.attest.spi;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;

import java.util.List;

/**
 * The element types of one attention call: Q, K, V and the output. They may differ (a bf16 query against an fp8
 * KV cache with a bf16 output, as FlashAttention 3 and vLLM run); the output is fp32, fp16 or bf16.
 */
public record TensorTypes(ElementType query, ElementType key, ElementType value, ElementType output) {
    public static final TensorTypes FP32 = uniform(ElementType.FP32);

    public TensorTypes {
        dev.attest.reference.InvalidProblemException.require(query != null && key != null && value != null
                && output != null, "every tensor needs an element type");
        dev.attest.reference.InvalidProblemException.require(!output.isFp8(),
                "the output is fp32, fp16 or bf16, not %s", output);
    }

    /** Every tensor in {@code type} (fp32, fp16 or bf16). */
    public static TensorTypes uniform(ElementType type) {
        return new TensorTypes(type, type, type, type);
    }

    /** Q and the output in {@code activations}, K and V in {@code cache} (an fp8 or bf16 KV cache). */
    public static TensorTypes withCache(ElementType activations, ElementType cache) {
        return new TensorTypes(activations, cache, cache, activations);
    }

    public static TensorTypes of(AttentionProblem problem, Tensor out) {
        return new TensorTypes(problem.query().type(), problem.key().type(), problem.value().type(),
                out == null ? ElementType.FP32 : out.type());
    }

    /** Q and the output as given, K and V in the pools' element type. */
    public static TensorTypes of(dev.attest.reference.paged.PagedProblem problem, Tensor out) {
        return new TensorTypes(problem.query().type(), problem.kv().type(), problem.kv().type(),
                out == null ? ElementType.FP32 : out.type());
    }

    /** The packed tensors' types and the output's. */
    public static TensorTypes of(dev.attest.reference.packed.PackedProblem problem, Tensor out) {
        return new TensorTypes(problem.query().type(), problem.key().type(), problem.value().type(),
                out == null ? ElementType.FP32 : out.type());
    }

    /** The types a KV cache asks for: chunks and outputs in its activation type, K and V in its storage type. */
    public static TensorTypes of(dev.attest.reference.cache.CacheTypes cache) {
        return new TensorTypes(cache.activations(), cache.storage(), cache.storage(), cache.activations());
    }

    /** Whether a KV cache can take these types: one activation type for Q and the output, one storage type for K, V. */
    public boolean isCacheShaped() {
        return query == output && key == value;
    }

    /**
     * The combinations a kernel author meets: fp32, fp16 and bf16 end to end; bf16 and fp16 activations over an fp8
     * KV cache (E4M3 and E5M2: FlashAttention 3, vLLM); fp32 activations over a bf16 cache. The kit draws from
     * whichever of them, or others, a backend declares.
     */
    public static final List<TensorTypes> COMMON = List.of(FP32, uniform(ElementType.FP16), uniform(ElementType.BF16),
            withCache(ElementType.BF16, ElementType.FP8_E4M3), withCache(ElementType.BF16, ElementType.FP8_E5M2),
            withCache(ElementType.FP16, ElementType.FP8_E4M3), withCache(ElementType.FP32, ElementType.BF16));

    public List<ElementType> inputs() {
        return List.of(query, key, value);
    }

    /** fp16 or bf16 for every tensor: the types a layer takes besides fp32. */
    public boolean isUniformHalf() {
        return query == key && key == value && value == output && query.bits() == 16;
    }

    public boolean isFp32() {
        return equals(FP32);
    }

    /** The combination {@link #toString()} wrote: "bf16", or "q=bf16 k=fp8_e4m3 v=fp8_e4m3 out=bf16". */
    public static TensorTypes parse(String text) {
        if (!text.contains("=")) return uniform(ElementType.ofToken(text.trim()));
        java.util.Map<String, ElementType> named = new java.util.HashMap<>();
        for (String part : text.trim().split("\\s+")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2 || !List.of("q", "k", "v", "out").contains(kv[0]) || named.containsKey(kv[0])) {
                throw new dev.attest.reference.InvalidProblemException("element types '" + text + "': '" + part
                        + "' is not one of q=, k=, v=, out= (each once)");
            }
            named.put(kv[0], ElementType.ofToken(kv[1]));
        }
        if (named.size() != 4) {
            throw new dev.attest.reference.InvalidProblemException("element types '" + text + "' need q=, k=, v= and out=");
        }
        return new TensorTypes(named.get("q"), named.get("k"), named.get("v"), named.get("out"));
    }

    /** "bf16" when uniform, else "q=bf16 k=fp8_e4m3 v=fp8_e4m3 out=bf16". */
    @Override
    public String toString() {
        if (query == key && key == value && value == output) return query.token();
        return "q=" + query + " k=" + key + " v=" + value + " out=" + output;
    }
}
