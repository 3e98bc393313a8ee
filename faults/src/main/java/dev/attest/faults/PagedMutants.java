package dev.attest.faults;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Tensor;
import dev.attest.reference.paged.BlockPool;
import dev.attest.reference.paged.PagedKv;
import dev.attest.reference.paged.PagedProblem;

import java.util.List;

import static dev.attest.faults.Mutant.Kit.SOFTMAX;

/**
 * Planted bugs of paged KV reads, each of a kind reported in serving kernels: cpu-naive behind a gather that reads
 * the blocks the way the broken kernel does. Contiguous calls are correct, so only the paged properties can see them.
 */
final class PagedMutants {
    static final String BIT_FOR_BIT = "required_S10_any_page_size_and_block_order_gives_the_contiguous_result_bit_for_bit",
            UNOWNED = "required_S10_slots_and_blocks_a_sequence_does_not_own_do_not_change_its_output",
            HUGE_POOL = "required_S10_block_ids_past_2_to_the_31_pool_elements_are_read_exactly";

    private PagedMutants() {
    }

    static List<Mutant> catalog() {
        return List.of(
                m("paged-block-table-row-0", "every sequence's keys read through block-table row 0 (the table looked"
                                + " up for the first sequence of the batch, not for each)",
                        "https://github.com/gittensor-ai-lab/sparkinfer/pull/290 (decode_layer hardcoded"
                                + " block_table(0): other rows read another sequence's KV)",
                        Misread.ROW_0_TABLE, BIT_FOR_BIT),
                m("paged-last-partial-block-skipped", "the last, partly filled block of each sequence skipped: only"
                                + " length / blockSize full blocks are read",
                        "https://github.com/sgl-project/sglang-jax/issues/1297 (a sequence whose length is not a"
                                + " multiple of the page size lost keys of its last page)",
                        Misread.PARTIAL_BLOCK_SKIPPED, BIT_FOR_BIT),
                m("paged-reads-whole-last-block", "the last block read whole: slots past the sequence's length are"
                                + " attended (its length rounded up to a block)",
                        "https://github.com/pegainfer-project/pegainfer/issues/291 (attention read one page past the"
                                + " sequence at block boundaries); https://github.com/Dao-AILab/flash-attention/issues/1417",
                        Misread.WHOLE_LAST_BLOCK, UNOWNED),
                m("paged-32-bit-block-offset", "a block's offset in the pool computed in 32-bit arithmetic: wrong"
                                + " once numBlocks·blockSize·Hkv·D passes 2^31 elements",
                        "https://github.com/Dao-AILab/flash-attention/issues/772 (wrong results once indices grow"
                                + " large: int32 offset overflow)", Misread.INT32_OFFSET, HUGE_POOL));
    }

    private static Mutant m(String id, String description, String reportedAt, Misread misread, String killer) {
        return new Mutant(id, description, reportedAt, SOFTMAX, () -> new Misreading("mutant-" + id, misread), killer,
                null);
    }

    enum Misread { ROW_0_TABLE, PARTIAL_BLOCK_SKIPPED, WHOLE_LAST_BLOCK, INT32_OFFSET }

    /** cpu-naive over K and V gathered with one misread. */
    static final class Misreading extends SoftmaxMutants.Wrapped {
        private final Misread misread;

        Misreading(String name, Misread misread) {
            super(name);
            this.misread = misread;
        }

        @Override
        public void pagedAttention(PagedProblem problem, Tensor out) {
            capabilities().requirePaged(name(), problem, out);
            problem.requireOutput(out);
            int skv = problem.spec().kvLength();
            PagedKv kv = problem.kv();
            int[] lengths = kv.lengths();
            if (misread == Misread.WHOLE_LAST_BLOCK) {                     // the rounded-up length is attended
                for (int b = 0; b < lengths.length; b++) lengths[b] = Math.min(skv, (lengths[b] + kv.blockSize() - 1)
                        / kv.blockSize() * kv.blockSize());
            }
            correct.attention(new AttentionProblem(problem.spec(), problem.query(), gather(kv, kv.keys(), skv),
                    gather(kv, kv.values(), skv), problem.mask(), lengths), out);
        }

        private Tensor gather(PagedKv kv, BlockPool pool, int skv) {
            int batch = kv.batch(), heads = pool.heads(), dim = pool.dim(), p = pool.blockSize();
            int[][] tables = kv.blockTables();
            Tensor out = Tensor.zeros(batch, heads, skv, dim);
            for (int b = 0; b < batch; b++) {
                int length = kv.length(b);
                int[] table = tables[b];
                if (misread == Misread.ROW_0_TABLE && tables[0].length * p >= length) table = tables[0];
                int read = switch (misread) {
                    case PARTIAL_BLOCK_SKIPPED -> length / p * p;
                    case WHOLE_LAST_BLOCK -> Math.min(skv, (length + p - 1) / p * p);
                    default -> length;
                };
                for (int j = 0; j < read; j++) {
                    int block = table[j / p], slot = j % p;
                    for (int h = 0; h < heads; h++) {
                        for (int d = 0; d < dim; d++) {
                            long at = pool.flatIndex(block, slot, h, d);
                            // (int) keeps the low 32 bits: what int arithmetic would have computed
                            float value = misread == Misread.INT32_OFFSET ? pool.atFlat((int) at)
                                    : pool.block(block).get(slot, h, d);
                            out.data()[out.index(b, h, j, d)] = value;
                        }
                    }
                }
            }
            return out;
        }
    }
}
