package dev.attest.backends.cuda;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.Capabilities;
import dev.attest.spi.CheckedBackend;

import java.util.EnumSet;
import java.util.Optional;

import static dev.attest.spi.Feature.*;

/**
 * Attention on an NVIDIA GPU through the JCuda driver API, with kernels written in CUDA C
 * ({@code src/main/cuda/attention.cu}) and compiled by nvcc into a committed fatbin (SASS sm_80 and sm_90, PTX
 * compute_80). fp32 storage and accumulation.
 *
 * <p>Kernels ({@link Kernel}): {@code naive} materialises the score matrix (the GPU counterpart of cpu-naive);
 * {@code flash} is fused (online softmax, tiles in shared memory, causal/window tile skipping) for head dims up to
 * 128; {@code decode} splits a long KV cache over blocks and combines the partials. {@code -Dattest.cuda.kernel}
 * forces one; the default picks per problem. Every mask form of the contract is computed in the kernels from
 * structural parameters (causal offset, window) and the masks at their stored, broadcast shapes.
 *
 * <p>Availability is probed once per process, lazily — the constructor touches no native code, so
 * {@link java.util.ServiceLoader} discovery is safe on machines without CUDA. Without a driver or a device,
 * {@link #unavailableReason()} says why and the suite skips the backend; with {@code -Dattest.requireCuda=true}
 * it throws instead, so a GPU run cannot silently skip.
 */
public final class CudaBackend extends CheckedBackend {
    /** System property: when true, a missing GPU is an error instead of a skip. */
    public static final String REQUIRE_PROPERTY = "attest.requireCuda";

    static final Capabilities CAPABILITIES = new Capabilities(EnumSet.of(GROUPED_QUERY_HEADS, DISTINCT_VALUE_DIM,
            CUSTOM_SCALE, SOFTCAP, BOOLEAN_MASK, ADDITIVE_MASK, KEY_PADDING, CAUSAL, SLIDING_WINDOW, STRIDED_LAYOUT),
            Precision.FP32);

    private final Boolean requireCuda;
    private final Kernel kernel;

    /** What {@link java.util.ServiceLoader} creates: kernel from {@value Kernel#PROPERTY}, default auto. */
    public CudaBackend() {
        this(null, null);
    }

    /**
     * @param requireCuda whether unavailability is an error; {@code null} reads {@value #REQUIRE_PROPERTY} at each
     *                    call
     * @param kernel      the kernel to force; {@code null} reads {@value Kernel#PROPERTY} at each call
     */
    public CudaBackend(Boolean requireCuda, Kernel kernel) {
        super("cuda", "CUDA fp32 via the JCuda driver API: fused flash-style kernel (online softmax, causal tile "
                + "skipping), split-KV decode, naive fallback", CAPABILITIES);
        this.requireCuda = requireCuda;
        this.kernel = kernel;
    }

    /**
     * Empty when a CUDA device is usable; otherwise the reason ({@code no CUDA driver: ...}, {@code no CUDA device:
     * ...}, ...). Throws {@link IllegalStateException} instead when CUDA is required ({@value #REQUIRE_PROPERTY}).
     */
    @Override
    public Optional<String> unavailableReason() {
        return requireWhenAsked(CudaRuntime.probe().unavailable(), requireCuda());
    }

    /** The skip-or-fail rule, separated out so that it is testable without a GPU and without global properties. */
    static Optional<String> requireWhenAsked(Optional<String> reason, boolean required) {
        if (required && reason.isPresent()) {
            throw new IllegalStateException("CUDA is required (-D" + REQUIRE_PROPERTY + "=true) but the cuda backend "
                    + "is unavailable: " + reason.get());
        }
        return reason;
    }

    private boolean requireCuda() {
        return requireCuda != null ? requireCuda : Boolean.getBoolean(REQUIRE_PROPERTY);
    }

    private Kernel kernel() {
        return kernel != null ? kernel : Kernel.fromProperty();
    }

    @Override
    public String runsOn() {
        return "cuda";
    }

    /** The device in use, e.g. {@code NVIDIA H100 80GB HBM3 (sm_90, driver 13000)}; an error when unavailable. */
    public String device() {
        return CudaRuntime.get().describeDevice();
    }

    @Override
    protected void computeAttention(AttentionProblem problem, Tensor out) {
        CudaRuntime.get().attention(problem, out, kernel());
    }

    /**
     * Times the kernels with CUDA events: {@code warmup} untimed runs, then {@code iterations} timed ones, inputs
     * resident on the device (transfers excluded). Writes {@code out}; returns milliseconds per run.
     */
    public float[] timeAttention(AttentionProblem problem, Tensor out, int warmup, int iterations) {
        capabilities().require(name(), problem, out);
        problem.requireOutput(out);
        return CudaRuntime.get().time(problem, out, kernel(), warmup, iterations);
    }

    /**
     * Chunked causal linear attention (no softmax): {@code o_t = q_t . S_t}, {@code S_t = S_in + sum_{s<=t} k_s v_s^T},
     * for {@code heads} independent sequences in dense (heads, length, dim) layout. Not part of the SPI yet.
     *
     * @param stateIn the carried state (heads, Dk, Dv), or {@code null} for zero
     * @return {outputs (heads, length, Dv), final state (heads, Dk, Dv)}
     */
    public float[][] linearAttentionChunked(float[] q, float[] k, float[] v, float[] stateIn, int heads, int length,
                                            int dk, int dv) {
        return CudaRuntime.get().linearChunked(q, k, v, stateIn, heads, length, dk, dv);
    }
}
