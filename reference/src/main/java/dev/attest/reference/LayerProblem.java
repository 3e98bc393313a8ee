package dev.attest.reference;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * One call of the multi-head layer: spec, weights, input X (B, Sq, dModel), the cross-attention memory
 * (B, Skv, dMemory) or {@code null}, an optional mask and key lengths over the core's (B, Hq, Sq, Skv), and the
 * absolute positions of the first query and first key for rotary embeddings (a KV cache makes them differ from 0).
 */
public record LayerProblem(LayerSpec spec, LayerWeights weights, Tensor input, Tensor memory, Mask mask,
                           int[] keyLengths, int queryPosition, int keyPosition) {

    public LayerProblem {
        require(spec != null, "layer spec must not be null");
        require(weights != null, "layer weights must not be null");
        weights.requireMatches(spec);
        AttentionSpec core = spec.core();
        sequence("X", input, core.batch(), core.qLength(), spec.modelDim(), "Sq", "dModel");
        if (spec.crossAttention()) {
            sequence("memory", memory, core.batch(), core.kvLength(), spec.memoryDim(), "Skv", "dMemory");
        } else {
            require(memory == null, "memory given but the layer is self-attention (memory dim 0)");
        }
        if (mask != null) mask.broadcastTo(core.batch(), core.qHeads(), core.qLength(), core.kvLength());
        if (keyLengths != null) {
            keyLengths = keyLengths.clone();
            require(keyLengths.length == core.batch(), "key lengths have %d entries but batch B = %d",
                    keyLengths.length, core.batch());
            for (int b = 0; b < keyLengths.length; b++) {
                require(keyLengths[b] >= 0 && keyLengths[b] <= core.kvLength(),
                        "key length of batch %d is %d, outside [0, Skv = %d]", b, keyLengths[b], core.kvLength());
            }
        }
        ElementType type = input.type();
        require(!type.isFp8(), "a layer is fp32, fp16 or bf16 throughout; X is %s", type);
        requireType("memory", memory, type);
        String[] names = {"Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo"};
        Tensor[] tensors = {weights.wq(), weights.bq(), weights.wk(), weights.bk(), weights.wv(), weights.bv(),
                weights.wo(), weights.bo()};
        for (int i = 0; i < names.length; i++) requireType(names[i], tensors[i], type);
        String[] adapters = {"Q", "K", "V"};
        LayerWeights.Lora[] loras = {weights.loraQ(), weights.loraK(), weights.loraV()};
        for (int i = 0; i < loras.length; i++) {
            if (loras[i] == null) continue;
            requireType("LoRA A of " + adapters[i], loras[i].a(), type);
            requireType("LoRA B of " + adapters[i], loras[i].b(), type);
        }
        require(queryPosition >= 0 && keyPosition >= 0, "rotary positions must be >= 0, got query %d, key %d",
                queryPosition, keyPosition);
    }

    private static void requireType(String name, Tensor t, ElementType type) {
        if (t != null && t.type() != type) {
            require(false, "%s is %s but X is %s: a layer takes one element type for its input, weights and output",
                    name, t.type(), type);
        }
    }

    /** The layer's element type: its input's, which its weights, memory and output share. */
    public ElementType type() {
        return input.type();
    }

    public LayerProblem(LayerSpec spec, LayerWeights weights, Tensor input, Tensor memory) {
        this(spec, weights, input, memory, null, null, 0, 0);
    }

    private static void sequence(String name, Tensor x, int batch, int length, int width, String lengthName,
                                 String widthName) {
        require(x != null, "%s must not be null", name);
        require(x.rank() == 3, "%s must have 3 axes (B, %s, %s), got shape %s", name, lengthName, widthName,
                Arrays.toString(x.shape()));
        int[] expected = {batch, length, width};
        String[] names = {"B", lengthName, widthName};
        for (int axis = 0; axis < 3; axis++) {
            require(x.dim(axis) == expected[axis], "%s axis %d (%s) is %d but the spec says %s = %d", name, axis,
                    names[axis], x.dim(axis), names[axis], expected[axis]);
        }
    }

    /** Per-batch key lengths (a copy: the problem stays immutable), or {@code null}. */
    @Override
    public int[] keyLengths() {
        return keyLengths == null ? null : keyLengths.clone();
    }

    /** The sequence K and V are projected from. */
    public Tensor keyValueSource() {
        return spec.crossAttention() ? memory : input;
    }

    public int[] outputShape() {
        return new int[]{spec.core().batch(), spec.core().qLength(), spec.outputDim()};
    }

    public Tensor allocateOutput() {
        return Tensor.zeros(type(), outputShape());
    }

    public void requireOutput(Tensor out) {
        sequence("output", out, spec.core().batch(), spec.core().qLength(), spec.outputDim(), "Sq", "dOut");
        requireType("output", out, type());
    }

    @Override
    public String toString() {
        return spec + (queryPosition != 0 || keyPosition != 0 ? " pos=" + queryPosition + "/" + keyPosition : "")
                + (mask == null ? "" : " mask" + Arrays.toString(mask.shape()))
                + (keyLengths == null ? "" : " keyLengths=" + Arrays.toString(keyLengths));
    }
}
