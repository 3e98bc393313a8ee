package dev.attest.reference;

import java.util.ArrayList;
import java.util.List;

import static dev.attest.reference.InvalidProblemException.require;
import static dev.attest.reference.InvalidProblemException.requirePositive;

/**
 * The multi-head attention layer around the core (DESIGN.md "The multi-head layer"):
 * <pre>
 *   X (B, Sq, dModel)                 memory M (B, Skv, dMemory) for cross-attention, else M = X
 *   Q = X*Wq + bq [+ (alpha/r) X*Aq*Bq]     -> (B, Sq, Hq*Dqk)  -> heads, rotary at query positions
 *   K = M*Wk + bk [+ (alpha/r) M*Ak*Bk]     -> (B, Skv, Hkv*Dqk) -> heads, rotary at key positions
 *   V = M*Wv + bv [+ (alpha/r) M*Av*Bv]     -> (B, Skv, Hkv*Dv)
 *   O = core attention(Q, K, V)              -> (B, Sq, Hq*Dv), heads concatenated in order
 *   Y = O*Wo + bo                            -> (B, Sq, dOut)
 * </pre>
 * Head {@code h} owns columns {@code [h*D, (h+1)*D)} of its projection.
 *
 * @param core         the core attention problem the layer builds (its B, heads, lengths and head dims)
 * @param modelDim     width of X
 * @param memoryDim    width of the cross-attention memory, or 0 for self-attention (K/V come from X)
 * @param outputDim    width of Y
 * @param biases       whether the Q/K/V and output projections carry biases
 * @param rotary       rotary embedding of Q and K, or {@code null}
 * @param loraRank     rank of the LoRA adapters on Q/K/V, or 0 for none
 */
public record LayerSpec(AttentionSpec core, int modelDim, int memoryDim, int outputDim, boolean biases,
                        Rotary rotary, int loraRank) {

    public LayerSpec {
        require(core != null, "layer needs a core attention spec");
        requirePositive("model dim dModel", modelDim);
        require(memoryDim >= 0, "memory dim must be >= 0 (0 = self-attention), was %d", memoryDim);
        requirePositive("output dim dOut", outputDim);
        require(loraRank >= 0, "LoRA rank must be >= 0 (0 = none), was %d", loraRank);
        if (memoryDim == 0) {
            InvalidProblemException.requireSame("self-attention sequence length", "query length Sq", core.qLength(),
                    "key/value length Skv", core.kvLength());
        }
        if (rotary != null) {
            require(rotary.dims() <= core.qkHeadDim(), "rotary dims %d exceed the query/key head dim Dqk = %d",
                    rotary.dims(), core.qkHeadDim());
        }
    }

    public boolean crossAttention() {
        return memoryDim > 0;
    }

    /** Width of the sequence K and V are projected from: the memory for cross-attention, else X. */
    public int keyValueSourceDim() {
        return crossAttention() ? memoryDim : modelDim;
    }

    public int qWidth() {
        return core.qHeads() * core.qkHeadDim();
    }

    public int kWidth() {
        return core.kvHeads() * core.qkHeadDim();
    }

    public int vWidth() {
        return core.kvHeads() * core.vHeadDim();
    }

    /** Width of the concatenated heads entering the output projection. */
    public int concatWidth() {
        return core.qHeads() * core.vHeadDim();
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add(core.toString());
        parts.add("dModel=" + modelDim);
        if (crossAttention()) parts.add("cross dMemory=" + memoryDim);
        if (outputDim != modelDim) parts.add("dOut=" + outputDim);
        if (biases) parts.add("biases");
        if (rotary != null) parts.add(rotary.toString());
        if (loraRank > 0) parts.add("lora=" + loraRank);
        return String.join(" ", parts);
    }
}
