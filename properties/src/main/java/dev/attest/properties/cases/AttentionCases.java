package dev.attest.properties.cases;

import dev.attest.properties.engine.Arbitrary;
import dev.attest.properties.engine.CaseRandom;
import dev.attest.reference.Alignment;
import dev.attest.reference.ElementType;
import dev.attest.reference.Layout;
import dev.attest.reference.Window;
import dev.attest.spi.Capabilities;
import dev.attest.spi.Feature;
import dev.attest.spi.TensorTypes;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static dev.attest.spi.Feature.*;

/**
 * Generates core attention cases that use only the features a backend declares (and a property allows), edge
 * cases first, sizes growing with the case index; shrinks a failing case one dimension or option at a time.
 *
 * <p>Immutable: each {@code with...} returns a new generator, so a property states its needs in one expression:
 * {@code AttentionCases.supportedBy(caps).allowing(CAUSAL).finishing(c -> c.withOptions(...))}.
 */
public final class AttentionCases implements Arbitrary<AttentionCase> {
    private final Set<Feature> features;
    private final List<MaskKind> maskKinds;
    private final UnaryOperator<AttentionCase> finish;
    /** The element types the backend declares, in its order; the first is what edge cases use. */
    private final List<TensorTypes> types;

    private AttentionCases(Set<Feature> features, List<MaskKind> maskKinds, UnaryOperator<AttentionCase> finish,
                           List<TensorTypes> types) {
        this.features = features;
        this.maskKinds = maskKinds;
        this.finish = finish;
        this.types = types;
    }

    /** Cases using any feature and any combination of element types {@code capabilities} declares. */
    public static AttentionCases supportedBy(Capabilities capabilities) {
        Set<Feature> features = EnumSet.noneOf(Feature.class);
        features.addAll(capabilities.features());
        return new AttentionCases(features, List.of(MaskKind.values()), UnaryOperator.identity(),
                List.copyOf(capabilities.types()));
    }

    /** Restricts the element types to those {@code keep} accepts (a property that needs exact fp32, say). */
    public AttentionCases types(java.util.function.Predicate<TensorTypes> keep) {
        List<TensorTypes> kept = types.stream().filter(keep).toList();
        return new AttentionCases(features, maskKinds, finish, kept.isEmpty() ? types : kept);
    }

    /** Restricts generated cases to these features (intersected with what the backend declares). */
    public AttentionCases allowing(Feature... allowed) {
        Set<Feature> narrowed = EnumSet.noneOf(Feature.class);
        for (Feature f : allowed) if (features.contains(f)) narrowed.add(f);
        return new AttentionCases(narrowed, maskKinds, finish, types);
    }

    /** Removes features from the generated cases. */
    public AttentionCases without(Feature... removed) {
        Set<Feature> narrowed = EnumSet.copyOf(features.isEmpty() ? EnumSet.noneOf(Feature.class) : features);
        for (Feature f : removed) narrowed.remove(f);
        return new AttentionCases(narrowed, maskKinds, finish, types);
    }

    /** Draws masks only of these kinds (still subject to the backend's mask features). */
    public AttentionCases masks(MaskKind... kinds) {
        return new AttentionCases(features, List.of(kinds), finish, types);
    }

    /** Applies {@code step} to every generated, edge and shrunk case: how a property forces what it is about. */
    public AttentionCases finishing(UnaryOperator<AttentionCase> step) {
        UnaryOperator<AttentionCase> previous = finish;
        return new AttentionCases(features, maskKinds, c -> step.apply(previous.apply(c)), types);
    }

    public boolean allows(Feature feature) {
        return features.contains(feature);
    }

    @Override
    public AttentionCase generate(CaseRandom random, int size) {
        int batch = 1 + random.nextInt(1 + size / 40);
        int kvHeads = 1 + random.nextInt(1 + size / 35);
        int group = allows(GROUPED_QUERY_HEADS) && random.nextInt(3) == 0 ? 2 + random.nextInt(2) : 1;
        int maxLength = 2 + size / 4;
        int qLength = 1 + random.nextInt(maxLength);
        int kvLength = random.nextInt(3) == 0 ? qLength : 1 + random.nextInt(maxLength);
        int qkHeadDim = 1 + random.nextInt(2 + size / 6);
        int vHeadDim = allows(DISTINCT_VALUE_DIM) && random.nextInt(3) == 0 ? 1 + random.nextInt(2 + size / 6)
                : qkHeadDim;

        double scale = allows(CUSTOM_SCALE) && random.nextInt(4) == 0 ? 0.05 + random.nextDouble() * 2
                : AttentionCase.DEFAULT_SCALE;
        double softcap = allows(SOFTCAP) && random.nextInt(4) == 0 ? 1 + random.nextDouble() * 30 : 0;
        boolean causal = allows(CAUSAL) && random.nextInt(3) == 0;
        Window window = allows(SLIDING_WINDOW) && random.nextInt(4) == 0
                ? new Window(random.nextInt(4) == 0 ? Window.UNBOUNDED : random.nextInt(maxLength),
                random.nextInt(3) == 0 ? Window.UNBOUNDED : random.nextInt(maxLength)) : null;
        Alignment alignment = causal || window != null ? alignment(random, batch, kvLength) : null;

        List<MaskKind> kinds = supportedMaskKinds();
        MaskKind maskKind = kinds.isEmpty() || random.nextInt(3) == 0 ? MaskKind.NONE
                : kinds.get(random.nextInt(kinds.size()));
        int maskAxes = 0b0011 | random.nextInt(4) << 2;
        boolean keyPadding = allows(KEY_PADDING) && random.nextInt(4) == 0;

        Layout inputLayout = allows(STRIDED_LAYOUT) && random.nextBoolean() ? Layout.BSHD : Layout.BHSD;
        Layout outputLayout = allows(STRIDED_LAYOUT) && random.nextBoolean() ? Layout.BSHD : Layout.BHSD;
        Values values = random.nextInt(5) == 0 ? Values.SMALL_INTEGERS : Values.NORMAL;
        long dataSeed = random.nextLong();
        // drawn last, and only when there is a choice: an fp32-only backend sees the cases it always saw
        TensorTypes drawnTypes = types.size() == 1 ? types.getFirst() : types.get(random.nextInt(types.size()));
        boolean perHead = types.size() > 1 && random.nextBoolean();
        return complete(new AttentionCase(batch, kvHeads * group, kvHeads, qLength, kvLength, qkHeadDim,
                vHeadDim, scale, softcap, causal, alignment, window, maskKind, maskAxes, keyPadding, inputLayout,
                outputLayout, values, dataSeed, drawnTypes, perHead));
    }

    /** One of the alignments the backend declares; per-sequence ones only with PER_SEQUENCE_OFFSETS. */
    private Alignment alignment(CaseRandom random, int batch, int kvLength) {
        return switch (random.nextInt(allows(PER_SEQUENCE_OFFSETS) ? 5 : 3)) {
            case 0 -> Alignment.TOP_LEFT;
            case 1 -> Alignment.BOTTOM_RIGHT;
            case 3 -> Alignment.KEY_LENGTHS;
            case 4 -> {
                int[] offsets = new int[batch];
                for (int b = 0; b < batch; b++) offsets[b] = random.nextInt(kvLength + 2) - 1;   // -1 .. Skv
                yield Alignment.perSequence(offsets);
            }
            default -> Alignment.offset(random.nextInt(Math.max(1, kvLength)));
        };
    }

    /**
     * Brings any case (generated, edge or shrunk) within this generator's rules, then applies the property's
     * finishing step: a mask kind the property excludes is replaced by one it allows, features it removed are
     * dropped.
     */
    private AttentionCase complete(AttentionCase c) {
        List<MaskKind> kinds = supportedMaskKinds();
        if (!maskKinds.contains(c.maskKind()) || (c.maskKind() != MaskKind.NONE && !kinds.contains(c.maskKind()))) {
            MaskKind replacement = maskKinds.contains(MaskKind.NONE) || kinds.isEmpty() ? MaskKind.NONE : kinds.get(0);
            c = c.withMask(replacement, c.maskAxes(), c.keyPadding());
        }
        if (c.keyPadding() && !allows(KEY_PADDING)) c = c.withMask(c.maskKind(), c.maskAxes(), false);
        if (c.softcap() != 0 && !allows(SOFTCAP)) c = c.withOptions(c.scale(), 0, c.causal(), c.alignment(), c.window());
        if (c.alignment() != null && c.alignment().perSequence() && !allows(PER_SEQUENCE_OFFSETS)) {
            c = c.withOptions(c.scale(), c.softcap(), c.causal(), Alignment.BOTTOM_RIGHT, c.window());
        }
        if (c.scale() != AttentionCase.DEFAULT_SCALE && !allows(CUSTOM_SCALE)) {
            c = c.withOptions(AttentionCase.DEFAULT_SCALE, c.softcap(), c.causal(), c.alignment(), c.window());
        }
        if (c.window() != null && !allows(SLIDING_WINDOW)) {
            c = c.withOptions(c.scale(), c.softcap(), c.causal(), c.causal() ? c.alignment() : null, null);
        }
        if (c.causal() && !allows(CAUSAL)) {
            c = c.withOptions(c.scale(), c.softcap(), false, c.window() != null ? c.alignment() : null, c.window());
        }
        if (!allows(STRIDED_LAYOUT)) c = c.withData(Layout.BHSD, Layout.BHSD, c.values(), c.dataSeed());
        if (!types.contains(c.types())) c = c.withTypes(types.getFirst(), c.perHeadDescale());
        if (!allows(GROUPED_QUERY_HEADS) && c.qHeads() != c.kvHeads()) {
            c = c.withDims(c.batch(), c.qHeads(), c.qHeads(), c.qLength(), c.kvLength(), c.qkHeadDim(), c.vHeadDim());
        }
        if (!allows(DISTINCT_VALUE_DIM) && c.qkHeadDim() != c.vHeadDim()) {
            c = c.withDims(c.batch(), c.qHeads(), c.kvHeads(), c.qLength(), c.kvLength(), c.qkHeadDim(), c.qkHeadDim());
        }
        return finish.apply(c);
    }

    private List<MaskKind> supportedMaskKinds() {
        List<MaskKind> kinds = new ArrayList<>();
        for (MaskKind kind : maskKinds) {
            boolean supported = switch (kind) {
                case NONE -> false;
                case BOOLEAN, BOOLEAN_WITH_EMPTY_ROWS -> allows(BOOLEAN_MASK);
                case ADDITIVE -> allows(ADDITIVE_MASK);
            };
            if (supported) kinds.add(kind);
        }
        return kinds;
    }

    /**
     * The edge cases of the foundation issue, in order: S=1, D=1, Sq != Skv both ways, odd D = 59, lengths 17 and
     * 97, fully masked rows, logits near +-1e4, identical keys, a single head with GQA elsewhere; then Sq = 5 with
     * Skv = 130 (two full key tiles of 64 and a partial one). Cases needing a feature the generator does not allow are
     * left out.
     */
    @Override
    public List<AttentionCase> edgeCases() {
        List<AttentionCase> edges = new ArrayList<>();
        edges.add(AttentionCase.basic(1, 1, 1));
        edges.add(AttentionCase.basic(3, 3, 1).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 11));
        edges.add(AttentionCase.basic(2, 5, 4).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 12));
        edges.add(AttentionCase.basic(5, 2, 4).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 13));
        edges.add(AttentionCase.basic(3, 4, 59).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 14));
        edges.add(AttentionCase.basic(17, 17, 8).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 15));
        edges.add(AttentionCase.basic(97, 97, 4).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 16));
        edges.add(AttentionCase.basic(4, 6, 4).withData(Layout.BHSD, Layout.BHSD, Values.LARGE_LOGITS, 17));
        edges.add(AttentionCase.basic(4, 6, 4).withData(Layout.BHSD, Layout.BHSD, Values.IDENTICAL_KEYS, 18));
        if (allows(BOOLEAN_MASK) && maskKinds.contains(MaskKind.BOOLEAN_WITH_EMPTY_ROWS)) {
            edges.add(AttentionCase.basic(4, 5, 3).withMask(MaskKind.BOOLEAN_WITH_EMPTY_ROWS, 0b0011, false)
                    .withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 19));
        }
        if (allows(KEY_PADDING)) {
            edges.add(AttentionCase.basic(3, 5, 3).withDims(2, 1, 1, 3, 5, 3, 3).withMask(MaskKind.NONE, 0b0011, true)
                    .withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 20));
        }
        if (allows(GROUPED_QUERY_HEADS)) {
            edges.add(AttentionCase.basic(3, 4, 2).withDims(1, 4, 1, 3, 4, 2, 2)
                    .withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 21));
        }
        if (allows(CAUSAL)) {
            edges.add(AttentionCase.basic(2, 3, 1).withDims(1, 2, 1, 2, 3, 1, 1)
                    .withOptions(AttentionCase.DEFAULT_SCALE, 0, true, Alignment.BOTTOM_RIGHT, null)
                    .withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 22));
        }
        // last, so the indices (replay keys) of the cases above stay as they were: keys past two full 64-key tiles
        // and a partial third, with Sq != Skv (the kill matrix's tail-tile mutant escaped all but the 97 case)
        edges.add(AttentionCase.basic(5, 130, 8).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 23));
        edges.addAll(formatEdgeCases());
        List<AttentionCase> finished = new ArrayList<>();
        for (AttentionCase edge : edges) {
            AttentionCase done = complete(edge);
            if (!finished.contains(done)) finished.add(done);
        }
        return finished;
    }

    /**
     * The hard cases of each low-precision format a backend declares, in each declared combination that has it:
     * an unscaled q.k past fp16's 65504 (D = 64), subnormal inputs, a row of 300 equal weights (a bf16 running
     * sum stalls at 256, so a denominator summed in bf16 is 17% off), magnitudes past fp8 E4M3's 448 that only the
     * descale brings in range (per head too), and D = 256 where half-precision accumulation loses digits.
     */
    private List<AttentionCase> formatEdgeCases() {
        List<AttentionCase> edges = new ArrayList<>();
        long seed = 40;
        for (ElementType format : ElementType.values()) {
            // each format once, in the first declared combination that has it
            TensorTypes t = types.stream().filter(c -> c.inputs().contains(format)).findFirst().orElse(null);
            if (format == ElementType.FP32 || t == null) continue;
            if (format == ElementType.FP16) {
                edges.add(AttentionCase.basic(2, 3, 64).withData(Layout.BHSD, Layout.BHSD, Values.LARGE_DOT, seed++)
                        .withTypes(t, false));
            }
            edges.add(AttentionCase.basic(3, 4, 8).withData(Layout.BHSD, Layout.BHSD, Values.SUBNORMAL, seed++)
                    .withTypes(t, false));
            if (format == ElementType.BF16) {
                edges.add(AttentionCase.basic(2, 300, 4).withData(Layout.BHSD, Layout.BHSD, Values.IDENTICAL_KEYS,
                        seed++).withTypes(t, false));
            }
            if (format.isFp8()) {
                edges.add(AttentionCase.basic(3, 5, 8).withDims(1, 2, 2, 3, 5, 8, 8)
                        .withData(Layout.BHSD, Layout.BHSD, Values.WIDE, seed++).withTypes(t, true));
            } else {
                edges.add(AttentionCase.basic(2, 8, 256).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, seed++)
                        .withTypes(t, false));
            }
        }
        return edges;
    }

    /**
     * Simpler variants of a failing case, most drastic first: each dimension toward 1 (one at a time, keeping
     * Hq a multiple of Hkv), then options toward their defaults, masks toward none, layouts toward BHSD, values
     * toward small integers, ones and zeros.
     */
    @Override
    public Stream<AttentionCase> shrink(AttentionCase c) {
        Set<AttentionCase> out = new LinkedHashSet<>();
        int group = c.qHeads() / c.kvHeads();
        for (int b : smaller(c.batch())) out.add(c.withDims(b, c.qHeads(), c.kvHeads(), c.qLength(), c.kvLength(), c.qkHeadDim(), c.vHeadDim()));
        for (int kv : smaller(c.kvHeads())) out.add(c.withDims(c.batch(), kv * group, kv, c.qLength(), c.kvLength(), c.qkHeadDim(), c.vHeadDim()));
        for (int g : smaller(group)) out.add(c.withDims(c.batch(), c.kvHeads() * g, c.kvHeads(), c.qLength(), c.kvLength(), c.qkHeadDim(), c.vHeadDim()));
        for (int s : smaller(c.qLength())) out.add(c.withDims(c.batch(), c.qHeads(), c.kvHeads(), s, c.kvLength(), c.qkHeadDim(), c.vHeadDim()));
        for (int s : smaller(c.kvLength())) out.add(c.withDims(c.batch(), c.qHeads(), c.kvHeads(), c.qLength(), s, c.qkHeadDim(), c.vHeadDim()));
        if (c.qkHeadDim() == c.vHeadDim()) {
            for (int d : smaller(c.qkHeadDim())) out.add(c.withDims(c.batch(), c.qHeads(), c.kvHeads(), c.qLength(), c.kvLength(), d, d));
        } else {
            for (int d : smaller(c.qkHeadDim())) out.add(c.withDims(c.batch(), c.qHeads(), c.kvHeads(), c.qLength(), c.kvLength(), d, c.vHeadDim()));
            for (int d : smaller(c.vHeadDim())) out.add(c.withDims(c.batch(), c.qHeads(), c.kvHeads(), c.qLength(), c.kvLength(), c.qkHeadDim(), d));
        }
        if (c.maskKind() != MaskKind.NONE) out.add(c.withMask(MaskKind.NONE, c.maskAxes(), c.keyPadding()));
        if (c.maskKind() == MaskKind.BOOLEAN_WITH_EMPTY_ROWS) out.add(c.withMask(MaskKind.BOOLEAN, c.maskAxes(), c.keyPadding()));
        if (c.maskAxes() != 0b0011) out.add(c.withMask(c.maskKind(), 0b0011, c.keyPadding()));
        if (c.keyPadding()) out.add(c.withMask(c.maskKind(), c.maskAxes(), false));
        if (c.window() != null) out.add(c.withOptions(c.scale(), c.softcap(), c.causal(), c.causal() ? c.alignment() : null, null));
        if (c.causal()) out.add(c.withOptions(c.scale(), c.softcap(), false, c.window() != null ? c.alignment() : null, c.window()));
        if (c.alignment() != null && c.alignment().kind() == Alignment.Kind.PER_SEQUENCE) out.add(c.withOptions(c.scale(),
                c.softcap(), c.causal(), Alignment.offset(c.alignment().offsets()[0]), c.window()));
        if (c.alignment() != null && c.alignment() != Alignment.TOP_LEFT) out.add(c.withOptions(c.scale(), c.softcap(), c.causal(), Alignment.TOP_LEFT, c.window()));
        if (c.softcap() != 0) out.add(c.withOptions(c.scale(), 0, c.causal(), c.alignment(), c.window()));
        if (c.scale() != AttentionCase.DEFAULT_SCALE) out.add(c.withOptions(AttentionCase.DEFAULT_SCALE, c.softcap(), c.causal(), c.alignment(), c.window()));
        if (c.inputLayout() != Layout.BHSD) out.add(c.withData(Layout.BHSD, c.outputLayout(), c.values(), c.dataSeed()));
        if (c.outputLayout() != Layout.BHSD) out.add(c.withData(c.inputLayout(), Layout.BHSD, c.values(), c.dataSeed()));
        for (Values simpler : c.values().simpler()) out.add(c.withData(c.inputLayout(), c.outputLayout(), simpler, c.dataSeed()));
        out.remove(c);
        return out.stream().map(this::complete).distinct().filter(candidate -> !candidate.equals(c));
    }

    /** Smaller sizes to try for a dimension: 1, then half, then one less. */
    private static List<Integer> smaller(int n) {
        Set<Integer> sizes = new LinkedHashSet<>();
        if (n > 1) sizes.add(1);
        if (n > 3) sizes.add(n / 2);
        if (n > 2) sizes.add(n - 1);
        return List.copyOf(sizes);
    }

    @Override
    public long measure(AttentionCase value) {
        return value.measure();
    }

    @Override
    public String describe(AttentionCase value) {
        return value.toString();
    }

    @Override
    public List<String> classify(AttentionCase value) {
        return value.labels();
    }
}
