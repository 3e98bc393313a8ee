package dev.attest.properties.cases;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import dev.attest.reference.paged.BlockPool;
import dev.attest.reference.paged.PagedKv;
import dev.attest.reference.paged.PagedProblem;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A contiguous problem's keys and values laid out in blocks, as a paged-attention kernel receives them: a block
 * size, physical block ids in a shuffled order with spare blocks between them, each block in FlashAttention's
 * (slot, head, dim) order or vLLM's head-major one (seen through strides), and every slot a sequence does not own
 * filled as asked. The problem's key lengths (all of Skv when it has none) become the sequences' lengths.
 */
public final class PagedLayouts {
    /** What the slots and blocks no sequence owns hold. */
    public enum Unowned { ZERO, NAN, GARBAGE }

    private PagedLayouts() {
    }

    /** The block sizes the properties draw from: 1 (a block per token) up to more than most cases' lengths. */
    public static int blockSize(long seed) {
        int[] sizes = {1, 2, 3, 4, 8, 16};
        return sizes[(int) Math.floorMod(seed, sizes.length)];
    }

    /**
     * {@code p} paged with blocks of {@code blockSize} slots; {@code hugePool}: the blocks get ids high enough that
     * their elements sit past 2^31 in the pool (numBlocks·blockSize·Hkv·D passes 2^31; only the used blocks exist).
     */
    public static PagedProblem paged(AttentionProblem p, int blockSize, long seed, Unowned unowned, boolean hugePool) {
        var spec = p.spec();
        int batch = spec.batch(), skv = spec.kvLength(), hkv = spec.kvHeads();
        int[] lengths = p.keyLengths() != null ? p.keyLengths() : filled(batch, skv);
        int perSequence = (skv + blockSize - 1) / blockSize;                     // table entries for the key axis
        int used = 0;
        for (int length : lengths) used += (length + blockSize - 1) / blockSize;
        int spare = 3, held = used + spare;
        SplittableRandom random = new SplittableRandom(seed);
        // the smaller pool's block decides: from this id on, both pools' elements sit past 2^31
        long smallerBlock = (long) blockSize * hkv * Math.min(spec.qkHeadDim(), spec.vHeadDim());
        long first = hugePool ? (1L << 31) / smallerBlock + 1 : 0;
        if (first + held > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a pool past 2^31 elements needs blocks of at least 2 elements, got "
                    + smallerBlock);
        }
        int firstId = (int) first;
        int numBlocks = firstId + held + (hugePool ? 0 : random.nextInt(3));
        int[] ids = shuffledIds(firstId, numBlocks, held, random);
        boolean headMajor = random.nextBoolean();
        int[][] tables = new int[batch][perSequence];
        Map<Integer, Tensor> keys = new TreeMap<>(), values = new TreeMap<>();
        int next = 0;
        for (int i = 0; i < held; i++) {
            keys.put(ids[i], block(p.key().type(), blockSize, hkv, spec.qkHeadDim(), headMajor, unowned, random));
            values.put(ids[i], block(p.value().type(), blockSize, hkv, spec.vHeadDim(), headMajor, unowned, random));
        }
        for (int b = 0; b < batch; b++) {
            Arrays.fill(tables[b], ids[held - 1]);                 // entries past the length: a spare block
            for (int t = 0; t < (lengths[b] + blockSize - 1) / blockSize; t++) tables[b][t] = ids[next++];
            for (int j = 0; j < lengths[b]; j++) {
                int id = tables[b][j / blockSize], slot = j % blockSize;
                copyRow(p.key(), b, j, keys.get(id), slot);
                copyRow(p.value(), b, j, values.get(id), slot);
            }
        }
        int dqk = spec.qkHeadDim(), dv = spec.vHeadDim();
        PagedKv kv = new PagedKv(new BlockPool(numBlocks, blockSize, hkv, dqk, keys),
                new BlockPool(numBlocks, blockSize, hkv, dv, values), tables, lengths);
        return new PagedProblem(spec, p.query(), kv, p.mask());
    }

    private static int[] filled(int batch, int length) {
        int[] out = new int[batch];
        Arrays.fill(out, length);
        return out;
    }

    /** {@code count} distinct ids from [from, to), shuffled. */
    private static int[] shuffledIds(int from, int to, int count, SplittableRandom random) {
        int[] all = new int[to - from];
        for (int i = 0; i < all.length; i++) all[i] = from + i;
        for (int i = all.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, count);
    }

    /** An unowned block: every slot as {@code unowned} says (owned slots are written over by the caller). */
    private static Tensor block(ElementType type, int slots, int heads, int dim, boolean headMajor, Unowned unowned,
                                SplittableRandom random) {
        Tensor t = headMajor ? Tensor.zeros(type, heads, slots, dim) : Tensor.zeros(type, slots, heads, dim);
        Tensor view = headMajor ? t.view(0, new int[]{slots, heads, dim}, new int[]{dim, slots * dim, 1}) : t;
        for (int s = 0; s < slots; s++) {
            for (int h = 0; h < heads; h++) {
                for (int d = 0; d < dim; d++) {
                    float value = switch (unowned) {
                        case ZERO -> 0f;
                        case NAN -> Float.NaN;
                        case GARBAGE -> (float) (random.nextDouble() * 200 - 100);
                    };
                    view.set(value, s, h, d);
                }
            }
        }
        return view;
    }

    /** Row j of sequence b of a (B, H, S, D) tensor into slot {@code slot} of a (P, H, D) block, stored bits as is. */
    private static void copyRow(Tensor from, int b, int j, Tensor block, int slot) {
        for (int h = 0; h < from.dim(1); h++) {
            for (int d = 0; d < from.dim(3); d++) block.setBits(from.bits(b, h, j, d), slot, h, d);
        }
    }
}
