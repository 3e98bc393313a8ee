package dev.attest.properties.cases;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import dev.attest.spi.TensorTypes;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.SplittableRandom;

/**
 * A recipe for one core attention problem: dimensions, options and how to fill the tensors, plus the seed of the
 * fill. Properties generate and shrink recipes, not tensors, so shrinking a dimension regenerates consistent
 * tensors and the printed counterexample is the short recipe, not a page of floats.
 *
 * @param maskAxes    which of (B, Hq, Sq, Skv) the mask spans (bits 3..0); the others broadcast from size 1
 * @param keyPadding  whether per-batch key lengths are set
 * @param dataSeed    seed of the tensor and mask values
 * @param types       the element types of Q, K, V and the output: values are drawn, then rounded to them, so the
 *                    backend and the oracle see the same stored values
 * @param perHeadDescale an fp8 tensor gets one descale per head (else one for the tensor)
 */
public record AttentionCase(int batch, int qHeads, int kvHeads, int qLength, int kvLength, int qkHeadDim,
                            int vHeadDim, double scale, double softcap, boolean causal, Alignment alignment,
                            Window window, MaskKind maskKind, int maskAxes, boolean keyPadding, Layout inputLayout,
                            Layout outputLayout, Values values, long dataSeed, TensorTypes types,
                            boolean perHeadDescale) {

    public AttentionCase {
        perHeadDescale &= types.inputs().stream().anyMatch(ElementType::isFp8);     // only fp8 tensors carry one
        if (alignment != null && alignment.kind() == Alignment.Kind.PER_SEQUENCE && alignment.offsets().length != batch) {
            alignment = Alignment.perSequence(fitted(alignment.offsets(), batch));   // a shrunk batch keeps its rows
        }
    }

    /** The first {@code batch} offsets, the last repeated when there are fewer. */
    private static int[] fitted(int[] offsets, int batch) {
        int[] out = java.util.Arrays.copyOf(offsets, batch);
        for (int b = offsets.length; b < batch; b++) out[b] = offsets[offsets.length - 1];
        return out;
    }

    /** {@code scale == 0} means the default 1/sqrt(Dqk). */
    public static final double DEFAULT_SCALE = 0;

    /** A plain case: single batch and head, no options, small-integer values. */
    public static AttentionCase basic(int qLength, int kvLength, int headDim) {
        return new AttentionCase(1, 1, 1, qLength, kvLength, headDim, headDim, DEFAULT_SCALE, 0, false, null, null,
                MaskKind.NONE, 0b0011, false, Layout.BHSD, Layout.BHSD, Values.SMALL_INTEGERS, 1, TensorTypes.FP32, false);
    }

    public AttentionSpec spec() {
        return AttentionSpec.builder().batch(batch).heads(qHeads, kvHeads).lengths(qLength, kvLength)
                .headDims(qkHeadDim, vHeadDim)
                .scaleOption(scale == DEFAULT_SCALE ? OptionalDouble.empty() : OptionalDouble.of(scale))
                .softcap(softcap).masking(causal, alignment, window).build();
    }

    /** Builds the problem; the same recipe always gives bit-identical tensors. */
    public AttentionProblem materialize() {
        AttentionSpec spec = spec();
        SplittableRandom random = new SplittableRandom(dataSeed);
        Tensor q = inputLayout.allocate(batch, qHeads, qLength, qkHeadDim);
        Tensor k = inputLayout.allocate(batch, kvHeads, kvLength, qkHeadDim);
        Tensor v = inputLayout.allocate(batch, kvHeads, kvLength, vHeadDim);
        double logitScale = values == Values.LARGE_LOGITS ? Math.sqrt(1e4 / spec.effectiveScale()) : 1;
        fill(q, random, logitScale, false, types.query());
        fill(k, random, logitScale, values == Values.IDENTICAL_KEYS, types.key());
        fill(v, random, 1, false, types.value());
        return new AttentionProblem(spec, stored(q, types.query()), stored(k, types.key()), stored(v, types.value()),
                mask(random), keyLengths(random));
    }

    /**
     * The drawn fp32 values stored in {@code type} (rounded to nearest), in the same layout. An fp8 tensor's
     * descale is chosen as quantising code chooses it: the largest magnitude (of the tensor, or of each head) maps
     * to half the format's largest value, so nothing saturates and the values use the format's range.
     */
    private Tensor stored(Tensor drawn, ElementType type) {
        if (type == ElementType.FP32) return drawn;
        Descale descale = type.isFp8() ? Descale.quantising(drawn, type, perHeadDescale) : null;
        Tensor t = inputLayout.allocate(type, descale, drawn.dim(0), drawn.dim(1), drawn.dim(2), drawn.dim(3));
        t.copyFrom(drawn);
        return t;
    }

    /** The mask and key lengths of {@link #materialize()} alone (same seed, same values), for the layer. */
    public Masking materializeMasking() {
        AttentionProblem problem = materialize();
        return new Masking(problem.mask(), problem.keyLengths());
    }

    /** Mask and key lengths of a case. */
    public record Masking(Mask mask, int[] keyLengths) {
    }

    private void fill(Tensor t, SplittableRandom random, double magnitude, boolean sameRowEverywhere,
                      ElementType type) {
        float[] data = t.data();
        int rows = t.dim(2), cols = t.dim(3);
        for (int b = 0; b < t.dim(0); b++) {
            for (int h = 0; h < t.dim(1); h++) {
                float[] shared = sameRowEverywhere ? draw(random, cols, Values.NORMAL, magnitude, type) : null;
                for (int s = 0; s < rows; s++) {
                    float[] row = shared != null ? shared : draw(random, cols, values, magnitude, type);
                    for (int d = 0; d < cols; d++) data[t.index(b, h, s, d)] = row[d];
                }
            }
        }
    }

    private static float[] draw(SplittableRandom random, int n, Values kind, double magnitude, ElementType type) {
        float[] row = new float[n];
        for (int d = 0; d < n; d++) {
            row[d] = switch (kind) {
                case ZEROS -> 0f;
                case ONES -> 1f;
                case SMALL_INTEGERS -> random.nextInt(-2, 3);
                case NORMAL, IDENTICAL_KEYS -> (float) gaussian(random);
                // Alternate signs per row so logits near +1e4 and -1e4 both occur.
                case LARGE_LOGITS -> (float) (magnitude * (0.5 + random.nextDouble()) * (random.nextBoolean() ? 1 : -1)
                        / Math.sqrt(n));
                case LARGE_DOT -> (float) ((30 + 5 * random.nextDouble()) * (random.nextInt(8) == 0 ? -1 : 1));
                // between a quarter of the smallest normal and four times it: fp16's, bf16's or fp8's own
                case SUBNORMAL -> (float) (minNormal(type) * Math.pow(2, random.nextInt(-2, 3))
                        * (1 + random.nextDouble()) * (random.nextBoolean() ? 1 : -1));
                case WIDE -> (float) (1e3 * (2 * random.nextDouble() - 1));
            };
        }
        return row;
    }

    /** The smallest normal of the inputs' format; fp16's for fp32 (fp32's own would underflow every product). */
    private static double minNormal(ElementType type) {
        return type == ElementType.FP32 ? ElementType.FP16.minNormal() : type.minNormal();
    }

    static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble(), w = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }

    /** Shape of the mask: full size on the axes in {@link #maskAxes}, 1 elsewhere; rank 2 when B and H broadcast. */
    public int[] maskShape() {
        int[] full = {batch, qHeads, qLength, kvLength};
        int[] shape = new int[4];
        for (int axis = 0; axis < 4; axis++) shape[axis] = (maskAxes & (1 << (3 - axis))) != 0 ? full[axis] : 1;
        return (maskAxes & 0b1100) == 0 ? new int[]{shape[2], shape[3]} : shape;
    }

    private Mask mask(SplittableRandom random) {
        if (maskKind == MaskKind.NONE) return null;
        int[] shape = maskShape();
        int size = 1;
        for (int d : shape) size *= d;
        int keys = shape[shape.length - 1];
        return switch (maskKind) {
            case NONE -> null;
            case BOOLEAN, BOOLEAN_WITH_EMPTY_ROWS -> {
                boolean[] keep = new boolean[size];
                for (int i = 0; i < size; i++) keep[i] = random.nextDouble() < 0.7;
                if (maskKind == MaskKind.BOOLEAN_WITH_EMPTY_ROWS) {
                    // Every other stored row sees nothing; row 0 always, so even a 1-row mask has an empty row.
                    for (int row = 0; row < size / keys; row += 2) {
                        for (int j = 0; j < keys; j++) keep[row * keys + j] = false;
                    }
                }
                yield new Mask.Keep(keep, shape);
            }
            case ADDITIVE -> {
                float[] bias = new float[size];
                for (int i = 0; i < size; i++) {
                    bias[i] = random.nextDouble() < 0.15 ? Float.NEGATIVE_INFINITY : (float) (2 * gaussian(random));
                }
                yield new Mask.Bias(bias, shape);
            }
        };
    }

    private int[] keyLengths(SplittableRandom random) {
        if (!keyPadding) return null;
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) lengths[b] = random.nextInt(kvLength + 1);
        return lengths;
    }

    /** The same recipe with other values; used by the shrinker and by edge-case tables. */
    public AttentionCase withDims(int batch, int qHeads, int kvHeads, int qLength, int kvLength, int qkHeadDim,
                                  int vHeadDim) {
        return new AttentionCase(batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap,
                causal, alignment, window, maskKind, maskAxes, keyPadding, inputLayout, outputLayout, values, dataSeed,
                types, perHeadDescale);
    }

    public AttentionCase withOptions(double scale, double softcap, boolean causal, Alignment alignment,
                                     Window window) {
        return new AttentionCase(batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap,
                causal, alignment, window, maskKind, maskAxes, keyPadding, inputLayout, outputLayout, values, dataSeed,
                types, perHeadDescale);
    }

    public AttentionCase withMask(MaskKind maskKind, int maskAxes, boolean keyPadding) {
        return new AttentionCase(batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap,
                causal, alignment, window, maskKind, maskAxes, keyPadding, inputLayout, outputLayout, values, dataSeed,
                types, perHeadDescale);
    }

    public AttentionCase withData(Layout inputLayout, Layout outputLayout, Values values, long dataSeed) {
        return new AttentionCase(batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap,
                causal, alignment, window, maskKind, maskAxes, keyPadding, inputLayout, outputLayout, values, dataSeed,
                types, perHeadDescale);
    }

    /** The same recipe in other element types. */
    public AttentionCase withTypes(TensorTypes newTypes, boolean newPerHeadDescale) {
        return new AttentionCase(batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap,
                causal, alignment, window, maskKind, maskAxes, keyPadding, inputLayout, outputLayout, values, dataSeed,
                newTypes, newPerHeadDescale);
    }

    /** The work of the case, B·Hq·Sq·Skv·max(Dqk, Dv): the engine's size measure (shrinking never grows it). */
    public long measure() {
        return (long) batch * qHeads * qLength * kvLength * Math.max(qkHeadDim, vHeadDim);
    }

    /** Labels for the engine's statistics: which features this case exercises. */
    public List<String> labels() {
        List<String> labels = new ArrayList<>();
        if (kvHeads != qHeads) labels.add(kvHeads == 1 ? "mqa" : "gqa");
        if (qLength != kvLength) labels.add("Sq!=Skv");
        if (qkHeadDim != vHeadDim) labels.add("Dqk!=Dv");
        if (causal) labels.add("causal " + alignment.kind());
        if (window != null) labels.add("window");
        if (softcap != 0) labels.add("softcap");
        if (scale != DEFAULT_SCALE) labels.add("scale");
        if (maskKind != MaskKind.NONE) labels.add("mask " + maskKind.name().toLowerCase(java.util.Locale.ROOT));
        if (keyPadding) labels.add("key padding");
        if (inputLayout != Layout.BHSD || outputLayout != Layout.BHSD) labels.add("bshd");
        labels.add("values " + values.name().toLowerCase(java.util.Locale.ROOT));
        if (!types.isFp32()) labels.add("types " + types + (perHeadDescale ? " per-head descale" : ""));
        return labels;
    }

    /** The compact form failures print, e.g. {@code B=1 Hq=2 Hkv=1 Sq=2 Skv=3 D=1 causal=BOTTOM_RIGHT values=ONES}. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(spec().toString());
        if (maskKind != MaskKind.NONE) {
            text.append(" mask=").append(maskKind).append(java.util.Arrays.toString(maskShape()));
        }
        if (keyPadding) text.append(" keyPadding");
        if (inputLayout != Layout.BHSD) text.append(" in=").append(inputLayout);
        if (outputLayout != Layout.BHSD) text.append(" out=").append(outputLayout);
        if (!types.isFp32()) text.append(" types=").append(types.toString().replace(' ', ','));
        if (perHeadDescale) text.append(" descale=per-head");
        return text.append(" values=").append(values).append(" dataSeed=").append(dataSeed).toString();
    }
}
