package dev.attest.reference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TypedTensorTest {
    @Test
    void aBf16TensorHoldsBitsAndGivesValues() {
        Tensor t = Tensor.zeros(ElementType.BF16, 1, 1, 2, 2);
        t.set(1.00390625f, 0, 0, 0, 1);        // 1 + 2^-8: the tie between 1 and 1 + 2^-7 goes to 1
        t.set(3.0f, 0, 0, 1, 0);
        assertEquals(1.0f, t.get(0, 0, 0, 1));
        assertEquals(0x4040, t.bits16()[2], "3.0 in bf16 is 0x4040");
        assertArrayEquals(new float[]{0, 1, 3, 0}, t.toArray());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::data);
        assertTrue(e.getMessage().contains("bf16, not fp32"), e.getMessage());
    }

    @Test
    void rawBitsAreWrappedWithoutACopy() {
        short[] halves = {(short) 0x3c00, (short) 0xc000};               // fp16 1.0 and -2.0
        Tensor h = Tensor.ofBits(halves, ElementType.FP16, 1, 2);
        assertArrayEquals(new float[]{1, -2}, h.toArray());
        assertSame(halves, h.bits16(), "the caller's array, shared");
        byte[] bytes = {0x38, 0x40};                                      // E4M3 1.0 and 2.0
        Tensor e = Tensor.ofBits(bytes, ElementType.FP8_E4M3, Descale.of(0.5f), 2);
        assertArrayEquals(new double[]{0.5, 1.0}, e.toDoubleArray());
        assertThrows(InvalidProblemException.class, () -> Tensor.ofBits(halves, ElementType.FP8_E4M3, 2));
    }

    @Test
    void anFp8TensorNeedsItsDescaleAndAppliesItPerHeadThroughAnyLayout() {
        assertThrows(InvalidProblemException.class, () -> Tensor.zeros(ElementType.FP8_E4M3, 1, 2, 3, 4));
        Descale perHead = Descale.perHead(0.5f, 4f);
        for (Layout layout : Layout.values()) {
            Tensor t = layout.allocate(ElementType.FP8_E4M3, perHead, 1, 2, 3, 4);
            t.set(3f, 0, 0, 2, 1);                // stored 6 (0.5 * 6 = 3)
            t.set(3f, 0, 1, 2, 1);                // stored 0.75 (4 * 0.75 = 3)
            assertEquals(3.0, t.value(0, 0, 2, 1), layout.name());
            assertEquals(3.0, t.value(0, 1, 2, 1), layout.name());
            assertEquals(6f, ElementType.FP8_E4M3.decode(t.bits(0, 0, 2, 1)), layout.name());
            assertEquals(0.75f, ElementType.FP8_E4M3.decode(t.bits(0, 1, 2, 1)), layout.name());
            assertEquals(layout, Layout.of(t));
        }
        assertThrows(InvalidProblemException.class, () -> Tensor.zeros(ElementType.FP8_E5M2, perHead, 1, 3, 2, 2),
                "two head factors for three heads");
    }

    @Test
    void copiesKeepTypeBitsAndDescaleAndConversionsRound() {
        Tensor f = Tensor.of(new float[]{1.1f, Float.NaN, 70000f, -4.5e-8f}, 1, 1, 1, 4);
        Tensor h = f.to(ElementType.FP16);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(1.1f)), h.get(0, 0, 0, 0));
        assertTrue(Float.isNaN(h.get(0, 0, 0, 1)));
        assertEquals(Float.POSITIVE_INFINITY, h.get(0, 0, 0, 2), "70000 overflows fp16");
        assertEquals(-0x1p-24f, h.get(0, 0, 0, 3), "a subnormal: -4.5e-8 rounds to -2^-24");
        Tensor copy = h.copy();
        assertEquals(ElementType.FP16, copy.type());
        assertArrayEquals(h.bits16(), copy.bits16());
        Tensor e = f.to(ElementType.FP8_E5M2, Descale.of(1024f));
        assertEquals(ElementType.FP8_E5M2, e.copy().type());
        assertSame(e.descale(), e.permute(0, 2, 1, 3).descale());
        assertEquals(64f, ElementType.FP8_E5M2.decode(e.bits(0, 0, 0, 2)),
                "70000 / 1024 = 68.4, stored as 64 (E5M2 steps by 16 there): in range thanks to the descale");
        assertEquals(65536.0, e.value(0, 0, 0, 2));
    }
}
