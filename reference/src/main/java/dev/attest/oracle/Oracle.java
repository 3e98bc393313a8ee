package dev.attest.oracle;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Precision;

/**
 * The attention oracle (DESIGN.md "Precision and tolerances"): one algorithm ({@link Reference}) run in three
 * arithmetics.
 *
 * <ul>
 *   <li>{@link #attention}, {@link #layer}: double-double, the judge every backend is compared with;</li>
 *   <li>{@link #attentionNaive}, {@link #layerNaive}: the plain naive computation rounded to a precision after every
 *       operation, whose error against the judge is the tolerance baseline;</li>
 *   <li>{@link #attentionArbitrary}, {@link #layerArbitrary}: Commons Math {@code Dfp} with the given decimal
 *       digits, the oracle of the oracle on small problems.</li>
 * </ul>
 *
 * Attention output has shape (B, Hq, Sq, Dv), the layer's (B, Sq, dOut), both row-major.
 */
public final class Oracle {
    private Oracle() {
    }

    /** Core attention in double-double, rounded to double at the end. */
    public static OracleResult attention(AttentionProblem p) {
        return attention(p, DoubleDoubleArithmetic.INSTANCE);
    }

    /** The multi-head layer in double-double, rounded to double at the end. */
    public static OracleResult layer(LayerProblem p) {
        return layer(p, DoubleDoubleArithmetic.INSTANCE);
    }

    /** The naive computation with every operation rounded to {@code precision}: the tolerance baseline. */
    public static OracleResult attentionNaive(AttentionProblem p, Precision precision) {
        return attention(p, new RoundedArithmetic(precision));
    }

    public static OracleResult layerNaive(LayerProblem p, Precision precision) {
        return layer(p, new RoundedArithmetic(precision));
    }

    /** Core attention in {@code Dfp} with {@code decimalDigits} digits (slow: small problems only). */
    public static OracleResult attentionArbitrary(AttentionProblem p, int decimalDigits) {
        return attention(p, new DfpArithmetic(decimalDigits));
    }

    public static OracleResult layerArbitrary(LayerProblem p, int decimalDigits) {
        return layer(p, new DfpArithmetic(decimalDigits));
    }

    /** Core attention in any arithmetic. */
    public static <T> OracleResult attention(AttentionProblem p, Arithmetic<T> arithmetic) {
        return new Reference<>(arithmetic).attention(p).toResult(arithmetic::toDouble);
    }

    /** Core attention in any arithmetic, making a fast kernel's legitimate {@code roundings} (the baseline). */
    public static <T> OracleResult attention(AttentionProblem p, Arithmetic<T> arithmetic, KernelRoundings roundings) {
        return new Reference<>(arithmetic, roundings).attention(p).toResult(arithmetic::toDouble);
    }

    /** The layer in any arithmetic. */
    public static <T> OracleResult layer(LayerProblem p, Arithmetic<T> arithmetic) {
        return new Reference<>(arithmetic).layer(p).toResult(arithmetic::toDouble);
    }

    /** The layer in any arithmetic with a typed kernel's {@code roundings} (activations stored in the output type). */
    public static <T> OracleResult layer(LayerProblem p, Arithmetic<T> arithmetic, KernelRoundings roundings) {
        return new Reference<>(arithmetic, roundings).layer(p).toResult(arithmetic::toDouble);
    }

    /** The per-row log-sum-exp (B, Hq, Sq) in double-double ({@link dev.attest.reference.AuxiliaryOutputs}). */
    public static OracleResult logSumExp(AttentionProblem p) {
        return logSumExp(p, DoubleDoubleArithmetic.INSTANCE);
    }

    public static <T> OracleResult logSumExp(AttentionProblem p, Arithmetic<T> arithmetic) {
        return new Reference<>(arithmetic).logSumExp(p);
    }

    /** The scores at {@code stage} (B, Hq, Sq, Skv) in double-double (ONNX qk_matmul_output). */
    public static OracleResult scores(AttentionProblem p, dev.attest.reference.ScoreStage stage) {
        return scores(p, stage, DoubleDoubleArithmetic.INSTANCE);
    }

    public static <T> OracleResult scores(AttentionProblem p, dev.attest.reference.ScoreStage stage,
                                          Arithmetic<T> arithmetic) {
        return new Reference<>(arithmetic).scores(p, stage);
    }
}
