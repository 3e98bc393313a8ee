package dev.attest.onnxruntime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * Direct buffers that ONNX Runtime reads and writes without a copy, one per slot of a call, kept and reused while big
 * enough (a call allocates nothing once its sizes have been seen).
 */
final class DirectBuffers<K> {
    private final Map<K, ByteBuffer> buffers = new HashMap<>();

    /** The slot's buffer, native order, position 0, limit {@code bytes}; its contents are as the last call left them. */
    ByteBuffer get(K slot, int bytes) {
        ByteBuffer buf = buffers.get(slot);
        if (buf == null || buf.capacity() < bytes) {
            buf = ByteBuffer.allocateDirect(Math.max(bytes, 64)).order(ByteOrder.nativeOrder());
            buffers.put(slot, buf);
        }
        buf.clear().limit(bytes);
        return buf;
    }

    /** The slot's buffer as the last {@link #get} gave it (what ONNX Runtime wrote into an output slot). */
    ByteBuffer last(K slot) {
        ByteBuffer buf = buffers.get(slot);
        if (buf == null) throw new IllegalStateException("no buffer for " + slot + " yet");
        return buf;
    }
}
