package dev.attest.oracle;

import dev.attest.reference.ElementType;

/**
 * The roundings a correct fast kernel legitimately makes besides those of its accumulation arithmetic, stated as
 * data so that the tolerance baseline makes the same ones (docs/precision.md says why each is allowed):
 *
 * <ul>
 *   <li>{@code probabilities}: the unnormalised weights {@code exp(s - max)} are rounded to V's type before
 *       {@code P·V}, while the row sum is kept in the accumulation precision and divided once at the end
 *       (FlashAttention 2's forward: P converted to fp16/bf16 for the second matmul; FlashAttention 3's fp8 path:
 *       P to E4M3);</li>
 *   <li>{@code output}: the result is rounded once to the output's type.</li>
 * </ul>
 * A null field means no such rounding (an fp32 tensor: the arithmetic already rounds to fp32).
 */
public record KernelRoundings(ElementType probabilities, ElementType output) {
    public static final KernelRoundings NONE = new KernelRoundings(null, null);

    /** The roundings of a kernel that reads V in {@code value} and writes {@code output}. */
    public static KernelRoundings of(ElementType value, ElementType output) {
        return new KernelRoundings(value == ElementType.FP32 ? null : value,
                output == ElementType.FP32 ? null : output);
    }
}
