package dev.attest.backends.cuda;

import java.util.Locale;

/**
 * Which attention kernel a call uses. {@link #AUTO} picks per problem; the others force one (for conformance runs
 * of each kernel on a GPU: {@code -Dattest.cuda.kernel=naive|flash|decode}).
 */
public enum Kernel {
    /** flash for head dims up to {@value #FLASH_MAX_HEAD_DIM}, decode for few queries over a long cache, else naive. */
    AUTO,
    /** naive_scores, naive_softmax, naive_pv: the full score matrix in device memory. */
    NAIVE,
    /** flash_forward: fused, online softmax, tiles in shared memory, causal tile skipping. */
    FLASH,
    /** decode_partial + decode_combine: split over the cached length, then combined. */
    DECODE;

    public static final String PROPERTY = "attest.cuda.kernel";
    /** FL_DMAX in attention.cu. */
    public static final int FLASH_MAX_HEAD_DIM = 128;
    /** AUTO uses decode for at most this many query rows ... */
    static final int DECODE_MAX_QUERIES = 4;
    /** ... over at least this many keys. */
    static final int DECODE_MIN_KEYS = 512;

    /** The kernel named by {@value #PROPERTY}, AUTO when unset; an unknown name is an error listing the known ones. */
    public static Kernel fromProperty() {
        String value = System.getProperty(PROPERTY, "auto").trim();
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value
                    + " names no kernel; use one of auto, naive, flash, decode", e);
        }
    }

    /** The kernel AUTO resolves to for these dimensions (or this kernel itself when it is not AUTO). */
    public Kernel resolve(int qLength, int kvLength, int qkHeadDim, int vHeadDim) {
        if (this != AUTO) return this;
        if (qkHeadDim > FLASH_MAX_HEAD_DIM || vHeadDim > FLASH_MAX_HEAD_DIM) return NAIVE;
        if (qLength <= DECODE_MAX_QUERIES && kvLength >= DECODE_MIN_KEYS) return DECODE;
        return FLASH;
    }
}
