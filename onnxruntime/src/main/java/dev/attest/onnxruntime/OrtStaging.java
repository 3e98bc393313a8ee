package dev.attest.onnxruntime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Moves Attest tensors into the dense direct buffers ONNX Runtime reads, and its output back, in the tensors' own
 * element types: fp32 as floats, fp16 as its stored bits (ORT {@code FLOAT16}), never widened on the way. A direct
 * buffer in native order is used by ONNX Runtime in place, so each slot keeps one buffer and reuses it while it is
 * big enough, and the output is written straight into the Y buffer.
 */
final class OrtStaging {
    /** The node's inputs and its output, one buffer each (past K/V for a cache's step). */
    enum Slot { Q, K, V, MASK, Y, PAST_KEY, PAST_VALUE }

    private final DirectBuffers<Slot> buffers = new DirectBuffers<>();

    /** {@code t}'s elements in row-major (B, H, S, D) order, whatever its layout, as an ORT tensor of its type. */
    OnnxTensor input(OrtEnvironment env, Slot slot, Tensor t) throws OrtException {
        long[] shape = longs(t.shape());
        int n = (int) t.size();
        return switch (t.type()) {
            case FP32 -> {
                FloatBuffer floats = buffers.get(slot, n * Float.BYTES).asFloatBuffer();
                float[] data = t.data();
                t.forEachIndex(i -> floats.put(data[i]));
                yield OnnxTensor.createTensor(env, floats.flip(), shape);
            }
            case FP16 -> {
                ShortBuffer halves = buffers.get(slot, n * Short.BYTES).asShortBuffer();
                short[] bits = t.bits16();
                t.forEachIndex(i -> halves.put(bits[i]));
                yield OnnxTensor.createTensor(env, halves.flip(), shape, OnnxJavaType.FLOAT16);
            }
            default -> throw new IllegalArgumentException("no ONNX Runtime tensor for " + t.type());
        };
    }

    /** A boolean attn_mask of {@code shape} (row-major values). */
    OnnxTensor boolMask(OrtEnvironment env, boolean[] keep, long[] shape) throws OrtException {
        ByteBuffer bytes = buffers.get(Slot.MASK, keep.length);
        for (boolean k : keep) bytes.put((byte) (k ? 1 : 0));
        return OnnxTensor.createTensor(env, bytes.flip(), shape, OnnxJavaType.BOOL);
    }

    /**
     * An additive attn_mask of {@code shape} in {@code type}: ONNX Runtime takes a float mask only in Q's type, so
     * an fp16 call gets the bias rounded to fp16 (-inf stays -inf).
     */
    OnnxTensor additiveMask(OrtEnvironment env, float[] bias, long[] shape, ElementType type) throws OrtException {
        return switch (type) {
            case FP32 -> {
                FloatBuffer floats = buffers.get(Slot.MASK, bias.length * Float.BYTES).asFloatBuffer();
                yield OnnxTensor.createTensor(env, floats.put(bias).flip(), shape);
            }
            case FP16 -> {
                ShortBuffer halves = buffers.get(Slot.MASK, bias.length * Short.BYTES).asShortBuffer();
                for (float b : bias) halves.put((short) ElementType.FP16.encode(b));
                yield OnnxTensor.createTensor(env, halves.flip(), shape, OnnxJavaType.FLOAT16);
            }
            default -> throw new IllegalArgumentException("no ONNX Runtime mask for " + type);
        };
    }

    /** The Y tensor ONNX Runtime writes into: the shape of {@code out}, in its type, over the Y buffer. */
    OnnxTensor output(OrtEnvironment env, Tensor out) throws OrtException {
        ByteBuffer bytes = buffers.get(Slot.Y, (int) out.size() * out.type().bits() / 8);
        long[] shape = longs(out.shape());
        return switch (out.type()) {
            case FP32 -> OnnxTensor.createTensor(env, bytes.asFloatBuffer(), shape);
            case FP16 -> OnnxTensor.createTensor(env, bytes.asShortBuffer(), shape, OnnxJavaType.FLOAT16);
            default -> throw new IllegalArgumentException("no ONNX Runtime output for " + out.type());
        };
    }

    /** Copies what ONNX Runtime wrote into the Y buffer to {@code out}, respecting its view (offset, strides). */
    void copyOut(Tensor out) {
        ByteBuffer y = buffers.last(Slot.Y).duplicate().order(ByteOrder.nativeOrder()).rewind();
        switch (out.type()) {
            case FP32 -> {
                FloatBuffer floats = y.asFloatBuffer();
                float[] data = out.data();
                out.forEachIndex(i -> data[i] = floats.get());
            }
            case FP16 -> {
                ShortBuffer halves = y.asShortBuffer();
                short[] bits = out.bits16();
                out.forEachIndex(i -> bits[i] = halves.get());
            }
            default -> throw new IllegalArgumentException("no ONNX Runtime output for " + out.type());
        }
    }

    static long[] longs(int[] a) {
        long[] l = new long[a.length];
        for (int i = 0; i < a.length; i++) l[i] = a[i];
        return l;
    }
}
