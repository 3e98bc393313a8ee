package dev.attest.reference;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * An attention mask over (B, Hq, Sq, Skv), stored at a smaller shape and broadcast NumPy-style: the shape has
 * 1 to 4 axes aligned to the right of (B, Hq, Sq, Skv), each either 1 or the full size (ONNX {@code attn_mask}).
 */
public sealed interface Mask permits Mask.Keep, Mask.Bias {

    /** Row-major shape of the stored values, rank 1 to 4. */
    int[] shape();

    /** Boolean mask: {@code true} means attend (ONNX, PyTorch SDPA convention). */
    record Keep(boolean[] keep, int[] shape) implements Mask {
        public Keep {
            require(keep != null && shape != null, "boolean mask values and shape must not be null");
            shape = shape.clone();
            checkStorage(keep.length, shape);
        }
    }

    /**
     * Additive float bias, added to the logits after softcap. {@code -inf} masks a key; NaN and {@code +inf} are
     * rejected because they would poison the whole row.
     */
    record Bias(float[] bias, int[] shape) implements Mask {
        public Bias {
            require(bias != null && shape != null, "additive mask values and shape must not be null");
            shape = shape.clone();
            checkStorage(bias.length, shape);
            for (int i = 0; i < bias.length; i++) {
                require(!Float.isNaN(bias[i]) && bias[i] != Float.POSITIVE_INFINITY,
                        "additive mask element %d is %s; only finite values and -inf are allowed", i, bias[i]);
            }
        }
    }

    private static void checkStorage(int length, int[] shape) {
        require(shape.length >= 1 && shape.length <= 4,
                "mask must have 1 to 4 axes broadcast to (B, Hq, Sq, Skv), got shape %s", Arrays.toString(shape));
        long size = 1;
        for (int axis = 0; axis < shape.length; axis++) {
            require(shape[axis] > 0, "mask axis %d must be positive, was %d", axis, shape[axis]);
            size *= shape[axis];
        }
        require(size == length, "mask shape %s holds %d values but %d were given", Arrays.toString(shape), size, length);
    }

    /**
     * Resolves this mask against the full (B, Hq, Sq, Skv) shape, rejecting a shape that does not broadcast, and
     * returns the strides to use: stride 0 on broadcast axes.
     */
    default Broadcast broadcastTo(int batch, int qHeads, int qLength, int kvLength) {
        int[] full = {batch, qHeads, qLength, kvLength};
        String[] names = {"B", "Hq", "Sq", "Skv"};
        int[] shape = shape();
        int[] stored = Tensor.rowMajorStrides(shape);
        int[] strides = new int[4];
        for (int axis = 0; axis < 4; axis++) {
            int local = axis - (4 - shape.length);
            if (local < 0) continue;
            require(shape[local] == 1 || shape[local] == full[axis],
                    "mask shape %s does not broadcast to (B, Hq, Sq, Skv) = %s: axis %s has %d, expected 1 or %d",
                    Arrays.toString(shape), Arrays.toString(full), names[axis], shape[local], full[axis]);
            strides[axis] = shape[local] == 1 ? 0 : stored[local];
        }
        return new Broadcast(strides);
    }

    /** Index arithmetic of a mask broadcast to (B, Hq, Sq, Skv). */
    record Broadcast(int[] strides) {
        public int index(int b, int h, int i, int j) {
            return b * strides[0] + h * strides[1] + i * strides[2] + j * strides[3];
        }
    }
}
