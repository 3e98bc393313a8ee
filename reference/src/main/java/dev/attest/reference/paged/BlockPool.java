package dev.attest.reference.paged;

import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static dev.attest.reference.InvalidProblemException.require;
import static dev.attest.reference.InvalidProblemException.requirePositive;

/**
 * Keys or values stored the way paged-attention kernels store them (vLLM, FlashInfer, FlashAttention's paged KV):
 * fixed-size blocks of {@code blockSize} token slots, each slot holding every kv head's vector, addressed by a block
 * id in {@code [0, numBlocks)}. Only the blocks that exist are held (a sparse map), so a pool may be far larger than
 * this machine's memory: {@code numBlocks·blockSize·heads·dim} may pass 2^31 elements, which is where a kernel that
 * computes a block's offset in 32-bit arithmetic breaks.
 *
 * <p>Each block is a tensor (blockSize, heads, dim) in any layout (FlashAttention's (P, H, D) order, or vLLM's
 * head-major (H, P, D) seen through strides), all of one element type: fp32, fp16 or bf16 (an fp8 pool would need
 * a descale per block and is refused).
 */
public final class BlockPool {
    private final int numBlocks, blockSize, heads, dim;
    private final ElementType type;
    private final Map<Integer, Tensor> blocks;

    public BlockPool(int numBlocks, int blockSize, int heads, int dim, Map<Integer, Tensor> blocks) {
        requirePositive("pool blocks", numBlocks);
        requirePositive("block size", blockSize);
        requirePositive("pool heads", heads);
        requirePositive("pool head dim", dim);
        require(blocks != null && !blocks.isEmpty(), "a block pool holds at least one block");
        ElementType first = null;
        for (Map.Entry<Integer, Tensor> e : blocks.entrySet()) {
            int id = e.getKey();
            Tensor t = e.getValue();
            require(id >= 0 && id < numBlocks, "block id %d is outside the pool's %d blocks", id, numBlocks);
            require(t != null && Arrays.equals(t.shape(), new int[]{blockSize, heads, dim}),
                    "block %d has shape %s but the pool's blocks are (blockSize, heads, dim) = (%d, %d, %d)", id,
                    t == null ? "null" : Arrays.toString(t.shape()), blockSize, heads, dim);
            require(!t.type().isFp8(), "block %d is %s: a paged pool is fp32, fp16 or bf16", id, t.type());
            require(first == null || t.type() == first, "block %d is %s but the pool's blocks are %s", id, t.type(),
                    first);
            first = t.type();
        }
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.heads = heads;
        this.dim = dim;
        this.type = first;
        this.blocks = Collections.unmodifiableMap(new TreeMap<>(blocks));
    }

    /** A dense pool: every block of a (numBlocks, blockSize, heads, dim) tensor, as views of it. */
    public static BlockPool dense(Tensor pool) {
        require(pool.rank() == 4, "a dense pool is (numBlocks, blockSize, heads, dim), got shape %s",
                Arrays.toString(pool.shape()));
        Map<Integer, Tensor> blocks = new TreeMap<>();
        int[] strides = pool.strides();
        for (int id = 0; id < pool.dim(0); id++) {
            blocks.put(id, pool.view(pool.index(id, 0, 0, 0), new int[]{pool.dim(1), pool.dim(2), pool.dim(3)},
                    new int[]{strides[1], strides[2], strides[3]}));
        }
        return new BlockPool(pool.dim(0), pool.dim(1), pool.dim(2), pool.dim(3), blocks);
    }

    public int numBlocks() {
        return numBlocks;
    }

    public int blockSize() {
        return blockSize;
    }

    public int heads() {
        return heads;
    }

    public int dim() {
        return dim;
    }

    public ElementType type() {
        return type;
    }

    public boolean holds(int id) {
        return blocks.containsKey(id);
    }

    /** The ids of the blocks the pool holds, ascending. */
    public Set<Integer> ids() {
        return blocks.keySet();
    }

    /** Block {@code id}, (blockSize, heads, dim). */
    public Tensor block(int id) {
        Tensor t = blocks.get(id);
        require(t != null, "the pool holds no block %d", id);
        return t;
    }

    /**
     * Where element (block, slot, head, d) sits when the pool is seen as one dense (numBlocks, blockSize, heads,
     * dim) array, as a GPU kernel addresses it: a long, since a large pool passes 2^31 elements.
     */
    public long flatIndex(int block, int slot, int head, int d) {
        return (((long) block * blockSize + slot) * heads + head) * dim + d;
    }

    /** The value at a {@link #flatIndex} (an index into a block the pool does not hold is refused). */
    public float atFlat(long index) {
        require(index >= 0 && index < (long) numBlocks * blockSize * heads * dim,
                "flat index %d is outside the pool of %d elements", index, (long) numBlocks * blockSize * heads * dim);
        long perBlock = (long) blockSize * heads * dim;
        int id = (int) (index / perBlock);
        int rest = (int) (index % perBlock), slot = rest / (heads * dim), head = rest / dim % heads, d = rest % dim;
        return block(id).get(slot, head, d);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "pool of %d blocks x %d slots (%d held), Hkv=%d D=%d %s", numBlocks, blockSize,
                blocks.size(), heads, dim, type);
    }
}
