package dev.attest.backends.cuda;

import jcuda.driver.CUdeviceptr;

/** A device pointer whose raw address can be read, for device addresses packed into a by-value struct argument. */
final class DevicePtr extends CUdeviceptr {
    long address() {
        return getNativePointer();
    }
}
