package dev.attest.properties.cases;

/**
 * How a case fills its tensors. The shrinker walks a failing case toward the simpler kinds, so a minimal
 * counterexample prints with values a person can check by hand.
 */
public enum Values {
    /** All zeros: the simplest tensors. */
    ZEROS,
    /** All ones. */
    ONES,
    /** Small integers in [-2, 2]: exact in fp32, logits exact too. */
    SMALL_INTEGERS,
    /** Standard normal values. */
    NORMAL,
    /** Every key of a (batch, kv head) identical: uniform attention weights. */
    IDENTICAL_KEYS,
    /** Q and K scaled so that logits reach about +-1e4: a softmax without max subtraction overflows. */
    LARGE_LOGITS,
    /**
     * Q and K entries of magnitude 30 to 35 over D = 64: the unscaled dot product passes fp16's 65504 while the
     * scaled logit (times 1/8) does not, so a kernel that forms q.k in half precision overflows.
     */
    LARGE_DOT,
    /** Values near the smallest normal of the inputs' format, half of them subnormal: no flush to zero. */
    SUBNORMAL,
    /** Magnitudes up to 1e3: past fp8 E4M3's 448, representable only through the tensor's descale. */
    WIDE;

    /** Kinds a shrinker may move to from this one, simplest first. */
    Values[] simpler() {
        return switch (this) {
            case ZEROS -> new Values[0];
            case ONES -> new Values[]{ZEROS};
            case SMALL_INTEGERS -> new Values[]{ZEROS, ONES};
            case NORMAL, IDENTICAL_KEYS, LARGE_LOGITS, LARGE_DOT, SUBNORMAL, WIDE ->
                    new Values[]{ZEROS, ONES, SMALL_INTEGERS};
        };
    }
}
