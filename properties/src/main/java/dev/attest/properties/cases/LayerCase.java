package dev.attest.properties.cases;

import dev.attest.reference.ElementType;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Rotary;
import dev.attest.reference.Tensor;

import java.util.SplittableRandom;

/**
 * A recipe for one multi-head layer problem: the core attention recipe (dims, options, masks) plus the layer's
 * own widths and options. Weights are drawn with variance 1/fan-in so activations stay of order one.
 *
 * @param rotaryDims 0 for no rotary embedding, else the (even) number of rotated features
 */
public record LayerCase(AttentionCase core, int modelDim, int memoryDim, int outputDim, boolean biases,
                        int rotaryDims, boolean interleaved, int loraRank, int queryPosition, int keyPosition,
                        long weightSeed) {

    /** The core's measure ({@link AttentionCase#measure}) times the widest projection. */
    public long measure() {
        return core.measure() * Math.max(1, Math.max(modelDim, Math.max(memoryDim, outputDim)));
    }

    public LayerSpec spec() {
        return new LayerSpec(core.spec(), modelDim, memoryDim, outputDim, biases,
                rotaryDims == 0 ? null : new Rotary(rotaryDims, 10000.0, interleaved), loraRank);
    }

    public LayerProblem materialize() {
        LayerSpec spec = spec();
        SplittableRandom random = new SplittableRandom(weightSeed);
        int kvIn = spec.keyValueSourceDim();
        LayerWeights weights = new LayerWeights(
                matrix(random, modelDim, spec.qWidth()), vector(random, spec.qWidth()),
                matrix(random, kvIn, spec.kWidth()), vector(random, spec.kWidth()),
                matrix(random, kvIn, spec.vWidth()), vector(random, spec.vWidth()),
                matrix(random, spec.concatWidth(), outputDim), vector(random, outputDim),
                lora(random, modelDim, spec.qWidth()), lora(random, kvIn, spec.kWidth()),
                lora(random, kvIn, spec.vWidth()));
        Tensor x = sequence(random, core.qLength(), modelDim);
        Tensor memory = memoryDim > 0 ? sequence(random, core.kvLength(), memoryDim) : null;
        AttentionCase.Masking masking = core.materializeMasking();
        ElementType type = core.types().query();         // uniform: LayerCases draws fp32, fp16 or bf16 layers
        if (type != ElementType.FP32) {
            weights = new LayerWeights(typed(weights.wq(), type), typed(weights.bq(), type), typed(weights.wk(), type),
                    typed(weights.bk(), type), typed(weights.wv(), type), typed(weights.bv(), type),
                    typed(weights.wo(), type), typed(weights.bo(), type), typed(weights.loraQ(), type),
                    typed(weights.loraK(), type), typed(weights.loraV(), type));
            x = typed(x, type);
            memory = typed(memory, type);
        }
        return new LayerProblem(spec, weights, x, memory, masking.mask(), masking.keyLengths(), queryPosition,
                keyPosition);
    }

    /** The drawn values stored in {@code type}, rounded to nearest: what the backend and the oracle both read. */
    private static Tensor typed(Tensor t, ElementType type) {
        return t == null ? null : t.to(type);
    }

    private static LayerWeights.Lora typed(LayerWeights.Lora lora, ElementType type) {
        return lora == null ? null : new LayerWeights.Lora(typed(lora.a(), type), typed(lora.b(), type), lora.alpha());
    }

    private Tensor sequence(SplittableRandom random, int length, int width) {
        Tensor t = Tensor.zeros(core.batch(), length, width);
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) data[i] = value(random, 1);
        return t;
    }

    private Tensor matrix(SplittableRandom random, int in, int out) {
        Tensor t = Tensor.zeros(in, out);
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) data[i] = value(random, 1 / Math.sqrt(in));
        return t;
    }

    private Tensor vector(SplittableRandom random, int size) {
        if (!biases) return null;
        Tensor t = Tensor.zeros(size);
        float[] data = t.data();
        for (int i = 0; i < size; i++) data[i] = value(random, 0.5);
        return t;
    }

    private LayerWeights.Lora lora(SplittableRandom random, int in, int out) {
        if (loraRank == 0) return null;
        return new LayerWeights.Lora(matrix(random, in, loraRank), matrix(random, loraRank, out), 2.0 * loraRank);
    }

    private float value(SplittableRandom random, double scale) {
        return switch (core.values()) {
            case ZEROS -> 0f;
            case ONES -> (float) scale;
            case SMALL_INTEGERS -> random.nextInt(-2, 3);
            default -> (float) (scale * AttentionCase.gaussian(random));
        };
    }

    public LayerCase withCore(AttentionCase newCore) {
        return new LayerCase(newCore, modelDim, memoryDim, outputDim, biases, rotaryDims, interleaved, loraRank,
                queryPosition, keyPosition, weightSeed);
    }

    public LayerCase withLayer(int modelDim, int memoryDim, int outputDim, boolean biases, int rotaryDims,
                               boolean interleaved, int loraRank, int queryPosition, int keyPosition) {
        return new LayerCase(core, modelDim, memoryDim, outputDim, biases, rotaryDims, interleaved, loraRank,
                queryPosition, keyPosition, weightSeed);
    }

    @Override
    public String toString() {
        return spec() + (queryPosition != 0 || keyPosition != 0 ? " pos=" + queryPosition + "/" + keyPosition : "")
                + (core.maskKind() != MaskKind.NONE ? " mask=" + core.maskKind() : "")
                + (core.keyPadding() ? " keyPadding" : "") + " values=" + core.values() + " seeds="
                + core.dataSeed() + "/" + weightSeed;
    }
}
