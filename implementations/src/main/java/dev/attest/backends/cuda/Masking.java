package dev.attest.backends.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The kernels' {@code struct Masking}, packed byte by byte for a by-value kernel argument. The offsets mirror the
 * {@code static_assert}s in {@code attention.cu} (the line marked MASKING-LAYOUT), and CudaKernelsLayoutTest checks
 * that the two agree, so a change on one side without the other fails the build.
 */
final class Masking {
    static final int SIZE = 72;
    static final int KEY_LENGTHS = 0, MASK = 8, MS0 = 16, MS1 = 24, MS2 = 32, MS3 = 40;
    static final int CAUSAL = 48, OFFSET = 52, WINDOW_LEFT = 56, WINDOW_RIGHT = 60, HAS_WINDOW = 64, MASK_KIND = 68;

    static final int MASK_NONE = 0, MASK_KEEP = 1, MASK_BIAS = 2;
    /** The kernels' UNBOUNDED window side; {@link dev.attest.reference.Window#UNBOUNDED} has the same value. */
    static final int UNBOUNDED = Integer.MAX_VALUE;

    private Masking() {
    }

    /**
     * @param keyLengths device address of the per-batch key lengths, or 0
     * @param mask       device address of the stored mask values, or 0
     * @param strides    element strides of the mask over (B, Hq, Sq, Skv), 0 on broadcast axes (ignored without one)
     */
    static byte[] pack(long keyLengths, long mask, int[] strides, boolean causal, int offset, boolean hasWindow,
                       int windowLeft, int windowRight, int maskKind) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);   // CUDA devices are little-endian
        b.putLong(KEY_LENGTHS, keyLengths);
        b.putLong(MASK, mask);
        int[] s = strides == null ? new int[4] : strides;
        b.putLong(MS0, s[0]).putLong(MS1, s[1]).putLong(MS2, s[2]).putLong(MS3, s[3]);
        b.putInt(CAUSAL, causal ? 1 : 0);
        b.putInt(OFFSET, offset);
        b.putInt(WINDOW_LEFT, windowLeft);
        b.putInt(WINDOW_RIGHT, windowRight);
        b.putInt(HAS_WINDOW, hasWindow ? 1 : 0);
        b.putInt(MASK_KIND, maskKind);
        return b.array();
    }
}
