package dev.attest.faults;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Tensor;
import dev.attest.reference.packed.PackedProblem;

import java.util.List;

import static dev.attest.faults.Mutant.Kit.SOFTMAX;

/**
 * Planted bugs of packed variable-length batches: cpu-naive run on each sequence with its keys located the way the
 * broken kernel locates them. Unpacked calls are correct, so only the packed property can see them. (Rotary positions
 * counted across the packed tensor, Megatron-LM#453, are not planted: each sequence's queries and keys move by the
 * same amount, and rotary attention depends on their difference only, so it is an equivalent mutant up to rounding.)
 */
final class PackedMutants {
    static final String ALONE = "required_S11_a_packed_batch_equals_each_sequence_run_alone";

    private PackedMutants() {
    }

    static List<Mutant> catalog() {
        return List.of(
                new Mutant("varlen-attends-across-sequences", "a packed batch attended as one sequence: every query"
                        + " sees the keys of every sequence (no block-diagonal mask from cu_seqlens)",
                        "https://github.com/Tencent-Hunyuan/HunyuanVideo/pull/310 (the vanilla path ignored"
                                + " cu_seqlens, so attention bled across segment boundaries)", SOFTMAX,
                        () -> new Located("mutant-varlen-attends-across-sequences", Keys.ALL_SEQUENCES), ALONE, null),
                new Mutant("varlen-max-seqlen-keys", "each sequence reads max_seqlen_k keys from its first one,"
                        + " running into the next sequence's keys",
                        "https://github.com/Dao-AILab/flash-attention/pull/1455 (fwd_splitkv used params.seqlen_k, the"
                                + " maximum, where the sequence's own key count was meant)", SOFTMAX,
                        () -> new Located("mutant-varlen-max-seqlen-keys", Keys.MAX_SEQLEN), ALONE, null),
                new Mutant("varlen-cu-seqlens-off-by-one", "a sequence's keys end at cu_seqlens_k[b + 1] inclusive:"
                        + " each sequence but the last also attends to the next one's first key",
                        "https://github.com/Dao-AILab/flash-attention/issues/1417 (output depending on keys past a"
                                + " sequence's length)", SOFTMAX,
                        () -> new Located("mutant-varlen-cu-seqlens-off-by-one", Keys.ONE_PAST_THE_END), ALONE, null));
    }

    enum Keys { ALL_SEQUENCES, MAX_SEQLEN, ONE_PAST_THE_END }

    /** cpu-naive on each sequence, its keys taken from the misread range. */
    static final class Located extends SoftmaxMutants.Wrapped {
        private final Keys keys;

        Located(String name, Keys keys) {
            super(name);
            this.keys = keys;
        }

        @Override
        public void packedAttention(PackedProblem problem, Tensor out) {
            capabilities().requirePacked(name(), problem, out);
            problem.requireOutput(out);
            int[] cuK = problem.keyOffsets();
            int totalK = cuK[cuK.length - 1];
            problem.runEach((b, alone, rows) -> {
                int from = keys == Keys.ALL_SEQUENCES ? 0 : cuK[b];
                int to = switch (keys) {
                    case ALL_SEQUENCES -> totalK;
                    case MAX_SEQLEN -> Math.min(totalK, cuK[b] + problem.spec().kvLength());
                    case ONE_PAST_THE_END -> Math.min(totalK, cuK[b + 1] + 1);
                };
                correct.attention(withKeys(alone, problem, from, to), rows);
            }, out);
        }

        private static AttentionProblem withKeys(AttentionProblem alone, PackedProblem p, int from, int to) {
            AttentionSpec s = alone.spec().toBuilder().lengths(alone.spec().qLength(), to - from).build();
            return new AttentionProblem(s, alone.query(), rows(p.key(), from, to), rows(p.value(), from, to));
        }

        private static Tensor rows(Tensor packed, int from, int to) {
            int heads = packed.dim(1), dim = packed.dim(2);
            Tensor out = Tensor.zeros(1, heads, to - from, dim);
            for (int i = from; i < to; i++) {
                for (int h = 0; h < heads; h++) for (int d = 0; d < dim; d++) out.set(packed.get(i, h, d), 0, h, i - from, d);
            }
            return out;
        }
    }
}
