package dev.attest.reports.golden;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {
    @TempDir
    Path dir;

    /** A version 1.0 .npy with the given header dictionary and data bytes (what a hostile file can claim). */
    static byte[] npy(String dict, int dataBytes) {
        String header = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    @Test
    void roundTripsWithNumpysHeaderLayout() throws Exception {
        Npy.Array a = new Npy.Array(new int[]{2, 3}, new float[]{1, -2, 3.5f, Float.NaN, 0, 1e-30f});
        byte[] bytes = Npy.write(a);
        assertEquals(0, (bytes.length - 4 * 6) % 64, "header padded to a multiple of 64 bytes");
        String header = new String(bytes, 10, bytes.length - 10 - 24, StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header);
        assertTrue(header.endsWith("\n"));
        Npy.Array back = Npy.read(bytes, "a.npy");
        assertArrayEquals(a.shape(), back.shape());
        assertArrayEquals(a.data(), back.data());
        assertTrue(new String(Npy.write(new Npy.Array(new int[]{4}, new float[4])), 10, 60,
                StandardCharsets.US_ASCII).contains("'shape': (4,)"), "one-element tuple as NumPy writes it");
        Npy.Array bool = Npy.read(Npy.write(new Npy.Array(new int[]{3}, new float[]{1, 0, 1}, Npy.Dtype.BOOL)), "m.npy");
        assertTrue(bool.isBool());
        assertArrayEquals(new float[]{1, 0, 1}, bool.data());
    }

    @Test
    void lowPrecisionBitsRoundTripAsF2U2AndU1() throws Exception {
        short[] half = {Float.floatToFloat16(1.5f), Float.floatToFloat16(-65504f), (short) 0x7e00};
        short[] bf16 = {(short) 0x3fc0, (short) 0xff80, 1};
        byte[] fp8 = {0x38, (byte) 0xff, 1, 0};
        for (Npy.Array a : new Npy.Array[]{Npy.Array.ofBits(new int[]{3}, half, Npy.Dtype.FLOAT16),
                Npy.Array.ofBits(new int[]{1, 3}, bf16, Npy.Dtype.UINT16), Npy.Array.ofBits(new int[]{2, 2}, fp8)}) {
            byte[] bytes = Npy.write(a);
            assertTrue(new String(bytes, 10, 40, StandardCharsets.US_ASCII).startsWith("{'descr': '"
                    + a.dtype().descr() + "'"), a.dtype().descr());
            Npy.Array back = Npy.read(bytes, "a.npy");
            assertEquals(a.dtype(), back.dtype());
            assertArrayEquals(a.shape(), back.shape());
            if (a.dtype() == Npy.Dtype.UINT8) assertArrayEquals(a.bits8(), back.bits8());
            else assertArrayEquals(a.bits16(), back.bits16());
        }
        // little-endian, as NumPy writes <f2: 1.5 is 0x3e00
        byte[] bytes = Npy.write(Npy.Array.ofBits(new int[]{1}, new short[]{Float.floatToFloat16(1.5f)},
                Npy.Dtype.FLOAT16));
        assertEquals(0x00, bytes[bytes.length - 2]);
        assertEquals(0x3e, bytes[bytes.length - 1]);
    }

    @Test
    void integersRoundTripAsI4AndI8LittleEndian() throws Exception {
        long[] lengths = {6, 0, -1, Integer.MAX_VALUE}, big = {1L << 40, -3};
        for (Npy.Array a : new Npy.Array[]{Npy.Array.ofInts(new int[]{4}, lengths, Npy.Dtype.INT32),
                Npy.Array.ofInts(new int[]{2, 1}, big, Npy.Dtype.INT64)}) {
            byte[] bytes = Npy.write(a);
            Npy.Array back = Npy.read(bytes, "a.npy");
            assertEquals(a.dtype(), back.dtype());
            assertArrayEquals(a.shape(), back.shape());
            assertArrayEquals(a.ints(), back.ints());
        }
        byte[] bytes = Npy.write(Npy.Array.ofInts(new int[]{1}, new long[]{0x0102}, Npy.Dtype.INT64));
        assertEquals(0x02, bytes[bytes.length - 8]);
        assertEquals(0x01, bytes[bytes.length - 7]);
        assertThrows(IllegalArgumentException.class,
                () -> Npy.Array.ofInts(new int[]{1}, new long[]{1L << 40}, Npy.Dtype.INT32));
    }

    @Test
    void otherDtypesAreRefusedInOneLineNamingFileArrayAndDtype() throws Exception {
        for (String descr : new String[]{">f2", ">f4", ">i8", "<u4", "|V2", "|V1", "<c8"}) {
            Path file = dir.resolve("x.npz");
            try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
                zip.putNextEntry(new ZipEntry("k.npy"));
                zip.write(npy("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }", 16));
                zip.closeEntry();
            }
            String m = assertThrows(Npy.FormatException.class, () -> Npy.readNpz(file)).getMessage();
            assertTrue(m.startsWith("x.npz:k.npy: dtype " + descr + " is not supported (little-endian <f4, <f8, |b1,"
                    + " <f2, <u2, |u1, <i4, <i8)"), m);
            assertEquals(1, m.lines().count());
            if (descr.startsWith(">")) assertTrue(m.endsWith("it is big-endian: save it with .astype('<"
                    + descr.substring(1) + "')"), m);
            if (descr.equals("|V2")) assertTrue(m.contains("ml_dtypes' bfloat16 saves as |V2"), m);
            if (descr.equals("|V1")) assertTrue(m.contains("a.view(numpy.uint8) (|u1)"), m);
        }
    }

    @Test
    void npzRoundTrips() throws Exception {
        Map<String, Npy.Array> arrays = new LinkedHashMap<>();
        arrays.put("q", new Npy.Array(new int[]{1, 2}, new float[]{1, 2}));
        arrays.put("out", new Npy.Array(new int[]{1, 1, 1, 1}, new float[]{7}));
        Path file = Files.write(dir.resolve("x.npz"), Npy.npz(arrays));
        Map<String, Npy.Array> back = Npy.readNpz(file);
        assertEquals(arrays.keySet(), back.keySet());
        assertArrayEquals(new float[]{7}, back.get("out").data());
    }

    @Test
    void aHeaderClaimingMoreThanTheFileHoldsIsRefusedBeforeAllocating() {
        // 10^10 elements: as an int it would wrap; 2^31: one more than a float[] holds; 2^30: allocatable but absent
        for (String shape : new String[]{"(100000, 100000)", "(2147483648,)", "(1073741824,)"}) {
            byte[] file = npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", 16);
            Npy.FormatException e = assertThrows(Npy.FormatException.class, () -> Npy.read(file, "big.npy"));
            assertTrue(e.getMessage().startsWith("big.npy: "), e.getMessage());
            assertTrue(e.getMessage().contains("elements") || e.getMessage().contains("is outside [0, ")
                            || e.getMessage().contains("the file holds 16"),
                    e.getMessage());
        }
        byte[] negative = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-5, 2), }", 0);
        assertTrue(assertThrows(Npy.FormatException.class, () -> Npy.read(negative, "n.npy")).getMessage()
                .contains("shape entry -5 is outside"));
    }

    @Test
    void anNpzEntryIsCheckedAgainstTheCallersShapeBeforeItsDataIsRead() throws Exception {
        Path file = dir.resolve("bomb.npz");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("q.npy"));
            byte[] head = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 1024), }", 0);
            zip.write(head);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) zip.write(zeros);    // 256 MiB of zeros, under a MiB compressed
            zip.closeEntry();
        }
        Files.write(file, bytes.toByteArray());
        Npy.FormatException e = assertThrows(Npy.FormatException.class, () -> Npy.readNpz(file,
                name -> (dtype, shape) -> shape[0] == 2 ? null : "array '" + name + "' has the wrong shape"));
        assertEquals("bomb.npz:q.npy: array 'q' has the wrong shape", e.getMessage());
        Npy.FormatException unknown = assertThrows(Npy.FormatException.class, () -> Npy.readNpz(file, name -> null));
        assertEquals("bomb.npz:q.npy: unexpected array 'q'", unknown.getMessage());
    }
}
