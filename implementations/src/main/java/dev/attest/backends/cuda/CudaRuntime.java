package dev.attest.backends.cuda;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

import static jcuda.driver.JCudaDriver.*;

/**
 * The one CUDA context this process uses: device 0's primary context, the kernels' module loaded from the committed
 * fatbin, and a {@link DevicePool}. Started once, on first need, by {@link #probe()}; never from a constructor, so
 * that {@link java.util.ServiceLoader} discovery never touches native code.
 *
 * <p>Every driver call's {@code CUresult} goes through {@link #check}, which turns a failure into a
 * {@link CudaException} naming the call. Calls are serialised (one lock) and each makes the context current on the
 * calling thread first, since the suite runs properties on threads of its own.
 */
final class CudaRuntime {
    static final String FATBIN = "/dev/attest/backends/cuda/attention.fatbin";
    private static final int THREADS_1D = 256;
    private static final int FL_BM = 32, FL_BN = 32, FL_THREADS = 128;
    private static final int DEC_THREADS = 128, DEC_CHUNK = 256;
    private static final int LIN_C = 32, LIN_DV = 32, LIN_THREADS = 128;
    /** Dynamic shared memory every sm_80+ device grants without an opt-in. */
    private static final int SMEM_DEFAULT = 48 * 1024;

    /** The probe's outcome: a started runtime, or why there is none. */
    record Probe(CudaRuntime runtime, String reason) {
        Optional<String> unavailable() {
            return Optional.ofNullable(reason);
        }
    }

    private static Probe probe;

    private final CUcontext context;
    private final CUmodule module;
    private final String deviceName;
    private final int driverVersion;
    private final int computeMajor, computeMinor;
    private final DevicePool pool = new DevicePool(1L << 30);
    private final CUfunction naiveScores, naiveSoftmax, naivePv, flash, decodePartial, decodeCombine, linear;

    private CudaRuntime(CUcontext context, CUmodule module, String deviceName, int driverVersion, int major, int minor) {
        this.context = context;
        this.module = module;
        this.deviceName = deviceName;
        this.driverVersion = driverVersion;
        this.computeMajor = major;
        this.computeMinor = minor;
        naiveScores = function("naive_scores");
        naiveSoftmax = function("naive_softmax");
        naivePv = function("naive_pv");
        flash = function("flash_forward");
        decodePartial = function("decode_partial");
        decodeCombine = function("decode_combine");
        linear = function("linear_chunked");
    }

    /**
     * Starts CUDA once per process and caches the outcome. Loading JCuda's natives or {@code cuInit} fails on a
     * machine without a driver (UnsatisfiedLinkError for libcuda.so.1, or a CUresult); any such failure becomes the
     * reason, never an exception.
     */
    static synchronized Probe probe() {
        if (probe == null) probe = start();
        return probe;
    }

    /** The started runtime; an {@link IllegalStateException} carrying the reason when CUDA is unavailable. */
    static CudaRuntime get() {
        Probe p = probe();
        if (p.runtime() == null) throw new IllegalStateException("CUDA is unavailable: " + p.reason());
        return p.runtime();
    }

    private static Probe start() {
        try {
            JCudaDriver.setExceptionsEnabled(false);          // the first JCudaDriver use loads the natives
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return new Probe(null, "no CUDA driver: " + describe(t));
        }
        try {
            int result = cuInit(0);
            if (result != CUresult.CUDA_SUCCESS) {
                return new Probe(null, "no CUDA driver: cuInit failed: " + errorName(result) + " (" + result + ")");
            }
            int[] count = new int[1];
            check(cuDeviceGetCount(count), "cuDeviceGetCount");
            if (count[0] == 0) return new Probe(null, "no CUDA device: the driver reports 0 devices");
            CUdevice device = new CUdevice();
            check(cuDeviceGet(device, 0), "cuDeviceGet(0)");
            int major = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            int minor = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            byte[] name = new byte[256];
            check(cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
            String deviceName = new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
            int[] version = new int[1];
            check(cuDriverGetVersion(version), "cuDriverGetVersion");
            if (major < 8) {
                return new Probe(null, "unsupported GPU: " + deviceName + " has compute capability " + major + "."
                        + minor + "; the kernels are built for sm_80 and newer");
            }
            CUcontext context = new CUcontext();
            check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
            check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            byte[] image = fatbin();
            CUmodule module = new CUmodule();
            int loaded = cuModuleLoadData(module, image);
            if (loaded != CUresult.CUDA_SUCCESS) {
                cuDevicePrimaryCtxRelease(device);
                return new Probe(null, "kernels do not load on " + deviceName + " (sm_" + major + minor + ", driver "
                        + version[0] + "): cuModuleLoadData failed: " + errorName(loaded) + " (" + loaded + ")"
                        + "; the fatbin holds SASS for sm_80/sm_90 and PTX ISA 9.0 for compute_80 (JIT needs R580+)");
            }
            return new Probe(new CudaRuntime(context, module, deviceName, version[0], major, minor), null);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return new Probe(null, "CUDA failed to start: " + describe(t));
        }
    }

    /**
     * One line for a failure to start. JCuda's UnsatisfiedLinkError message is a page of nested stack traces; the
     * line that matters names the missing system library, e.g. {@code libcuda.so.1: cannot open shared object
     * file: No such file or directory}.
     */
    static String describe(Throwable t) {
        String message = t.getMessage() == null ? "" : t.getMessage();
        String first = message.lines().findFirst().orElse("");
        String missing = message.lines().map(String::trim)
                .filter(l -> l.startsWith("java.lang.UnsatisfiedLinkError:") && l.contains(".so: "))
                .reduce((a, b) -> b).map(l -> l.substring(l.indexOf(".so: ") + ".so: ".length())).orElse(null);
        if (missing != null) return missing + " (" + t.getClass().getSimpleName() + ": " + first + ")";
        return t.getClass().getSimpleName() + (first.isEmpty() ? "" : ": " + first);
    }

    static byte[] fatbin() throws IOException {
        try (InputStream in = CudaRuntime.class.getResourceAsStream(FATBIN)) {
            if (in == null) throw new IOException("resource " + FATBIN + " is missing from the class path");
            return in.readAllBytes();
        }
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] value = new int[1];
        check(cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
        return value[0];
    }

    /** Throws a {@link CudaException} naming {@code call} unless {@code result} is {@code CUDA_SUCCESS}. */
    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new CudaException(call, result, errorName(result));
    }

    private static String errorName(int result) {
        try {
            String[] name = new String[1];
            if (cuGetErrorName(result, name) == CUresult.CUDA_SUCCESS && name[0] != null) return name[0];
        } catch (Throwable ignored) {
            // fall through to JCuda's own table
        }
        return CUresult.stringFor(result);
    }

    private CUfunction function(String name) {
        CUfunction f = new CUfunction();
        check(cuModuleGetFunction(f, module, name), "cuModuleGetFunction(" + name + ")");
        return f;
    }

    String describeDevice() {
        return deviceName + " (sm_" + computeMajor + computeMinor + ", driver " + driverVersion + ")";
    }

    long poolAllocations() {
        return pool.allocations();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Core attention
    // ---------------------------------------------------------------------------------------------------------

    /** Computes {@code problem} with {@code kernel} and writes {@code out} (any layout). */
    synchronized void attention(AttentionProblem problem, Tensor out, Kernel kernel) {
        run(problem, out, kernel, 0, 0);
    }

    /**
     * Times {@code iterations} launches of the kernel sequence with CUDA events, after {@code warmup} untimed ones;
     * inputs stay on the device throughout, so the figures exclude transfers. Also writes {@code out}.
     */
    synchronized float[] time(AttentionProblem problem, Tensor out, Kernel kernel, int warmup, int iterations) {
        return run(problem, out, kernel, warmup, iterations);
    }

    private float[] run(AttentionProblem problem, Tensor out, Kernel choice, int warmup, int iterations) {
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
        AttentionSpec s = problem.spec();
        Kernel kernel = choice.resolve(s.qLength(), s.kvLength(), s.qkHeadDim(), s.vHeadDim());
        if (kernel == Kernel.FLASH && (s.qkHeadDim() > Kernel.FLASH_MAX_HEAD_DIM
                || s.vHeadDim() > Kernel.FLASH_MAX_HEAD_DIM)) {
            throw new IllegalArgumentException("flash_forward supports head dims up to " + Kernel.FLASH_MAX_HEAD_DIM
                    + ", got Dqk=" + s.qkHeadDim() + " Dv=" + s.vHeadDim() + "; use -D" + Kernel.PROPERTY + "=auto");
        }
        if (choice == Kernel.AUTO && kernel == Kernel.FLASH && (long) s.batch() * s.qHeads() > 65535) {
            kernel = Kernel.NAIVE;                           // flash puts B*Hq on grid y (at most 65535)
        }
        if (kernel == Kernel.DECODE && decodeSharedBytes(s) > SMEM_DEFAULT) {
            if (choice == Kernel.DECODE) {
                throw new IllegalArgumentException("decode_partial needs " + decodeSharedBytes(s) + " bytes of shared "
                        + "memory for Dqk=" + s.qkHeadDim() + ", more than " + SMEM_DEFAULT);
            }
            kernel = Kernel.NAIVE;
        }
        float[] outHost = new float[Math.toIntExact((long) s.batch() * s.qHeads() * s.qLength() * s.vHeadDim())];
        float[] times = new float[iterations];
        try (DevicePool.Lease lease = pool.lease()) {
            CUdeviceptr q = upload(lease, problem.query().toArray(), "Q");
            CUdeviceptr k = upload(lease, problem.key().toArray(), "K");
            CUdeviceptr v = upload(lease, problem.value().toArray(), "V");
            CUdeviceptr o = lease.take(4L * outHost.length, "output");
            byte[] masking = masking(problem, lease);
            Launch launch = switch (kernel) {
                case NAIVE -> naive(s, q, k, v, o, masking, lease);
                case FLASH -> flash(s, q, k, v, o, masking);
                case DECODE -> decode(s, q, k, v, o, masking, lease);
                case AUTO -> throw new AssertionError("resolved above");
            };
            for (int w = 0; w < warmup; w++) launch.run();
            if (iterations > 0) timeLaunches(launch, times);
            else launch.run();
            check(cuCtxSynchronize(), "cuCtxSynchronize after " + kernel.name().toLowerCase() + " attention");
            check(cuMemcpyDtoH(Pointer.to(outHost), o, 4L * outHost.length), "cuMemcpyDtoH(output)");
        }
        out.copyFrom(Tensor.of(outHost, problem.outputShape()));
        return times;
    }

    /** One attention computation as a sequence of launches on the default stream. */
    @FunctionalInterface
    private interface Launch {
        void run();
    }

    private static void timeLaunches(Launch launch, float[] times) {
        CUevent start = new CUevent(), stop = new CUevent();
        boolean startMade = false, stopMade = false;
        try {
            check(cuEventCreate(start, 0), "cuEventCreate");
            startMade = true;
            check(cuEventCreate(stop, 0), "cuEventCreate");
            stopMade = true;
            float[] ms = new float[1];
            for (int it = 0; it < times.length; it++) {
                check(cuEventRecord(start, null), "cuEventRecord(start)");
                launch.run();
                check(cuEventRecord(stop, null), "cuEventRecord(stop)");
                check(cuEventSynchronize(stop), "cuEventSynchronize");
                check(cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
                times[it] = ms[0];
            }
        } finally {
            if (startMade) cuEventDestroy(start);
            if (stopMade) cuEventDestroy(stop);
        }
    }

    private static CUdeviceptr upload(DevicePool.Lease lease, float[] host, String what) {
        CUdeviceptr ptr = lease.take(4L * host.length, what);
        if (host.length > 0) check(cuMemcpyHtoD(ptr, Pointer.to(host), 4L * host.length), "cuMemcpyHtoD(" + what + ")");
        return ptr;
    }

    /** Uploads the mask and key lengths (at their stored shapes) and packs the kernels' Masking argument. */
    private static byte[] masking(AttentionProblem problem, DevicePool.Lease lease) {
        AttentionSpec s = problem.spec();
        long keyLengths = 0, mask = 0;
        int kind = Masking.MASK_NONE;
        int[] strides = null;
        if (problem.keyLengths() != null) {
            int[] lengths = problem.keyLengths();
            CUdeviceptr ptr = lease.take(4L * lengths.length, "key lengths");
            check(cuMemcpyHtoD(ptr, Pointer.to(lengths), 4L * lengths.length), "cuMemcpyHtoD(key lengths)");
            keyLengths = address(ptr);
        }
        Mask m = problem.mask();
        if (m != null) {
            strides = m.broadcastTo(s.batch(), s.qHeads(), s.qLength(), s.kvLength()).strides();
            if (m instanceof Mask.Keep keep) {
                boolean[] values = keep.keep();
                byte[] bytes = new byte[values.length];
                for (int e = 0; e < values.length; e++) bytes[e] = (byte) (values[e] ? 1 : 0);
                CUdeviceptr ptr = lease.take(bytes.length, "boolean mask");
                check(cuMemcpyHtoD(ptr, Pointer.to(bytes), bytes.length), "cuMemcpyHtoD(boolean mask)");
                mask = address(ptr);
                kind = Masking.MASK_KEEP;
            } else if (m instanceof Mask.Bias bias) {
                mask = address(upload(lease, bias.bias(), "additive mask"));
                kind = Masking.MASK_BIAS;
            }
        }
        Window w = s.window();
        return Masking.pack(keyLengths, mask, strides, s.causal(), s.positionOffset(), w != null,
                w == null ? Masking.UNBOUNDED : w.left(), w == null ? Masking.UNBOUNDED : w.right(), kind);
    }

    /** The raw device address of {@code ptr}, for the Masking struct. */
    private static long address(CUdeviceptr ptr) {
        return ((DevicePtr) ptr).address();
    }

    private Launch naive(AttentionSpec s, CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr o, byte[] masking,
                         DevicePool.Lease lease) {
        long elements = (long) s.batch() * s.qHeads() * s.qLength() * s.kvLength();
        long rows = (long) s.batch() * s.qHeads() * s.qLength();
        long outputs = rows * s.vHeadDim();
        CUdeviceptr scores = lease.take(4 * elements, "score matrix (" + elements + " floats)");
        CUdeviceptr vis = lease.take(elements, "visibility matrix");
        Pointer scoreArgs = Pointer.to(Pointer.to(q), Pointer.to(k), Pointer.to(scores), Pointer.to(vis),
                ints(s.batch()), ints(s.qHeads()), ints(s.kvHeads()), ints(s.qLength()), ints(s.kvLength()),
                ints(s.qkHeadDim()), floats((float) s.effectiveScale()), floats((float) s.softcap()),
                Pointer.to(masking));
        Pointer softmaxArgs = Pointer.to(Pointer.to(scores), Pointer.to(vis), Pointer.to(new long[]{rows}),
                ints(s.kvLength()));
        Pointer pvArgs = Pointer.to(Pointer.to(scores), Pointer.to(vis), Pointer.to(v), Pointer.to(o),
                ints(s.batch()), ints(s.qHeads()), ints(s.kvHeads()), ints(s.qLength()), ints(s.kvLength()),
                ints(s.vHeadDim()));
        return () -> {
            launch(naiveScores, "naive_scores", blocks(elements), 1, THREADS_1D, 0, scoreArgs);
            launch(naiveSoftmax, "naive_softmax", blocks(rows), 1, THREADS_1D, 0, softmaxArgs);
            launch(naivePv, "naive_pv", blocks(outputs), 1, THREADS_1D, 0, pvArgs);
        };
    }

    private Launch flash(AttentionSpec s, CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr o, byte[] masking) {
        int dqk = s.qkHeadDim(), dv = s.vHeadDim();
        int shared = flashSharedBytes(dqk, dv);
        long bh = (long) s.batch() * s.qHeads();
        if (bh > 65535) throw new IllegalArgumentException("flash_forward grid: B*Hq = " + bh + " exceeds 65535");
        int tiles = (s.qLength() + FL_BM - 1) / FL_BM;
        Pointer args = Pointer.to(Pointer.to(q), Pointer.to(k), Pointer.to(v), Pointer.to(o), ints(s.batch()),
                ints(s.qHeads()), ints(s.kvHeads()), ints(s.qLength()), ints(s.kvLength()), ints(dqk), ints(dv),
                floats((float) s.effectiveScale()), floats((float) s.softcap()), Pointer.to(masking));
        return () -> launch(flash, "flash_forward", tiles, (int) bh, FL_THREADS, shared, args);
    }

    /** Dynamic shared memory of flash_forward: Qs[32][Dqk+1], KVs[32][max(Dqk,Dv)+1], Ps[32][32] (37,120 bytes at 128). */
    static int flashSharedBytes(int dqk, int dv) {
        return 4 * (FL_BM * (dqk + 1) + FL_BN * (Math.max(dqk, dv) + 1) + FL_BM * FL_BN);
    }

    /** Dynamic shared memory of decode_partial: qs[Dqk], p[256] floats, vis[256] bytes. */
    static int decodeSharedBytes(AttentionSpec s) {
        return 4 * (s.qkHeadDim() + DEC_CHUNK) + DEC_CHUNK;
    }

    private Launch decode(AttentionSpec s, CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr o, byte[] masking,
                          DevicePool.Lease lease) {
        long rows = (long) s.batch() * s.qHeads() * s.qLength();
        int splits = (s.kvLength() + DEC_CHUNK - 1) / DEC_CHUNK;
        if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException("decode grid: " + rows + " rows");
        CUdeviceptr partMax = lease.take(4 * rows * splits, "decode partial maxima");
        CUdeviceptr partSum = lease.take(4 * rows * splits, "decode partial sums");
        CUdeviceptr partAcc = lease.take(4 * rows * splits * s.vHeadDim(), "decode partial outputs");
        Pointer partialArgs = Pointer.to(Pointer.to(q), Pointer.to(k), Pointer.to(v), Pointer.to(partMax),
                Pointer.to(partSum), Pointer.to(partAcc), ints(s.batch()), ints(s.qHeads()), ints(s.kvHeads()),
                ints(s.qLength()), ints(s.kvLength()), ints(s.qkHeadDim()), ints(s.vHeadDim()),
                floats((float) s.effectiveScale()), floats((float) s.softcap()), Pointer.to(masking));
        Pointer combineArgs = Pointer.to(Pointer.to(partMax), Pointer.to(partSum), Pointer.to(partAcc), Pointer.to(o),
                Pointer.to(new long[]{rows}), ints(splits), ints(s.vHeadDim()));
        int shared = decodeSharedBytes(s);
        return () -> {
            launch(decodePartial, "decode_partial", (int) rows, splits, DEC_THREADS, shared, partialArgs);
            launch(decodeCombine, "decode_combine", blocks(rows * s.vHeadDim()), 1, THREADS_1D, 0, combineArgs);
        };
    }

    // ---------------------------------------------------------------------------------------------------------
    // Chunked causal linear attention
    // ---------------------------------------------------------------------------------------------------------

    /**
     * o_t = q_t . S_t with S_t = S_in + sum_{s<=t} k_s v_s^T, for {@code heads} independent (batch, head) sequences
     * in dense (heads, length, dim) layout; returns the outputs and the final state (heads, Dk, Dv).
     */
    synchronized float[][] linearChunked(float[] qs, float[] ks, float[] vs, float[] stateIn, int heads, int length,
                                         int dk, int dv) {
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
        int shared = 4 * (dk * LIN_DV + 2 * LIN_C * dk + LIN_C * LIN_DV + LIN_C * LIN_C);
        if (shared > SMEM_DEFAULT) {
            throw new IllegalArgumentException("linear_chunked keeps the state in shared memory: Dk = " + dk
                    + " needs " + shared + " bytes, more than " + SMEM_DEFAULT);
        }
        float[] out = new float[heads * length * dv];
        float[] stateOut = new float[heads * dk * dv];
        try (DevicePool.Lease lease = pool.lease()) {
            CUdeviceptr q = upload(lease, qs, "linear Q");
            CUdeviceptr k = upload(lease, ks, "linear K");
            CUdeviceptr v = upload(lease, vs, "linear V");
            CUdeviceptr si = stateIn == null ? null : upload(lease, stateIn, "linear state in");
            CUdeviceptr o = lease.take(4L * out.length, "linear output");
            CUdeviceptr so = lease.take(4L * stateOut.length, "linear state out");
            Pointer args = Pointer.to(Pointer.to(q), Pointer.to(k), Pointer.to(v), Pointer.to(o),
                    si == null ? Pointer.to(new long[]{0}) : Pointer.to(si), Pointer.to(so), ints(length), ints(dk),
                    ints(dv));
            launch(linear, "linear_chunked", heads, (dv + LIN_DV - 1) / LIN_DV, LIN_THREADS, shared, args);
            check(cuCtxSynchronize(), "cuCtxSynchronize after linear_chunked");
            check(cuMemcpyDtoH(Pointer.to(out), o, 4L * out.length), "cuMemcpyDtoH(linear output)");
            check(cuMemcpyDtoH(Pointer.to(stateOut), so, 4L * stateOut.length), "cuMemcpyDtoH(linear state)");
        }
        return new float[][]{out, stateOut};
    }

    // ---------------------------------------------------------------------------------------------------------

    private static void launch(CUfunction f, String name, int gridX, int gridY, int threads, int shared, Pointer args) {
        check(cuLaunchKernel(f, gridX, gridY, 1, threads, 1, 1, shared, null, args, null),
                "cuLaunchKernel(" + name + ", grid " + gridX + "x" + gridY + ", " + threads + " threads, " + shared
                        + " bytes shared)");
    }

    private static int blocks(long threads) {
        long b = (threads + THREADS_1D - 1) / THREADS_1D;
        if (b > Integer.MAX_VALUE) throw new IllegalArgumentException("grid of " + b + " blocks is too large");
        return (int) Math.max(b, 1);
    }

    private static Pointer ints(int value) {
        return Pointer.to(new int[]{value});
    }

    private static Pointer floats(float value) {
        return Pointer.to(new float[]{value});
    }
}
