package dev.attest.backends.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The host packs the kernels' by-value {@code struct Masking} by hand; nvcc pins its layout with static_asserts
 * (so the layout below is what the compiler really uses) and this test pins the Java side to the same numbers.
 */
class CudaKernelsLayoutTest {
    static final Path SOURCE = Path.of("src/main/cuda/attention.cu");

    @Test
    void maskingOffsetsAgreeWithTheKernelSource() throws IOException {
        String text = Files.readString(SOURCE);
        Matcher block = Pattern.compile("MASKING-LAYOUT[^:]*:([^\\n]*\\n//[^\\n]*)").matcher(text);
        assertTrue(block.find(), "attention.cu lost its MASKING-LAYOUT comment");
        Map<String, Integer> declared = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(\\w+) (\\d+)").matcher(block.group(1).replace("//", ""));
        while (m.find()) declared.put(m.group(1), Integer.parseInt(m.group(2)));
        Map<String, Integer> java = Map.ofEntries(Map.entry("size", Masking.SIZE),
                Map.entry("keyLengths", Masking.KEY_LENGTHS), Map.entry("mask", Masking.MASK),
                Map.entry("ms0", Masking.MS0), Map.entry("ms1", Masking.MS1), Map.entry("ms2", Masking.MS2),
                Map.entry("ms3", Masking.MS3), Map.entry("causal", Masking.CAUSAL), Map.entry("offset", Masking.OFFSET),
                Map.entry("windowLeft", Masking.WINDOW_LEFT), Map.entry("windowRight", Masking.WINDOW_RIGHT),
                Map.entry("hasWindow", Masking.HAS_WINDOW), Map.entry("maskKind", Masking.MASK_KIND));
        assertEquals(java.keySet(), declared.keySet(), "fields of struct Masking");
        java.forEach((field, offset) -> assertEquals(offset, declared.get(field), "offset of " + field));
        // each declared offset is also asserted to nvcc in the same file
        for (String field : java.keySet()) {
            if (field.equals("size")) continue;
            assertTrue(text.contains("offsetof(Masking, " + field + ") == " + java.get(field)),
                    "attention.cu static_asserts offsetof(Masking, " + field + ") == " + java.get(field));
        }
        assertTrue(text.contains("sizeof(Masking) == " + Masking.SIZE));
    }

    @Test
    void packWritesEachFieldAtItsOffset() {
        byte[] bytes = Masking.pack(0x1234_5678_9abcL, 0x42L, new int[]{7, 0, 5, 1}, true, -3, true, 2,
                Masking.UNBOUNDED, Masking.MASK_BIAS);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(Masking.SIZE, bytes.length);
        assertEquals(0x1234_5678_9abcL, b.getLong(Masking.KEY_LENGTHS));
        assertEquals(0x42L, b.getLong(Masking.MASK));
        assertEquals(7, b.getLong(Masking.MS0));
        assertEquals(0, b.getLong(Masking.MS1));
        assertEquals(5, b.getLong(Masking.MS2));
        assertEquals(1, b.getLong(Masking.MS3));
        assertEquals(1, b.getInt(Masking.CAUSAL));
        assertEquals(-3, b.getInt(Masking.OFFSET));
        assertEquals(1, b.getInt(Masking.HAS_WINDOW));
        assertEquals(2, b.getInt(Masking.WINDOW_LEFT));
        assertEquals(Integer.MAX_VALUE, b.getInt(Masking.WINDOW_RIGHT));
        assertEquals(Masking.MASK_BIAS, b.getInt(Masking.MASK_KIND));
        assertEquals(dev.attest.reference.Window.UNBOUNDED, Masking.UNBOUNDED, "window sides pass through as is");
    }
}
