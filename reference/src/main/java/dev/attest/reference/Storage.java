package dev.attest.reference;

/**
 * The flat array behind a tensor, in its element type: a {@code float[]} for fp32, a {@code short[]} of raw bits
 * for fp16 and bf16, a {@code byte[]} of raw bits for fp8. Views share it.
 */
sealed interface Storage permits Storage.Floats, Storage.Halves, Storage.Bytes {
    ElementType type();

    int length();

    /** The stored bits at {@code i}, for exact comparison (NaN payloads included). */
    int bits(int i);

    void setBits(int i, int bits);

    /** The stored value at flat index {@code i} (decoded, before any descale). */
    default float get(int i) {
        return type().decode(bits(i));
    }

    /** Stores {@code value} rounded to the type (ties to even; overflow as {@link ElementType#round}). */
    default void set(int i, double value) {
        setBits(i, type().encode(value));
    }

    Storage allocate(int length);

    static Storage zeros(ElementType type, int length) {
        return switch (type) {
            case FP32 -> new Floats(new float[length]);
            case FP16, BF16 -> new Halves(new short[length], type);
            case FP8_E4M3, FP8_E5M2 -> new Bytes(new byte[length], type);
        };
    }

    /** fp32 reads and writes the array directly, not through bits. */
    record Floats(float[] data) implements Storage {
        public ElementType type() { return ElementType.FP32; }
        public int length() { return data.length; }
        public float get(int i) { return data[i]; }
        public void set(int i, double value) { data[i] = (float) value; }
        public int bits(int i) { return Float.floatToRawIntBits(data[i]); }
        public void setBits(int i, int bits) { data[i] = Float.intBitsToFloat(bits); }
        public Storage allocate(int length) { return new Floats(new float[length]); }
    }

    record Halves(short[] data, ElementType type) implements Storage {
        public int length() { return data.length; }
        public int bits(int i) { return data[i] & 0xffff; }
        public void setBits(int i, int bits) { data[i] = (short) bits; }
        public Storage allocate(int length) { return new Halves(new short[length], type); }
    }

    record Bytes(byte[] data, ElementType type) implements Storage {
        public int length() { return data.length; }
        public int bits(int i) { return data[i] & 0xff; }
        public void setBits(int i, int bits) { data[i] = (byte) bits; }
        public Storage allocate(int length) { return new Bytes(new byte[length], type); }
    }
}
