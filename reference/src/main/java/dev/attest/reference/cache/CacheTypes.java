package dev.attest.reference.cache;

import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * The element types of a KV cache: what its chunks and outputs are in ({@code activations}: fp32, fp16 or bf16, the
 * chunk's Q, K, V and the output alike) and what it stores keys and values in ({@code storage}). A bf16 model
 * serving from an fp8 cache is {@code (BF16, FP8_E4M3)} with the cache's descales, as vLLM and FlashInfer run it.
 *
 * <p>Storing a key is a quantisation the contract fixes, so that a cache can be checked bit for bit: the key's
 * value divided by the descale of its (batch, kv head), rounded to nearest-even in the storage type; fp8 saturates
 * at its largest finite value (vLLM's {@code scaled_fp8_conversion}, FlashAttention 3's and Transformer Engine's
 * casts with {@code satfinite}), fp16 and bf16 round as a cast does (overflow to infinity). Reading a key back is
 * its stored value times the same descale.
 *
 * @param keyDescale   per tensor or per kv head (batches 1 or B); required when storage is fp8, else null
 * @param valueDescale the same for values
 */
public record CacheTypes(ElementType activations, ElementType storage, Descale keyDescale, Descale valueDescale) {
    public static final CacheTypes FP32 = new CacheTypes(ElementType.FP32, ElementType.FP32, null, null);

    public CacheTypes {
        require(activations != null && storage != null, "a cache needs its activation and storage element types");
        require(!activations.isFp8(), "cache chunks and outputs are fp32, fp16 or bf16, not %s", activations);
        if (storage.isFp8()) {
            require(keyDescale != null && valueDescale != null,
                    "an %s cache needs its key and value descales (k_descale, v_descale)", storage);
        } else {
            require(keyDescale == null && valueDescale == null,
                    "only an fp8 cache carries descales; this one stores %s", storage);
        }
    }

    /** Chunks, outputs and storage all in {@code type} (fp32, fp16 or bf16). */
    public static CacheTypes uniform(ElementType type) {
        return new CacheTypes(type, type, null, null);
    }

    /** Activations in {@code activations}, keys and values stored in {@code storage} (not fp8). */
    public static CacheTypes of(ElementType activations, ElementType storage) {
        return new CacheTypes(activations, storage, null, null);
    }

    /** An fp8 cache with its key and value descales. */
    public static CacheTypes fp8(ElementType activations, ElementType storage, Descale keyDescale, Descale valueDescale) {
        return new CacheTypes(activations, storage, keyDescale, valueDescale);
    }

    public boolean isFp32() {
        return activations == ElementType.FP32 && storage == ElementType.FP32;
    }

    /** The descale of (batch b, kv head g) for keys: 1 unless the cache is fp8. */
    public float keyFactor(int b, int g) {
        return keyDescale == null ? 1f : keyDescale.factor(b, g);
    }

    public float valueFactor(int b, int g) {
        return valueDescale == null ? 1f : valueDescale.factor(b, g);
    }

    /** The stored bits of {@code value} (a key or value of an activation-typed chunk) under {@code factor}. */
    public int quantize(double value, float factor) {
        double scaled = value / factor;
        return storage.encode(storage.isFp8() ? storage.roundSaturating(scaled) : scaled);
    }

    /** The value of stored bits under {@code factor}, exactly (fp8 times its descale in double). */
    public double dequantize(int bits, float factor) {
        return (double) storage.decode(bits) * factor;
    }

    @Override
    public String toString() {
        String s = activations == storage ? activations.token() : activations + " with a " + storage + " cache";
        if (keyDescale != null) s += " (k_descale " + keyDescale + ", v_descale " + valueDescale + ")";
        return s;
    }
}
