package dev.attest.properties.cases;

import dev.attest.properties.engine.Arbitrary;
import dev.attest.properties.engine.CaseRandom;
import dev.attest.reference.Alignment;
import dev.attest.reference.Layout;
import dev.attest.spi.Feature;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static dev.attest.spi.Feature.*;

/**
 * Generates multi-head layer cases using only declared features; shrinks the layer options toward none and the
 * core through {@link AttentionCases#shrink}.
 */
public final class LayerCases implements Arbitrary<LayerCase> {
    private final AttentionCases core;
    private final UnaryOperator<LayerCase> finish;

    private LayerCases(AttentionCases core, UnaryOperator<LayerCase> finish) {
        this.core = core;
        this.finish = finish;
    }

    /** Layer cases over core cases drawn by {@code core} (self-attention: Sq = Skv is forced). */
    public static LayerCases over(AttentionCases core) {
        // a layer is in one type throughout (X, weights, output): fp32, or a declared uniform fp16 or bf16
        return new LayerCases(core.without(STRIDED_LAYOUT).types(t -> t.isFp32() || t.isUniformHalf()),
                UnaryOperator.identity());
    }

    public LayerCases finishing(UnaryOperator<LayerCase> step) {
        UnaryOperator<LayerCase> previous = finish;
        return new LayerCases(core, c -> step.apply(previous.apply(c)));
    }

    private boolean allows(Feature feature) {
        return core.allows(feature);
    }

    @Override
    public LayerCase generate(CaseRandom random, int size) {
        AttentionCase c = core.generate(random, size);
        boolean cross = allows(CROSS_ATTENTION) && random.nextInt(4) == 0;
        if (!cross) c = selfAttention(c);
        int modelDim = random.nextInt(3) == 0 ? c.qHeads() * c.qkHeadDim() : 1 + random.nextInt(2 + size / 5);
        int memoryDim = cross ? 1 + random.nextInt(2 + size / 5) : 0;
        int outputDim = random.nextBoolean() ? modelDim : 1 + random.nextInt(2 + size / 5);
        boolean biases = allows(PROJECTION_BIAS) && random.nextBoolean();
        int rotaryDims = allows(ROTARY) && c.qkHeadDim() >= 2 && random.nextInt(3) == 0
                ? 2 * (1 + random.nextInt(c.qkHeadDim() / 2)) : 0;
        boolean interleaved = random.nextBoolean();
        int loraRank = allows(LORA) && random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 0;
        int queryPosition = rotaryDims > 0 && random.nextBoolean() ? random.nextInt(1000) : 0;
        int keyPosition = cross ? 0 : queryPosition;
        return finish.apply(new LayerCase(c, modelDim, memoryDim, outputDim, biases, rotaryDims, interleaved,
                loraRank, queryPosition, keyPosition, random.nextLong()));
    }

    /** Self-attention needs Sq = Skv; BHSD because the layer builds its own Q/K/V. */
    public static AttentionCase selfAttention(AttentionCase c) {
        AttentionCase same = c.withDims(c.batch(), c.qHeads(), c.kvHeads(), c.qLength(), c.qLength(), c.qkHeadDim(),
                c.vHeadDim());
        Alignment alignment = same.alignment();
        return same.withData(Layout.BHSD, Layout.BHSD, same.values(), same.dataSeed())
                .withOptions(same.scale(), same.softcap(), same.causal(), alignment, same.window());
    }

    @Override
    public List<LayerCase> edgeCases() {
        List<LayerCase> edges = new ArrayList<>();
        AttentionCase single = AttentionCase.basic(1, 1, 1);
        edges.add(new LayerCase(single, 1, 0, 1, false, 0, false, 0, 0, 0, 31));
        AttentionCase heads = AttentionCase.basic(3, 3, 2).withDims(1, 2, 2, 3, 3, 2, 2)
                .withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 32);
        edges.add(new LayerCase(heads, 4, 0, 4, allows(PROJECTION_BIAS), 0, false, 0, 0, 0, 33));
        if (allows(ROTARY)) edges.add(new LayerCase(heads, 4, 0, 3, false, 2, false, 0, 7, 7, 34));
        if (allows(CROSS_ATTENTION)) {
            AttentionCase cross = AttentionCase.basic(2, 5, 3).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 35);
            edges.add(new LayerCase(cross, 3, 5, 3, false, 0, false, 0, 0, 0, 36));
        }
        List<LayerCase> finished = new ArrayList<>();
        for (LayerCase edge : edges) finished.add(finish.apply(edge));
        return finished;
    }

    @Override
    public Stream<LayerCase> shrink(LayerCase c) {
        Set<LayerCase> out = new LinkedHashSet<>();
        if (c.loraRank() > 0) out.add(c.withLayer(c.modelDim(), c.memoryDim(), c.outputDim(), c.biases(), c.rotaryDims(), c.interleaved(), 0, c.queryPosition(), c.keyPosition()));
        if (c.rotaryDims() > 0) out.add(c.withLayer(c.modelDim(), c.memoryDim(), c.outputDim(), c.biases(), 0, false, c.loraRank(), 0, 0));
        if (c.queryPosition() > 0 || c.keyPosition() > 0) out.add(c.withLayer(c.modelDim(), c.memoryDim(), c.outputDim(), c.biases(), c.rotaryDims(), c.interleaved(), c.loraRank(), 0, 0));
        if (c.biases()) out.add(c.withLayer(c.modelDim(), c.memoryDim(), c.outputDim(), false, c.rotaryDims(), c.interleaved(), c.loraRank(), c.queryPosition(), c.keyPosition()));
        if (c.modelDim() > 1) out.add(c.withLayer(1, c.memoryDim(), c.outputDim(), c.biases(), c.rotaryDims(), c.interleaved(), c.loraRank(), c.queryPosition(), c.keyPosition()));
        if (c.outputDim() > 1) out.add(c.withLayer(c.modelDim(), c.memoryDim(), 1, c.biases(), c.rotaryDims(), c.interleaved(), c.loraRank(), c.queryPosition(), c.keyPosition()));
        if (c.memoryDim() > 1) out.add(c.withLayer(c.modelDim(), 1, c.outputDim(), c.biases(), c.rotaryDims(), c.interleaved(), c.loraRank(), c.queryPosition(), c.keyPosition()));
        core.shrink(c.core()).forEach(smaller -> {
            AttentionCase fixed = c.memoryDim() == 0 ? selfAttention(smaller) : smaller;
            if (c.rotaryDims() <= fixed.qkHeadDim()) out.add(c.withCore(fixed));
        });
        out.remove(c);
        return out.stream().map(finish).filter(candidate -> !candidate.equals(c));
    }

    @Override
    public long measure(LayerCase value) {
        return value.measure();
    }

    @Override
    public String describe(LayerCase value) {
        return value.toString();
    }

    @Override
    public List<String> classify(LayerCase value) {
        List<String> labels = new ArrayList<>(value.core().labels());
        if (value.memoryDim() > 0) labels.add("cross");
        if (value.rotaryDims() > 0) labels.add("rotary");
        if (value.loraRank() > 0) labels.add("lora");
        if (value.biases()) labels.add("biases");
        return labels;
    }
}
