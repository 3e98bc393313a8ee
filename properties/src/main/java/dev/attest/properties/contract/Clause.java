package dev.attest.properties.contract;

/**
 * Stable ids for the clauses of DESIGN.md "Semantics" that properties check. A property's name carries the id
 * ({@code required_S3_...}) and its failure message quotes the clause, so a red line in CI points at the sentence
 * of the contract that was broken.
 */
public enum Clause {
    S1("Shapes", "Q (B,Hq,Sq,Dqk), K (B,Hkv,Skv,Dqk), V (B,Hkv,Skv,Dv) -> out (B,Hq,Sq,Dv); query head h reads kv head "
            + "h/(Hq/Hkv); BHSD and BSHD through strides"),
    S2("Order", "s = (q.k)*scale, then softcap c*tanh(s/c), then mask/bias, then softmax over keys, then *V"),
    S3("Masks", "boolean (true = attend) or additive bias broadcast to (B,Hq,Sq,Skv); key-padding lengths; "
            + "sliding window p-left <= j <= p+right"),
    S4("Causal alignment", "query row i of sequence b sees key j iff j <= i + offset_b; TOP_LEFT 0, BOTTOM_RIGHT"
            + " Skv-Sq, KEY_LENGTHS keyLengths[b]-Sq, an explicit offset per problem or per sequence; cache: past"),
    S5("Fully masked rows and NaN", "a fully masked row is all zeros; NaN/Inf attended propagates; NaN in a masked "
            + "key or value must not leak"),
    S6("Multi-head layer", "Q = X*Wq + bq etc., cross-attention memory, rotary at absolute positions, LoRA "
            + "adapters, heads concatenated in order, *Wo + bo"),
    S7("Precision and tolerance", "error against the oracle <= max(floor, k x error of the plain same-precision "
            + "naive computation)"),
    S8("Backend contract", "undeclared features are refused before writing; every output element written; inputs "
            + "untouched; deterministic"),
    S9("KV cache", "appending chunks of any size (prefill in pieces, then one token at a time) gives the outputs of "
            + "one full causal pass (offset = past length); per-sequence lengths; rollback; sliding-window eviction"),
    S10("Paged KV", "K and V in blocks of a pool read through a block table per sequence mean the contiguous K and V"
            + " those tables list, with each sequence's length as its key length; slots and blocks a sequence does not"
            + " own never reach its output"),
    S11("Packed variable-length batches", "sequences stored one after another with cu_seqlens offsets mean each"
            + " sequence run alone, its causal alignment resolved for its own lengths; a sequence without keys has"
            + " zero rows"),
    S12("Auxiliary outputs", "the per-row log-sum-exp of the logits the softmax reads (-inf for a row that sees no"
            + " key) and the scores at each ONNX qk_matmul_output stage (logits, softcapped, biased with -inf where"
            + " hidden, probabilities with 0 where hidden) are the oracle's; outputs over disjoint key sets combine"
            + " through their log-sum-exp into the output over their union");

    private final String title;
    private final String text;

    Clause(String title, String text) {
        this.title = title;
        this.text = text;
    }

    /** E.g. {@code DESIGN.md S4 (Causal alignment): query row i sees ...}. */
    public String cite() {
        return "DESIGN.md " + name() + " (" + title + "): " + text;
    }

    public String title() {
        return title;
    }
}
