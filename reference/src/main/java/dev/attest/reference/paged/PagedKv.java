package dev.attest.reference.paged;

import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * The keys and values of a batch in a paged layout: two pools of blocks (one for K, one for V, with the same block
 * ids), and per sequence b a block table and a length. Token j of sequence b lives in block
 * {@code blockTables[b][j / blockSize]}, slot {@code j % blockSize}; sequence b holds {@code lengths[b]} tokens
 * (FlashAttention's {@code cache_seqlens}, vLLM's {@code seq_lens}). A block may appear in several tables (a shared
 * prefix); slots past a sequence's length and blocks no table names hold anything and are never read.
 *
 * <p>Checked at construction, each refusal naming the sequence and the entry: a length beyond what the sequence's
 * blocks hold, a negative length, a table entry outside the pool or naming a block the pool does not hold.
 */
public record PagedKv(BlockPool keys, BlockPool values, int[][] blockTables, int[] lengths) {

    public PagedKv {
        require(keys != null && values != null, "a paged KV needs a key pool and a value pool");
        require(keys.numBlocks() == values.numBlocks() && keys.blockSize() == values.blockSize()
                        && keys.heads() == values.heads() && keys.type() == values.type(),
                "the key pool (%s) and the value pool (%s) disagree: they share block ids, so their blocks must match",
                keys, values);
        require(blockTables != null && lengths != null, "a paged KV needs block tables and lengths");
        require(blockTables.length == lengths.length, "%d block tables but %d sequence lengths", blockTables.length,
                lengths.length);
        int p = keys.blockSize();
        int[][] tables = new int[blockTables.length][];
        for (int b = 0; b < lengths.length; b++) {
            require(blockTables[b] != null, "sequence %d has no block table", b);
            tables[b] = blockTables[b].clone();
            require(lengths[b] >= 0, "sequence %d has length %d: lengths are >= 0", b, lengths[b]);
            require((long) lengths[b] <= (long) tables[b].length * p, "sequence %d has length %d but its %d block-table"
                    + " entries of %d slots hold %d tokens", b, lengths[b], tables[b].length, p, (long) tables[b].length * p);
            for (int i = 0; i < blocksUsed(lengths[b], p); i++) {
                int id = tables[b][i];
                require(id >= 0 && id < keys.numBlocks(), "sequence %d, block-table entry %d is %d, outside the pool's"
                        + " %d blocks", b, i, id, keys.numBlocks());
                require(keys.holds(id) && values.holds(id), "sequence %d, block-table entry %d names block %d, which"
                        + " the pool does not hold", b, i, id);
            }
        }
        blockTables = tables;
        lengths = lengths.clone();
    }

    private static int blocksUsed(int length, int blockSize) {
        return (length + blockSize - 1) / blockSize;
    }

    public int batch() {
        return lengths.length;
    }

    public int blockSize() {
        return keys.blockSize();
    }

    public ElementType type() {
        return keys.type();
    }

    @Override
    public int[][] blockTables() {
        int[][] out = new int[blockTables.length][];
        for (int b = 0; b < out.length; b++) out[b] = blockTables[b].clone();
        return out;
    }

    @Override
    public int[] lengths() {
        return lengths.clone();
    }

    public int length(int b) {
        return lengths[b];
    }

    /** The block holding token {@code j} of sequence {@code b}. */
    public int blockOf(int b, int j) {
        return blockTables[b][j / keys.blockSize()];
    }

    /** The longest sequence's length. */
    public int maxLength() {
        return Arrays.stream(lengths).max().orElse(0);
    }

    /** The keys gathered into a contiguous (B, Hkv, skv, Dqk) tensor: token j of b at row j, zeros past its length. */
    public Tensor gatherKeys(int skv) {
        return gather(keys, skv);
    }

    /** The values gathered likewise, (B, Hkv, skv, Dv). */
    public Tensor gatherValues(int skv) {
        return gather(values, skv);
    }

    private Tensor gather(BlockPool pool, int skv) {
        require(skv >= maxLength(), "a gather over %d keys cannot hold a sequence of %d", skv, maxLength());
        int heads = pool.heads(), dim = pool.dim(), p = pool.blockSize();
        Tensor out = Tensor.zeros(pool.type(), lengths.length, heads, skv, dim);
        for (int b = 0; b < lengths.length; b++) {
            for (int j = 0; j < lengths[b]; j++) {
                Tensor block = pool.block(blockOf(b, j));
                for (int h = 0; h < heads; h++) {
                    for (int d = 0; d < dim; d++) out.setBits(block.bits(j % p, h, d), b, h, j, d);   // stored, as is
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return keys + ", lengths " + Arrays.toString(lengths) + ", tables " + Arrays.deepToString(blockTables);
    }
}
