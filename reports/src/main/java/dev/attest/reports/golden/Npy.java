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
 * NumPy's .npy format (version 1.0 written; 1.0 to 3.0 read) for little-endian arrays in C order, and .npz (a zip of
 * .npy files, as {@code numpy.savez} writes). The dtypes are those of golden files ({@link Dtype}): float32,
 * float64 (read and narrowed to float32), bool (read as 0 and 1), and the raw bits of the low-precision formats:
 * {@code <f2} (IEEE half, which NumPy knows), {@code <u2} (bf16 bits: NumPy has no bf16) and {@code |u1} (fp8
 * bits). Which format a {@code <u2} or {@code |u1} array holds, the case's JSON says, not the file.
 *
 * <p>A file is untrusted input: before anything is allocated, the dtype and shape its header claims are checked
 * against what the caller expects and against the bytes the file holds, so a header claiming 10^10 elements is
 * refused in constant memory.
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

    /** The dtypes read and written, by their .npy {@code descr}; the three storage kinds are float, 16 and 8 bits. */
    public enum Dtype {
        FLOAT32("<f4", 4, "float32"),
        FLOAT64("<f8", 8, "float64"),
        BOOL("|b1", 1, "bool"),
        FLOAT16("<f2", 2, "float16"),
        UINT16("<u2", 2, "uint16"),
        UINT8("|u1", 1, "uint8"),
        INT32("<i4", 4, "int32"),
        INT64("<i8", 8, "int64");

        private final String descr;
        private final int itemSize;
        private final String numpyName;

        Dtype(String descr, int itemSize, String numpyName) {
            this.descr = descr;
            this.itemSize = itemSize;
            this.numpyName = numpyName;
        }

        public String descr() {
            return descr;
        }

        /** Held as a float[] (float32, float64 narrowed, bool as 0/1), else as raw bits or integers. */
        boolean isFloat() {
            return this == FLOAT32 || this == FLOAT64 || this == BOOL;
        }

        /** Held as a long[]: key lengths, offsets, ONNX's int64 inputs. */
        public boolean isInteger() {
            return this == INT32 || this == INT64;
        }

        /** "&lt;f2 (float16)": the descr with NumPy's name, for messages. */
        public String describe() {
            return descr + " (" + numpyName + ")";
        }

        static Dtype of(String descr) {
            for (Dtype d : values()) if (d.descr.equals(descr)) return d;
            return null;
        }
    }

    /**
     * An array: its shape, its dtype and its elements in C (row-major) order: values in a float[] for float32,
     * float64 and bool; raw bits in a short[] for {@code <f2} and {@code <u2}, in a byte[] for {@code |u1}; integers
     * in a long[] for {@code <i4} and {@code <i8}.
     */
    public static final class Array {
        private final int[] shape;
        private final Dtype dtype;
        private final float[] floats;
        private final short[] bits16;
        private final byte[] bits8;
        private final long[] ints;

        private Array(int[] shape, Dtype dtype, float[] floats, short[] bits16, byte[] bits8, long[] ints, int length) {
            long n = 1;
            for (int d : shape) n *= d;
            if (n != length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, not "
                        + length);
            }
            this.shape = shape.clone();
            this.dtype = dtype;
            this.floats = floats;
            this.bits16 = bits16;
            this.bits8 = bits8;
            this.ints = ints;
        }

        /** float32 values. */
        public Array(int[] shape, float[] data) {
            this(shape, data, Dtype.FLOAT32);
        }

        /** Values of a float dtype: float32, float64 (as read, narrowed) or bool (0 and 1). */
        public Array(int[] shape, float[] data, Dtype dtype) {
            this(shape, requireFloat(dtype), data, null, null, null, data.length);
        }

        /** Raw 16-bit elements: {@code <f2} (fp16 bits) or {@code <u2} (bf16 bits). */
        public static Array ofBits(int[] shape, short[] bits, Dtype dtype) {
            if (dtype != Dtype.FLOAT16 && dtype != Dtype.UINT16) throw new IllegalArgumentException(dtype + " is not 16-bit");
            return new Array(shape, dtype, null, bits, null, null, bits.length);
        }

        /** Raw 8-bit elements ({@code |u1}: fp8 bits). */
        public static Array ofBits(int[] shape, byte[] bits) {
            return new Array(shape, Dtype.UINT8, null, null, bits, null, bits.length);
        }

        /** Integers of an {@code <i4} or {@code <i8} array (an int32 one's values must fit in int32). */
        public static Array ofInts(int[] shape, long[] values, Dtype dtype) {
            if (!dtype.isInteger()) throw new IllegalArgumentException(dtype + " is not an integer dtype");
            for (long v : values) {
                if (dtype == Dtype.INT32 && (int) v != v) throw new IllegalArgumentException(v + " is not an int32");
            }
            return new Array(shape, dtype, null, null, null, values, values.length);
        }

        private static Dtype requireFloat(Dtype dtype) {
            if (!dtype.isFloat()) throw new IllegalArgumentException(dtype + " is held as bits, not floats");
            return dtype;
        }

        public int[] shape() {
            return shape.clone();
        }

        public Dtype dtype() {
            return dtype;
        }

        public boolean isBool() {
            return dtype == Dtype.BOOL;
        }

        /** The values of a float32, float64 or bool array (shared, not copied). */
        public float[] data() {
            if (floats == null) throw new IllegalStateException("a " + dtype.descr + " array holds bits: bits16()/bits8()");
            return floats;
        }

        /** The raw bits of a {@code <f2} or {@code <u2} array (shared). */
        public short[] bits16() {
            if (bits16 == null) throw new IllegalStateException("a " + dtype.descr + " array holds no 16-bit elements");
            return bits16;
        }

        /** The raw bits of a {@code |u1} array (shared). */
        public byte[] bits8() {
            if (bits8 == null) throw new IllegalStateException("a " + dtype.descr + " array holds no 8-bit elements");
            return bits8;
        }

        /** The values of an {@code <i4} or {@code <i8} array (shared). */
        public long[] ints() {
            if (ints == null) throw new IllegalStateException("a " + dtype.descr + " array holds no integers");
            return ints;
        }

        int length() {
            return floats != null ? floats.length : bits16 != null ? bits16.length : bits8 != null ? bits8.length
                    : ints.length;
        }
    }

    /** A .npy file that cannot be read; its message names the file (or the npz entry) and what is wrong. */
    public static final class FormatException extends IOException {
        public FormatException(String message) {
            super(message);
        }
    }

    /**
     * What the caller accepts for an array: returns null when its dtype and shape are acceptable, else why not
     * (checked from the header, before the data is read or allocated).
     */
    @FunctionalInterface
    public interface HeaderCheck {
        HeaderCheck ANY = (dtype, shape) -> null;

        String refusal(Dtype dtype, long[] shape);
    }

    /** Float arrays are written as float32 (a float64 array was narrowed when read), the others as they are. */
    public static byte[] write(Array a) {
        StringBuilder shape = new StringBuilder("(");
        for (int d : a.shape) shape.append(d).append(", ");
        if (a.shape.length > 1) shape.setLength(shape.length() - 2);
        else if (a.shape.length == 1) shape.setLength(shape.length() - 1);
        shape.append(')');
        Dtype dtype = a.dtype == Dtype.FLOAT64 ? Dtype.FLOAT32 : a.dtype;
        String dict = "{'descr': '" + dtype.descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer buf = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + dtype.itemSize * a.length())
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        buf.put(header.getBytes(StandardCharsets.US_ASCII));
        switch (dtype) {
            case BOOL -> { for (float f : a.floats) buf.put((byte) (f != 0 ? 1 : 0)); }
            case FLOAT32 -> { for (float f : a.floats) buf.putFloat(f); }
            case FLOAT16, UINT16 -> { for (short s : a.bits16) buf.putShort(s); }
            case UINT8 -> buf.put(a.bits8);
            case INT32 -> { for (long v : a.ints) buf.putInt((int) v); }
            case INT64 -> { for (long v : a.ints) buf.putLong(v); }
            default -> throw new IllegalStateException(dtype.descr);
        }
        return buf.array();
    }

    /** Reads one .npy held in memory. */
    public static Array read(byte[] bytes, String name) throws FormatException {
        try {
            return read(new java.io.ByteArrayInputStream(bytes), bytes.length, name, HeaderCheck.ANY);
        } catch (FormatException e) {
            throw e;
        } catch (IOException e) {
            throw new FormatException(name + ": " + e.getMessage());
        }
    }

    /**
     * Reads one .npy from {@code in}, which holds {@code size} bytes: header first, then, once its dtype and shape passed
     * {@code check} and fits in {@code size}, exactly the data it claims.
     */
    static Array read(InputStream in, long size, String name, HeaderCheck check) throws IOException {
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
        Dtype dtype = Dtype.of(descr.group(1));
        if (dtype == null) throw new FormatException(name + ": " + unsupported(descr.group(1)));
        long[] shape = parseShape(shapeM.group(1), name);
        long n = 1;
        for (long d : shape) {
            if (d != 0 && n > MAX_ELEMENTS / d) {
                throw new FormatException(name + ": shape " + Arrays.toString(shape) + " has more than "
                        + MAX_ELEMENTS + " elements");
            }
            n *= d;
        }
        String refused = check.refusal(dtype, shape);
        if (refused != null) throw new FormatException(name + ": " + refused);
        long dataBytes = n * dtype.itemSize, available = size - prefix - headerLength;
        if (available < dataBytes) {
            throw new FormatException(name + ": truncated: shape " + Arrays.toString(shape) + " of " + dtype.descr
                    + " needs " + dataBytes + " data bytes, the file holds " + available);
        }
        byte[] raw = in.readNBytes((int) dataBytes);
        if (raw.length < dataBytes) {
            throw new FormatException(name + ": truncated: " + raw.length + " data bytes, " + dataBytes + " expected");
        }
        int[] dims = Arrays.stream(shape).mapToInt(d -> (int) d).toArray();
        ByteBuffer data = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        return switch (dtype) {
            case UINT8 -> Array.ofBits(dims, raw);
            case FLOAT16, UINT16 -> {
                short[] bits = new short[(int) n];
                data.asShortBuffer().get(bits);
                yield Array.ofBits(dims, bits, dtype);
            }
            case INT32, INT64 -> {
                long[] values = new long[(int) n];
                for (int i = 0; i < n; i++) values[i] = dtype == Dtype.INT32 ? data.getInt() : data.getLong();
                yield Array.ofInts(dims, values, dtype);
            }
            default -> {
                float[] values = new float[(int) n];
                for (int i = 0; i < n; i++) {
                    values[i] = switch (dtype) {
                        case FLOAT32 -> data.getFloat();
                        case FLOAT64 -> (float) data.getDouble();
                        default -> data.get() != 0 ? 1f : 0f;
                    };
                }
                yield new Array(dims, values, dtype);
            }
        };
    }

    /** Why a descr is refused, with what to do for the dtypes people try to save low-precision arrays as. */
    private static String unsupported(String descr) {
        String supported = Arrays.stream(Dtype.values()).map(Dtype::descr).reduce((a, b) -> a + ", " + b).orElse("");
        String hint = "";
        if (descr.startsWith(">") && descr.length() > 1) {
            hint = "; it is big-endian: save it with .astype('<" + descr.substring(1) + "')";
        } else if (descr.matches("[|<]V2")) {
            hint = "; ml_dtypes' bfloat16 saves as " + descr + ", which names no format: save a.view(numpy.uint16)"
                    + " (<u2) and name bf16 in the case's \"types\"";
        } else if (descr.matches("[|<]V1")) {
            hint = "; ml_dtypes' float8 types save as " + descr + ", which names no format: save a.view(numpy.uint8)"
                    + " (|u1) and name fp8_e4m3 or fp8_e5m2 in the case's \"types\"";
        }
        return "dtype " + descr + " is not supported (little-endian " + supported + ")" + hint;
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
        return readNpz(file, name -> HeaderCheck.ANY);
    }

    /**
     * Reads every array of an .npz; {@code checks} gives each array name's header check, or null for an array the
     * caller does not know (refused, naming it). Each entry's size comes from the zip's central directory and bounds
     * what is read from it.
     */
    public static Map<String, Array> readNpz(Path file, Function<String, HeaderCheck> checks) throws IOException {
        Map<String, Array> arrays = new LinkedHashMap<>();
        String fileName = file.getFileName().toString();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) continue;
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4)
                        : e.getName();
                String where = fileName + ":" + e.getName();
                HeaderCheck check = checks.apply(name);
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
