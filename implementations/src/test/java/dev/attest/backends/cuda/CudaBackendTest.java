package dev.attest.backends.cuda;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import dev.attest.spi.Feature;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What can be checked about the cuda backend without a GPU: discovery never touches native code, a machine without
 * CUDA gets a clear reason (and the suite skips), {@code -Dattest.requireCuda=true} turns that into an error, and
 * the capability declaration is honest about what the kernels do.
 */
class CudaBackendTest {

    private static Optional<String> probe() {
        return CudaRuntime.probe().unavailable();
    }

    @Test
    void serviceLoaderFindsTheBackendWithoutStartingCuda() {
        List<AttentionBackend> found = Backends.discover();
        AttentionBackend cuda = found.stream().filter(b -> b.name().equals("cuda")).findFirst().orElseThrow(
                () -> new AssertionError("cuda not discovered; found " + found));
        assertInstanceOf(CudaBackend.class, cuda);
        assertEquals(CudaBackend.CAPABILITIES, cuda.capabilities());
    }

    @Test
    void withoutCudaTheReasonIsClearAndCached() {
        Optional<String> reason = new CudaBackend(false, null).unavailableReason();
        assumeTrue(reason.isPresent(), "a CUDA device is usable here; the skip path does not apply");
        String r = reason.get();
        System.out.println("cuda backend unavailable: " + r);
        assertTrue(r.startsWith("no CUDA driver: ") || r.startsWith("no CUDA device: ")
                || r.startsWith("unsupported GPU: ") || r.startsWith("kernels do not load ")
                || r.startsWith("CUDA failed to start: "), "reason should say what is missing: " + r);
        assertTrue(r.length() > "no CUDA driver: ".length() + 5, "reason should carry the underlying message: " + r);
        assertSame(CudaRuntime.probe(), CudaRuntime.probe(), "the probe runs once and is cached");
        assertEquals(reason, new CudaBackend(false, null).unavailableReason());
    }

    @Test
    void requireCudaTurnsTheSkipIntoAFailure() {
        Optional<String> missing = Optional.of("no CUDA driver: libcuda.so.1 not found");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CudaBackend.requireWhenAsked(missing, true));
        assertTrue(e.getMessage().contains("-Dattest.requireCuda=true"), e.getMessage());
        assertTrue(e.getMessage().endsWith("no CUDA driver: libcuda.so.1 not found"), e.getMessage());
        assertEquals(missing, CudaBackend.requireWhenAsked(missing, false));
        assertEquals(Optional.empty(), CudaBackend.requireWhenAsked(Optional.empty(), true));
    }

    @Test
    void requireCudaOnThisMachine() {
        assumeTrue(probe().isPresent(), "a CUDA device is usable here");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new CudaBackend(true, null).unavailableReason());
        assertTrue(e.getMessage().contains(probe().get()), e.getMessage());
    }

    @Test
    void computingWithoutCudaIsAClearErrorNotALinkError() {
        assumeTrue(probe().isPresent(), "a CUDA device is usable here");
        AttentionSpec spec = AttentionSpec.builder().lengths(2, 3).headDim(4).build();
        AttentionProblem p = new AttentionProblem(spec, Tensor.zeros(1, 1, 2, 4), Tensor.zeros(1, 1, 3, 4),
                Tensor.zeros(1, 1, 3, 4));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new CudaBackend(false, null).attention(p, p.allocateOutput(Layout.BHSD)));
        assertTrue(e.getMessage().startsWith("CUDA is unavailable: "), e.getMessage());
    }

    @Test
    void declaresTheCoreFeaturesItsKernelsImplementAndNoLayer() {
        var features = CudaBackend.CAPABILITIES.features();
        for (Feature f : List.of(Feature.GROUPED_QUERY_HEADS, Feature.DISTINCT_VALUE_DIM, Feature.CUSTOM_SCALE,
                Feature.SOFTCAP, Feature.BOOLEAN_MASK, Feature.ADDITIVE_MASK, Feature.KEY_PADDING, Feature.CAUSAL,
                Feature.SLIDING_WINDOW, Feature.STRIDED_LAYOUT)) {
            assertTrue(features.contains(f), "declares " + f);
        }
        for (Feature f : List.of(Feature.LAYER, Feature.PROJECTION_BIAS, Feature.CROSS_ATTENTION, Feature.ROTARY,
                Feature.LORA)) {
            assertFalse(features.contains(f), "must not declare " + f + ": no kernel implements it");
        }
    }

    @Test
    void autoPicksFlashDecodeOrNaiveByShape() {
        assertEquals(Kernel.FLASH, Kernel.AUTO.resolve(1024, 1024, 64, 64));
        assertEquals(Kernel.FLASH, Kernel.AUTO.resolve(1, 100, 64, 64), "a short cache is not worth splitting");
        assertEquals(Kernel.DECODE, Kernel.AUTO.resolve(1, 4096, 128, 128));
        assertEquals(Kernel.NAIVE, Kernel.AUTO.resolve(16, 16, 256, 64), "flash holds head dims up to 128");
        assertEquals(Kernel.NAIVE, Kernel.NAIVE.resolve(1, 4096, 64, 64), "a forced kernel stays forced");
    }

    @Test
    void unknownKernelNameListsTheKnownOnes() {
        assumeFalse(System.getProperty(Kernel.PROPERTY) != null, "kernel property set by the caller");
        System.setProperty(Kernel.PROPERTY, "cublas");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Kernel::fromProperty);
            assertTrue(e.getMessage().contains("auto, naive, flash, decode"), e.getMessage());
        } finally {
            System.clearProperty(Kernel.PROPERTY);
        }
        assertEquals(Kernel.AUTO, Kernel.fromProperty());
    }

    @Test
    void poolSizeClassesArePowersOfTwo() {
        assertEquals(256, DevicePool.sizeClass(1));
        assertEquals(256, DevicePool.sizeClass(256));
        assertEquals(512, DevicePool.sizeClass(257));
        assertEquals(1L << 30, DevicePool.sizeClass((1L << 30) - 5));
        assertEquals(1L << 31, DevicePool.sizeClass((1L << 30) + 1));
    }

    @Test
    void aMissingDriverIsDescribedByTheLibraryThatIsMissing() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("""
                Error while loading native library "JCudaDriver-12.6.0-linux-x86_64"
                Stack trace from the attempt to load the library as a resource:
                java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot \
                open shared object file: No such file or directory
                	at java.base/jdk.internal.loader.NativeLibraries.load(Native Method)
                """);
        assertEquals("libcuda.so.1: cannot open shared object file: No such file or directory (UnsatisfiedLinkError: "
                + "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\")", CudaRuntime.describe(e));
        assertEquals("CudaException: cuInit failed: X (1)", CudaRuntime.describe(new CudaException("cuInit", 1, "X")));
    }
}
