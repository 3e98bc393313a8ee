package dev.attest.backends.cuda;


import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.attest.backends.cuda.CudaRuntime.check;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

/**
 * Device memory reused across calls: allocations are rounded up to a power of two (at least 256 bytes) and kept on
 * a free list per size when released, so a run of same-shaped calls allocates once. At most {@link #maxCachedBytes}
 * stay cached; beyond that a released buffer is freed. Not thread-safe: {@link CudaRuntime} serialises all use.
 *
 * <p>Callers take buffers through a {@link Lease}, whose {@code close()} returns every buffer taken through it, so
 * memory goes back to the pool on every path, errors included.
 */
final class DevicePool implements AutoCloseable {
    private final Map<Long, ArrayDeque<DevicePtr>> free = new HashMap<>();
    private final long maxCachedBytes;
    private long cachedBytes;
    private long allocations;

    DevicePool(long maxCachedBytes) {
        this.maxCachedBytes = maxCachedBytes;
    }

    /** Rounds up to the pool's size classes: a power of two, at least 256 bytes. */
    static long sizeClass(long bytes) {
        if (bytes <= 256) return 256;
        long c = Long.highestOneBit(bytes);
        return c == bytes ? c : c << 1;
    }

    private DevicePtr acquire(long bytes, String what) {
        long size = sizeClass(bytes);
        ArrayDeque<DevicePtr> list = free.get(size);
        if (list != null && !list.isEmpty()) {
            cachedBytes -= size;
            return list.pop();
        }
        DevicePtr ptr = new DevicePtr();
        int result = cuMemAlloc(ptr, size);
        if (result == jcuda.driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY && cachedBytes > 0) {
            trim();                                          // give cached buffers back and try once more
            result = cuMemAlloc(ptr, size);
        }
        check(result, "cuMemAlloc(" + size + " bytes for " + what + ")");
        allocations++;
        return ptr;
    }

    private void release(DevicePtr ptr, long bytes) {
        long size = sizeClass(bytes);
        if (cachedBytes + size > maxCachedBytes) {
            cuMemFree(ptr);                                  // best effort: a release path must not throw
            return;
        }
        free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(ptr);
        cachedBytes += size;
    }

    /** Frees every cached buffer. */
    void trim() {
        for (ArrayDeque<DevicePtr> list : free.values()) {
            for (DevicePtr ptr : list) cuMemFree(ptr);
            list.clear();
        }
        cachedBytes = 0;
    }

    /** Device allocations made so far (a pool that works stops growing this on repeated same-shaped calls). */
    long allocations() {
        return allocations;
    }

    long cachedBytes() {
        return cachedBytes;
    }

    Lease lease() {
        return new Lease();
    }

    @Override
    public void close() {
        trim();
    }

    /** The buffers one call uses; closing it returns them all to the pool. */
    final class Lease implements AutoCloseable {
        private final List<DevicePtr> taken = new ArrayList<>();
        private final List<Long> sizes = new ArrayList<>();

        DevicePtr take(long bytes, String what) {
            DevicePtr ptr = acquire(Math.max(bytes, 1), what);
            taken.add(ptr);
            sizes.add(Math.max(bytes, 1));
            return ptr;
        }

        @Override
        public void close() {
            for (int i = taken.size() - 1; i >= 0; i--) release(taken.get(i), sizes.get(i));
            taken.clear();
            sizes.clear();
        }
    }
}
