package dev.attest.reports.golden;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's .npy format (version 1.0 written; 1.0 to 3.0 read) for little-endian float32 arrays in C order, and .npz
 * (a zip of .npy files, as {@code numpy.savez} writes). float64 ({@code <f8}) is read and narrowed to float32;
 * bool ({@code |b1}) is read as 0 and 1.
 *
 * <p>A file is untrusted input: before anything is allocated, the shape its header claims is checked against what
 * the caller expects and against the bytes the file holds, so a header claiming 10^10 elements is refused in
 * constant memory.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    /** A header longer than this is not one NumPy wrote (it pads to 64 bytes; real headers are under 200). */
    static final int MAX_HEADER = 65_536;
    /** Elements in one array: what a Java float[] can hold. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private Npy() {
    }

    /** An array: its shape and its values in C (row-major) order; {@code dtype} is the header's descr. */
    public record Array(int[] shape, float[] data, String dtype) {
        public Array {
            long n = 1;
            for (int d : shape) n *= d;
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, not "
                        + data.length);
            }
        }

        public Array(int[] shape, float[] data) {
            this(shape, data, "<f4");
        }

        public boolean isBool() {
            return dtype.equals("|b1");
        }
    }

    /** A .npy file that cannot be read; its message names the file (or the npz entry) and what is wrong. */
    public static final class FormatException extends IOException {
        public FormatException(String message) {
            super(message);
        }
    }

    /**
     * What the caller accepts for an array's shape: returns null when {@code shape} is acceptable, else why not
     * (checked before the data is read or allocated).
     */
    public interface ShapeCheck extends Function<long[], String> {
        ShapeCheck ANY = shape -> null;
    }

    public static byte[] write(Array a) {
        StringBuilder shape = new StringBuilder("(");
        for (int d : a.shape()) shape.append(d).append(", ");
        if (a.shape().length > 1) shape.setLength(shape.length() - 2);
        else if (a.shape().length == 1) shape.setLength(shape.length() - 1);
        shape.append(')');
        boolean bool = a.isBool();
        String dict = "{'descr': '" + (bool ? "|b1" : "<f4") + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer buf = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + (bool ? 1 : 4) * a.data().length)
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        buf.put(header.getBytes(StandardCharsets.US_ASCII));
        for (float f : a.data()) {
            if (bool) buf.put((byte) (f != 0 ? 1 : 0));
            else buf.putFloat(f);
        }
        return buf.array();
    }

    /** Reads one .npy held in memory. */
    public static Array read(byte[] bytes, String name) throws FormatException {
        try {
            return read(new java.io.ByteArrayInputStream(bytes), bytes.length, name, ShapeCheck.ANY);
        } catch (FormatException e) {
            throw e;
        } catch (IOException e) {
            throw new FormatException(name + ": " + e.getMessage());
        }
    }

    /**
     * Reads one .npy from {@code in}, which holds {@code size} bytes: header first, then, once its shape passed
     * {@code check} and fits in {@code size}, exactly the data it claims.
     */
    static Array read(InputStream in, long size, String name, ShapeCheck check) throws IOException {
        byte[] magic = in.readNBytes(MAGIC.length + 2);
        if (magic.length < MAGIC.length + 2 || !Arrays.equals(Arrays.copyOf(magic, MAGIC.length), MAGIC)) {
            throw new FormatException(name + ": not a .npy file (no \\x93NUMPY magic)");
        }
        int major = magic[MAGIC.length] & 0xff;
        if (major < 1 || major > 3) throw new FormatException(name + ": .npy version " + major + " is not 1, 2 or 3");
        byte[] lengthBytes = in.readNBytes(major == 1 ? 2 : 4);
        if (lengthBytes.length < (major == 1 ? 2 : 4)) throw new FormatException(name + ": truncated header");
        ByteBuffer lb = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? lb.getShort() & 0xffff : lb.getInt() & 0xffffffffL;
        long prefix = MAGIC.length + 2 + lengthBytes.length;
        if (headerLength > MAX_HEADER || prefix + headerLength > size) {
            throw new FormatException(name + ": header length " + headerLength + " is more than the file holds ("
                    + size + " bytes) or than " + MAX_HEADER);
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) throw new FormatException(name + ": truncated header");
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header), fortran = FORTRAN.matcher(header), shapeM = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shapeM.find()) {
            throw new FormatException(name + ": malformed .npy header " + header.strip());
        }
        if (fortran.group(1).equals("True")) throw new FormatException(name + ": Fortran order is not supported");
        String dtype = descr.group(1);
        int itemSize = switch (dtype) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            case "|b1" -> 1;
            default -> throw new FormatException(name + ": dtype " + dtype + " is not supported (little-endian"
                    + " float32 '<f4', float64 '<f8' or bool '|b1')");
        };
        long[] shape = parseShape(shapeM.group(1), name);
        long n = 1;
        for (long d : shape) {
            if (d != 0 && n > MAX_ELEMENTS / d) {
                throw new FormatException(name + ": shape " + Arrays.toString(shape) + " has more than "
                        + MAX_ELEMENTS + " elements");
            }
            n *= d;
        }
        String refused = check.apply(shape);
        if (refused != null) throw new FormatException(name + ": " + refused);
        long dataBytes = n * itemSize, available = size - prefix - headerLength;
        if (available < dataBytes) {
            throw new FormatException(name + ": truncated: shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + dataBytes + " data bytes, the file holds " + available);
        }
        byte[] raw = in.readNBytes((int) dataBytes);
        if (raw.length < dataBytes) {
            throw new FormatException(name + ": truncated: " + raw.length + " data bytes, " + dataBytes + " expected");
        }
        ByteBuffer data = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[(int) n];
        for (int i = 0; i < n; i++) {
            values[i] = switch (itemSize) {
                case 4 -> data.getFloat();
                case 8 -> (float) data.getDouble();
                default -> data.get() != 0 ? 1f : 0f;
            };
        }
        return new Array(Arrays.stream(shape).mapToInt(d -> (int) d).toArray(), values, dtype);
    }

    private static long[] parseShape(String tuple, String name) throws FormatException {
        String[] parts = Arrays.stream(tuple.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                .toArray(String[]::new);
        long[] shape = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                shape[i] = Long.parseLong(parts[i].replaceFirst("L$", ""));
            } catch (NumberFormatException e) {
                throw new FormatException(name + ": shape entry '" + parts[i] + "' is not an integer");
            }
            if (shape[i] < 0 || shape[i] > MAX_ELEMENTS) {
                throw new FormatException(name + ": shape entry " + parts[i] + " is outside [0, " + MAX_ELEMENTS + "]");
            }
        }
        return shape;
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
        return readNpz(file, name -> ShapeCheck.ANY);
    }

    /**
     * Reads every array of an .npz; {@code checks} gives each array name's shape check, or null for an array the
     * caller does not know (refused, naming it). Each entry's size comes from the zip's central directory and bounds
     * what is read from it.
     */
    public static Map<String, Array> readNpz(Path file, Function<String, ShapeCheck> checks) throws IOException {
        Map<String, Array> arrays = new LinkedHashMap<>();
        String fileName = file.getFileName().toString();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) continue;
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4)
                        : e.getName();
                String where = fileName + ":" + e.getName();
                ShapeCheck check = checks.apply(name);
                if (check == null) throw new FormatException(where + ": unexpected array '" + name + "'");
                if (arrays.containsKey(name)) throw new FormatException(where + ": array '" + name + "' appears twice");
                if (e.getSize() < 0) throw new FormatException(where + ": the zip does not say the entry's size");
                try (InputStream in = zip.getInputStream(e)) {
                    arrays.put(name, read(in, e.getSize(), where, check));
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new FormatException(fileName + ": not a readable .npz (" + e.getMessage() + ")");
        }
        if (arrays.isEmpty()) throw new FormatException(fileName + ": no arrays in it (not an .npz?)");
        return arrays;
    }
}
