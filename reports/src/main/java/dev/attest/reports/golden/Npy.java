package dev.attest.reports.golden;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's .npy format (version 1.0 written; 1.0 to 3.0 read) for little-endian float32 arrays in C order, and .npz
 * (a zip of .npy files, as {@code numpy.savez} writes). float64 ({@code <f8}) is read and narrowed to float32.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** An array: its shape and its values in C (row-major) order. */
    public record Array(int[] shape, float[] data) {
        public Array {
            long n = 1;
            for (int d : shape) n *= d;
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, not "
                        + data.length);
            }
        }
    }

    public static byte[] write(Array a) {
        StringBuilder shape = new StringBuilder("(");
        for (int d : a.shape()) shape.append(d).append(", ");
        if (a.shape().length > 1) shape.setLength(shape.length() - 2);
        else if (a.shape().length == 1) shape.setLength(shape.length() - 1);
        shape.append(')');
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer buf = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + 4 * a.data().length)
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        buf.put(header.getBytes(StandardCharsets.US_ASCII));
        for (float f : a.data()) buf.putFloat(f);
        return buf.array();
    }

    public static Array read(byte[] bytes, String name) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (byte m : MAGIC) {
            if (!buf.hasRemaining() || buf.get() != m) throw new IllegalArgumentException(name + ": not a .npy file");
        }
        int major = buf.get() & 0xff;
        buf.get();
        int headerLength = major == 1 ? buf.getShort() & 0xffff : buf.getInt();
        String header = new String(bytes, buf.position(), headerLength,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        buf.position(buf.position() + headerLength);
        Matcher descr = DESCR.matcher(header), fortran = FORTRAN.matcher(header), shapeM = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shapeM.find()) {
            throw new IllegalArgumentException(name + ": malformed .npy header " + header.trim());
        }
        if (fortran.group(1).equals("True")) throw new IllegalArgumentException(name + ": Fortran order is not supported");
        int[] shape = Arrays.stream(shapeM.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
        long n = 1;
        for (int d : shape) n *= d;
        float[] data = new float[(int) n];
        switch (descr.group(1)) {
            case "<f4" -> {
                requireBytes(buf, 4 * n, name);
                for (int i = 0; i < n; i++) data[i] = buf.getFloat();
            }
            case "<f8" -> {
                requireBytes(buf, 8 * n, name);
                for (int i = 0; i < n; i++) data[i] = (float) buf.getDouble();
            }
            default -> throw new IllegalArgumentException(name + ": dtype " + descr.group(1)
                    + " is not supported (little-endian float32 '<f4' or float64 '<f8')");
        }
        return new Array(shape, data);
    }

    private static void requireBytes(ByteBuffer buf, long needed, String name) {
        if (buf.remaining() < needed) {
            throw new IllegalArgumentException(name + ": truncated (" + buf.remaining() + " data bytes, " + needed
                    + " expected)");
        }
    }

    /** Writes arrays as an .npz (names without the .npy suffix, as numpy.savez takes them). */
    public static void writeNpz(OutputStream out, Map<String, Array> arrays) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (var e : arrays.entrySet()) {
            ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
            entry.setTime(315532800000L); // 1980-01-01: the same arrays give the same bytes
            zip.putNextEntry(entry);
            zip.write(write(e.getValue()));
            zip.closeEntry();
        }
        zip.finish();
    }

    public static byte[] npz(Map<String, Array> arrays) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeNpz(out, arrays);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static Map<String, Array> readNpz(Path file) throws IOException {
        Map<String, Array> arrays = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4)
                        : e.getName();
                arrays.put(name, read(zip.readAllBytes(), file.getFileName() + ":" + e.getName()));
            }
        }
        if (arrays.isEmpty()) throw new IOException("no arrays in it (not an .npz?)");
        return arrays;
    }
}
