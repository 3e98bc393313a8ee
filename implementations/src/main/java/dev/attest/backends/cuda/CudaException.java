package dev.attest.backends.cuda;

/**
 * A CUDA driver call that did not return {@code CUDA_SUCCESS}: the message names the call, what it was doing, and
 * the driver's error name and code, e.g. {@code cuMemAlloc(268435456 bytes for scores) failed: CUDA_ERROR_OUT_OF_MEMORY
 * (2)}.
 */
public final class CudaException extends RuntimeException {
    private final int result;

    public CudaException(String call, int result, String errorName) {
        super(call + " failed: " + errorName + " (" + result + ")");
        this.result = result;
    }

    /** The raw {@code CUresult}. */
    public int result() {
        return result;
    }
}
