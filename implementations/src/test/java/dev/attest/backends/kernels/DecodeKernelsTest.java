package dev.attest.backends.kernels;

import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The decode step's widening kernels give exactly ElementType.decode, for every code, at every offset and tail. */
class DecodeKernelsTest {

    @ParameterizedTest
    @EnumSource(ElementType.class)
    void widenDecodesEveryCodeExactly(ElementType type) {
        int codes = type == ElementType.FP32 ? 1 << 16 : 1 << type.bits();
        int n = codes + 13;                                   // a tail after the whole vectors
        Tensor store = switch (type) {
            case FP32 -> Tensor.zeros(n);
            case FP16, BF16 -> Tensor.zeros(type, n);
            case FP8_E4M3, FP8_E5M2 -> Tensor.zeros(type, Descale.ONE, n);
        };
        for (int i = 0; i < n; i++) {
            int code = type == ElementType.FP32 ? Float.floatToRawIntBits((i % codes) * 1.5f - 7e4f) : i % codes;
            store.setBits(code, i);
        }
        for (int offset : new int[]{0, 1, 7}) {
            float[] widened = new float[n - offset + 3];
            DecodeKernels.widen(store, offset, n - offset, widened, 3);
            for (int i = offset; i < n; i++) {
                int code = store.bits(i);
                assertEquals(Float.floatToIntBits(type.decode(code)), Float.floatToIntBits(widened[i - offset + 3]),
                        () -> type + " code 0x" + Integer.toHexString(code) + " at offset " + offset);
            }
        }
    }
}
