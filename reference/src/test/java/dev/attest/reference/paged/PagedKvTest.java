package dev.attest.reference.paged;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A paged KV means the contiguous K and V its tables list; every inconsistent table is refused naming the entry. */
class PagedKvTest {
    /** A pool of blocks 0..n-1 (block size 2, one head, dim 1) whose slot s of block id holds 10·id + s. */
    private static BlockPool pool(int numBlocks, int... held) {
        Map<Integer, Tensor> blocks = new TreeMap<>();
        for (int id : held) blocks.put(id, Tensor.of(new float[]{10 * id, 10 * id + 1}, 2, 1, 1));
        return new BlockPool(numBlocks, 2, 1, 1, blocks);
    }

    private static void refused(Executable construction, String... phrases) {
        InvalidProblemException e = assertThrows(InvalidProblemException.class, construction);
        for (String phrase : phrases) {
            assertTrue(e.getMessage().contains(phrase), () -> "message '" + e.getMessage() + "' lacks '" + phrase + "'");
        }
    }

    @Test
    void tokensAreGatheredInTableOrderWithZerosPastEachLength() {
        BlockPool p = pool(8, 1, 5, 6);
        // sequence 0: blocks 5, 1 (3 tokens: 50, 51, 10); sequence 1: block 6 (1 token: 60)
        PagedKv kv = new PagedKv(p, p, new int[][]{{5, 1}, {6, 0}}, new int[]{3, 1});
        Tensor k = kv.gatherKeys(4);
        assertArrayEquals(new float[]{50, 51, 10, 0, 60, 0, 0, 0}, k.toArray());
        assertEquals(3, kv.maxLength());
        assertEquals(1, kv.blockOf(0, 2));
    }

    @Test
    void aTableEntryOutsideThePoolOrNamingAnAbsentBlockIsRefusedNamingTheSequenceAndEntry() {
        BlockPool p = pool(8, 1, 5);
        refused(() -> new PagedKv(p, p, new int[][]{{5, 1}, {9}}, new int[]{3, 2}), "sequence 1, block-table entry 0 is 9",
                "outside the pool's 8 blocks");
        refused(() -> new PagedKv(p, p, new int[][]{{5, -1}}, new int[]{3}), "sequence 0, block-table entry 1 is -1");
        refused(() -> new PagedKv(p, p, new int[][]{{5, 3}}, new int[]{4}), "sequence 0, block-table entry 1 names block 3",
                "does not hold");
        // entries past the sequence's blocks are not read, so they may hold anything (vLLM pads them)
        assertEquals(2, new PagedKv(p, p, new int[][]{{5, -7}}, new int[]{2}).length(0));
    }

    @Test
    void aLengthBeyondItsBlocksOrBelowZeroIsRefused() {
        BlockPool p = pool(8, 1, 5);
        refused(() -> new PagedKv(p, p, new int[][]{{5, 1}}, new int[]{5}), "sequence 0 has length 5", "2 block-table"
                + " entries of 2 slots hold 4 tokens");
        refused(() -> new PagedKv(p, p, new int[][]{{5}}, new int[]{-1}), "sequence 0 has length -1");
        refused(() -> new PagedKv(p, p, new int[][]{{5}}, new int[]{1, 1}), "1 block tables but 2 sequence lengths");
    }

    @Test
    void poolsThatDisagreeOrBlocksOfTheWrongShapeAreRefused() {
        refused(() -> new BlockPool(4, 2, 1, 1, Map.of(7, Tensor.zeros(2, 1, 1))), "block id 7 is outside the pool's 4");
        refused(() -> new BlockPool(4, 2, 1, 1, Map.of(1, Tensor.zeros(3, 1, 1))), "block 1 has shape [3, 1, 1]");
        refused(() -> new PagedKv(pool(8, 1), pool(9, 1), new int[][]{{1}}, new int[]{1}), "disagree");
    }

    @Test
    void aPoolPast2To31ElementsIsAddressedInLongArithmetic() {
        // 2^28 blocks of 2 slots x 4 heads x 4 dims: 2^33 elements, only block 2^28 - 1 held
        int last = (1 << 28) - 1;
        BlockPool big = new BlockPool(1 << 28, 2, 4, 4, Map.of(last, Tensor.zeros(2, 4, 4).fill(3f)));
        long at = big.flatIndex(last, 1, 3, 3);
        assertTrue(at > Integer.MAX_VALUE, "past 2^31: " + at);
        assertEquals(3f, big.atFlat(at));
        refused(() -> big.atFlat((int) at), "outside the pool");   // what a 32-bit offset would have read
    }

    @Test
    void aPagedProblemMeansItsContiguousProblemWithTheLengthsAsKeyLengths() {
        BlockPool p = pool(8, 1, 5, 6);
        PagedKv kv = new PagedKv(p, p, new int[][]{{5, 1}, {6, 0}}, new int[]{3, 1});
        AttentionSpec spec = AttentionSpec.builder().batch(2).lengths(1, 4).headDim(1).causal(Alignment.KEY_LENGTHS)
                .build();
        PagedProblem paged = new PagedProblem(spec, Tensor.zeros(2, 1, 1, 1), kv, null);
        AttentionProblem flat = paged.contiguous();
        assertArrayEquals(new int[]{3, 1}, flat.keyLengths());
        assertEquals(2, paged.positionOffset(0), "bottom-right to its own 3 keys: offset 3 - 1");
        assertEquals(0, paged.positionOffset(1));
        refused(() -> new PagedProblem(spec.toBuilder().lengths(1, 2).build(), Tensor.zeros(2, 1, 1, 1), kv, null),
                "sequence 0 has length 3, beyond the key axis Skv = 2");
    }
}
