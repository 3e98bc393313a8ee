package dev.attest.reports.golden;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.CacheTypes;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.reference.cache.Past;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A format-2 cache case as a KV cache runs it: a cache of capacity past + kvLength opened from {@code past_key} and
 * {@code past_value} (or empty), the case's queries and new keys appended chunk by chunk, and each chunk's outputs
 * the rows of {@code out} it covers. Chunk c (nq queries, nk keys, after Q0 queries and K0 keys of earlier chunks)
 * is also one problem, which the oracle computes and a backend without a cache could run:
 *
 * <pre>
 *   queries  q[Q0 .. Q0 + nq)              keys  concat(past, k[0 .. K0 + nk))      (P + K0 + nk of them)
 *   causal   query t sees key j <= P + K0 + t    (Alignment.offset(P + K0)); the window on the same positions
 *   mask     attn_mask's rows Q0 .. Q0 + nq; its columns are absolute key positions, a column past its last is
 *            masked (as ONNX pads a short attn_mask), one past the keys held is dropped
 * </pre>
 *
 * @param spec          the cache: the case's attention, capacity past + kvLength, no eviction, its element types
 * @param past          the past K/V (every sequence holds all P rows), or null for an empty cache
 * @param chunks        the appends, in order
 * @param steps         each chunk as one problem
 * @param rowsBefore    Q0 of each chunk: where its outputs go in {@code out}
 * @param presentKey    the expected present K (B, Hkv, P + kvLength, Dqk) after the last chunk, or null
 * @param presentValue  the expected present V, or null
 */
public record GoldenCachePlan(CacheSpec spec, Past past, List<Chunk> chunks, List<AttentionProblem> steps,
                              int[] rowsBefore, Tensor presentKey, Tensor presentValue) {

    static GoldenCachePlan of(GoldenCase c, Map<String, Npy.Array> arrays) {
        String name = c.name();
        ElementType type = c.elementTypes().tensors().query();
        for (String a : List.of(GoldenCase.K, GoldenCase.V, GoldenCase.OUT)) {
            if (c.elementTypes().of(a) != type) {
                throw new GoldenException(name + ".json: a cache case has one element type for q, k, v and out (its"
                        + " chunks, outputs and stored K/V); q is " + type.token() + ", " + a + " is "
                        + c.elementTypes().of(a).token());
            }
        }
        Tensor q = Golden.tensor(c, GoldenCase.Q, arrays.get(GoldenCase.Q));
        Tensor k = Golden.tensor(c, GoldenCase.K, arrays.get(GoldenCase.K));
        Tensor v = Golden.tensor(c, GoldenCase.V, arrays.get(GoldenCase.V));
        Past past = null;
        int pastRows = 0;
        if (arrays.containsKey(GoldenCase.PAST_KEY) != arrays.containsKey(GoldenCase.PAST_VALUE)) {
            throw new GoldenException(name + ".npz: a cache case has both 'past_key' and 'past_value' or neither");
        }
        if (arrays.containsKey(GoldenCase.PAST_KEY)) {
            Tensor pk = Golden.tensor(c, GoldenCase.PAST_KEY, arrays.get(GoldenCase.PAST_KEY));
            Tensor pv = Golden.tensor(c, GoldenCase.PAST_VALUE, arrays.get(GoldenCase.PAST_VALUE));
            if (pk.dim(2) != pv.dim(2)) {
                throw new GoldenException(name + ".npz: past_key holds " + pk.dim(2) + " past tokens but past_value "
                        + pv.dim(2));
            }
            pastRows = pk.dim(2);
            if (pastRows > 0) past = Past.of(pk, pv);
        }
        int total = pastRows + c.kvLength();
        Tensor presentKey = present(c, arrays, GoldenCase.PRESENT_KEY, total);
        Tensor presentValue = present(c, arrays, GoldenCase.PRESENT_VALUE, total);
        CacheSpec spec = CacheSpec.core(c.spec(), total, Eviction.NONE);
        if (type != ElementType.FP32) spec = spec.withTypes(CacheTypes.uniform(type));
        Mask mask = Golden.mask(c, arrays);
        if (mask != null) {
            int[] shape = mask.shape();
            int columns = shape[shape.length - 1];
            if (columns != 1 && columns != total) {
                throw new GoldenException(name + ".npz: attn_mask has " + columns + " key columns; a cache case's mask"
                        + " spans every key position (past + kvLength = " + total + ") or broadcasts one");
            }
        }

        List<Chunk> chunks = new ArrayList<>();
        List<AttentionProblem> steps = new ArrayList<>();
        int[][] shape = c.v2().chunks();
        int[] rowsBefore = new int[shape.length];
        int queriesBefore = 0, keysBefore = 0;
        for (int i = 0; i < shape.length; i++) {
            int nq = shape[i][0], nk = shape[i][1];
            if (nq == 0) {
                throw new GoldenException(name + ".json: cache.chunks[" + i + "] has no queries (a chunk's outputs are"
                        + " what is judged)");
            }
            Tensor cq = rows(q, queriesBefore, nq), ck = nk == 0 ? null : rows(k, keysBefore, nk);
            Tensor cv = nk == 0 ? null : rows(v, keysBefore, nk);
            Mask rowsOfMask = mask == null ? null : MaskSlices.rows(mask, queriesBefore, nq);
            chunks.add(Chunk.core(cq, ck, cv).withMask(rowsOfMask));
            int held = pastRows + keysBefore + nk;
            if (held == 0) {
                throw new GoldenException(name + ".json: cache.chunks[" + i + "]'s queries see no key (no past, no"
                        + " keys yet)");
            }
            AttentionSpec s = c.spec().toBuilder().lengths(nq, held)
                    .masking(c.spec().causal(), c.spec().causal() || c.spec().window() != null
                            ? Alignment.offset(pastRows + keysBefore) : null, c.spec().window()).build();
            Tensor keys = concat(past == null ? null : past.key(), rows(k, 0, keysBefore + nk), held);
            Tensor values = concat(past == null ? null : past.value(), rows(v, 0, keysBefore + nk), held);
            steps.add(new AttentionProblem(s, cq, keys, values,
                    rowsOfMask == null ? null : MaskSlices.columns(rowsOfMask, held), null));
            rowsBefore[i] = queriesBefore;
            queriesBefore += nq;
            keysBefore += nk;
        }
        return new GoldenCachePlan(spec, past, List.copyOf(chunks), List.copyOf(steps), rowsBefore, presentKey,
                presentValue);
    }

    private static Tensor present(GoldenCase c, Map<String, Npy.Array> arrays, String array, int total) {
        if (!arrays.containsKey(array)) return null;
        Tensor t = Golden.tensor(c, array, arrays.get(array));
        if (t.dim(2) != total) {
            throw new GoldenException(c.name() + ".npz: array '" + array + "' holds " + t.dim(2) + " tokens; after"
                    + " the case the cache holds past + kvLength = " + total);
        }
        return t;
    }

    /** Rows [from, from + n) of axis 2 (S) of a (B, H, S, D) tensor, as a view. */
    static Tensor rows(Tensor t, int from, int n) {
        int[] shape = t.shape();
        shape[2] = n;
        return t.view(t.offset() + from * t.stride(2), shape, t.strides());
    }

    /** past (or nothing) then {@code next} along S, {@code rows} in all, as a new dense tensor of their type. */
    private static Tensor concat(Tensor past, Tensor next, int rows) {
        Tensor out = Tensor.zeros(next.type(), next.dim(0), next.dim(1), rows, next.dim(3));
        int p = past == null ? 0 : past.dim(2);
        if (p > 0) rows(out, 0, p).copyFrom(past);
        if (next.dim(2) > 0) rows(out, p, next.dim(2)).copyFrom(next);
        return out;
    }
}
