package dev.attest.properties.contract;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.properties.LaunchedKit;
import dev.attest.properties.LaunchedKit.Outcome;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Layout;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.CheckedBackend;
import dev.attest.spi.Feature;
import dev.attest.spi.KvCache;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult.Status;
import org.opentest4j.TestAbortedException;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import static dev.attest.spi.Feature.*;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Honest minimal backends through the whole kit: correct (cpu-naive's arithmetic) and declaring only a few
 * features, refusing the rest with {@code UnsupportedFeatureException} ({@link CheckedBackend}). Such a backend
 * must get no failure at all: each property either runs and passes, or is aborted {@code unsupported:} naming a
 * feature it needs. Which properties run is pinned, so a property cannot dodge by reporting itself unsupported.
 */
class MinimalBackendTest {

    /** Random cases per property here: the drawing bugs this guards against show in the first cases. */
    private static final String TRIES = "15";

    /** cpu-naive behind a declaration of {@code declared} only. */
    static final class Minimal extends CheckedBackend {
        private final CpuNaiveBackend full = new CpuNaiveBackend();

        Minimal(Set<Feature> declared) {
            super("minimal-honest", "cpu-naive declaring only " + declared, new Capabilities(declared, Precision.FP32));
        }

        @Override
        protected void computeAttention(AttentionProblem problem, Tensor out) {
            full.attention(problem, out);
        }

        @Override
        protected void computeLayer(LayerProblem problem, Tensor out) {
            full.layer(problem, out);
        }

        @Override
        protected KvCache createCache(CacheSpec spec, LayerWeights weights) {
            return weights == null ? full.openCache(spec) : full.openLayerCache(spec, weights);
        }
    }

    /** Multi-head attention only: no GQA, masks, causal, layouts, softcap or scale. */
    static final class Nothing extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return new Minimal(EnumSet.noneOf(Feature.class));
        }
    }

    static final class CausalOnly extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return new Minimal(EnumSet.of(CAUSAL));
        }
    }

    static final class BooleanMaskOnly extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return new Minimal(EnumSet.of(BOOLEAN_MASK));
        }
    }

    static final class KeyPaddingOnly extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return new Minimal(EnumSet.of(KEY_PADDING));
        }
    }

    /** A cache is causal attention: without CAUSAL every cache property is unsupported. */
    static final class CacheWithoutCausal extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return new Minimal(EnumSet.of(KV_CACHE));
        }
    }

    /** The layer and its cache with rotary, but no GQA and Dqk = Dv. */
    static final class LayerAndCache extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return new Minimal(EnumSet.of(CAUSAL, LAYER, ROTARY, KV_CACHE));
        }
    }

    /** When each property can run, from the declared features; a property not listed always runs. */
    private static final Map<String, Predicate<Set<Feature>>> RUNS_WHEN = Map.ofEntries(
            needs("required_S1_bhsd_and_bshd_layouts_give_identical_outputs", STRIDED_LAYOUT),
            needs("required_S1_gqa_equals_mha_with_repeat_interleaved_key_value_heads", GROUPED_QUERY_HEADS),
            needs("required_S2_scale_s_equals_queries_premultiplied_by_s", CUSTOM_SCALE),
            needs("required_S2_adding_a_constant_to_every_logit_of_a_row_changes_nothing", ADDITIVE_MASK),
            needs("required_S2_softcap_is_applied_before_the_mask", SOFTCAP, ADDITIVE_MASK),
            needs("required_S3_a_boolean_mask_equals_the_minus_infinity_additive_mask", BOOLEAN_MASK, ADDITIVE_MASK),
            needs("required_S3_a_sliding_window_equals_its_explicit_mask", SLIDING_WINDOW),
            needs("required_S4_each_causal_alignment_equals_its_explicit_mask", CAUSAL),
            Map.entry("required_S5_fully_masked_rows_are_exactly_zero",
                    f -> f.contains(BOOLEAN_MASK) || f.contains(KEY_PADDING)),
            Map.entry("required_S5_nan_in_masked_keys_and_values_does_not_leak",
                    f -> f.contains(BOOLEAN_MASK) || f.contains(KEY_PADDING) || f.contains(CAUSAL)),
            needs("required_S6_the_layer_agrees_with_the_oracle", LAYER),
            needs("required_S6_heads_are_concatenated_in_order", LAYER),
            needs("required_S6_cross_attention_agrees_with_the_oracle", LAYER, CROSS_ATTENTION),
            needs("required_S6_rotary_at_offset_p_equals_rotary_on_the_shifted_sequence", LAYER, ROTARY),
            needs("required_S6_an_unmerged_lora_adapter_equals_the_merged_weights", LAYER, LORA),
            needs("required_S9_any_split_into_chunks_gives_the_outputs_of_one_full_causal_pass", KV_CACHE, CAUSAL),
            needs("required_S9_the_layer_over_any_split_gives_the_outputs_of_one_full_causal_pass", KV_CACHE, CAUSAL,
                    LAYER),
            needs("required_S9_cached_keys_and_values_equal_those_of_the_full_pass_bit_for_bit", KV_CACHE, CAUSAL),
            needs("required_S9_a_ragged_batch_equals_each_sequence_run_alone", KV_CACHE, CAUSAL),
            needs("required_S9_a_left_padded_batch_equals_the_unpadded_one", KV_CACHE, CAUSAL),
            needs("required_S9_rollback_then_the_same_tokens_equals_never_rolling_back", KV_CACHE, CAUSAL),
            needs("required_S9_rollback_then_other_tokens_equals_a_fresh_run_of_the_new_sequence", KV_CACHE, CAUSAL),
            needs("required_S9_decoding_across_the_window_edge_equals_windowed_full_attention", KV_CACHE, CAUSAL,
                    KV_CACHE_RING, SLIDING_WINDOW),
            needs("required_S9_rotary_with_a_cache_equals_rotary_over_the_full_sequence", KV_CACHE, CAUSAL, LAYER,
                    ROTARY),
            needs("required_S9_appending_to_a_full_cache_without_eviction_is_a_clear_error", KV_CACHE, CAUSAL),
            needs("required_S9_bad_input_is_refused_and_leaves_the_cache_unchanged", KV_CACHE, CAUSAL),
            needs("required_S9_chunks_whose_query_and_key_counts_differ_see_the_keys_up_to_their_position", KV_CACHE,
                    CAUSAL, KV_CACHE_UNEVEN_CHUNKS),
            needs("required_S9_a_non_causal_cache_lets_every_query_see_every_held_key", KV_CACHE, KV_CACHE_NONCAUSAL),
            Map.entry("required_S9_a_chunk_mask_over_absolute_key_positions_hides_exactly_what_it_masks",
                    declared -> declared.containsAll(List.of(KV_CACHE, CAUSAL, KV_CACHE_MASK))
                            && (declared.contains(BOOLEAN_MASK) || declared.contains(ADDITIVE_MASK))),
            needs("required_S9_a_cache_opened_from_past_keys_and_values_continues_as_the_one_that_appended_them",
                    KV_CACHE, CAUSAL),
            needs("required_S9_speculative_decoding_equals_decoding_only_the_accepted_tokens", KV_CACHE, CAUSAL),
            needs("required_S9_speculative_decoding_through_the_layer_rotates_at_the_accepted_positions", KV_CACHE,
                    CAUSAL, LAYER, ROTARY),
            needs("required_S10_any_page_size_and_block_order_gives_the_contiguous_result_bit_for_bit", PAGED_KV,
                    KEY_PADDING),
            needs("required_S10_slots_and_blocks_a_sequence_does_not_own_do_not_change_its_output", PAGED_KV,
                    KEY_PADDING),
            needs("required_S10_block_ids_past_2_to_the_31_pool_elements_are_read_exactly", PAGED_KV, KEY_PADDING),
            needs("required_S10_a_paged_cache_equals_the_contiguous_one", PAGED_KV, KV_CACHE, CAUSAL),
            needs("required_S11_a_packed_batch_equals_each_sequence_run_alone", PACKED_VARLEN),
            needs("required_S12_the_log_sum_exp_agrees_with_the_oracle", LOG_SUM_EXP),
            needs("required_S12_two_halves_of_the_keys_combined_through_their_log_sum_exp_equal_the_whole", LOG_SUM_EXP),
            needs("required_S12_attention_scores_at_each_onnx_stage_agree_with_the_oracle", ATTENTION_SCORES),
            needs("required_S11_a_packed_layer_batch_equals_each_sequence_run_alone", PACKED_VARLEN, LAYER));

    private static Map.Entry<String, Predicate<Set<Feature>>> needs(String property, Feature... features) {
        return Map.entry(property, declared -> declared.containsAll(List.of(features)));
    }

    @Test
    void multiHeadAttentionAlone() {
        check(Nothing.class, EnumSet.noneOf(Feature.class));
    }

    @Test
    void causalAlone() {
        check(CausalOnly.class, EnumSet.of(CAUSAL));
    }

    @Test
    void aBooleanMaskAlone() {
        check(BooleanMaskOnly.class, EnumSet.of(BOOLEAN_MASK));
    }

    @Test
    void keyPaddingAlone() {
        check(KeyPaddingOnly.class, EnumSet.of(KEY_PADDING));
    }

    @Test
    void aCacheWithoutCausal() {
        check(CacheWithoutCausal.class, EnumSet.of(KV_CACHE));
    }

    @Test
    void theLayerAndItsCacheWithoutGqaOrDistinctValueDims() {
        check(LayerAndCache.class, EnumSet.of(CAUSAL, LAYER, ROTARY, KV_CACHE));
    }

    /** A kit subclass whose own property forces GQA on every case, as the old S1 head property did. */
    static final class ForcingKit extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return new Minimal(EnumSet.noneOf(Feature.class));
        }

        void required_X1_a_property_that_forces_gqa() {
            property(Clause.S1, cases().finishing(c -> c.withDims(c.batch(), 2 * c.kvHeads(), c.kvHeads(),
                    c.qLength(), c.kvLength(), c.qkHeadDim(), c.vHeadDim())), c -> run(c.materialize(), Layout.BHSD));
        }
    }

    /** The guard behind every call: a case beyond the declaration is reported unsupported, the backend not blamed. */
    @Test
    void aCaseBeyondTheDeclarationIsUnsupportedNotTheBackendsFailure() {
        TestAbortedException aborted = assertThrows(TestAbortedException.class,
                () -> new ForcingKit().required_X1_a_property_that_forces_gqa());
        assertTrue(aborted.getMessage().startsWith("unsupported: minimal-honest does not declare [GROUPED_QUERY_HEADS]"),
                aborted::getMessage);
    }

    private static void check(Class<? extends AttentionContract> kit, Set<Feature> declared) {
        List<Outcome> outcomes = LaunchedKit.runWith("attest.tries", TRIES, kit);
        assertFalse(outcomes.isEmpty(), "the kit ran no properties");
        List<String> wrong = new ArrayList<>();
        for (Outcome o : outcomes) {
            String name = o.test().replace("()", "");
            boolean runs = RUNS_WHEN.getOrDefault(name, f -> true).test(declared);
            if (runs && o.status() != Status.SUCCESSFUL) {
                wrong.add(name + " should run and pass, but was " + o.status() + ":\n" + o.message());
            } else if (!runs && (o.status() != Status.ABORTED || !o.message().startsWith("unsupported:"))) {
                wrong.add(name + " should be unsupported, but was " + o.status() + ":\n" + o.message());
            }
        }
        assertTrue(wrong.isEmpty(), () -> kit.getSimpleName() + " declaring " + declared + ":\n"
                + String.join("\n\n", wrong));
        System.out.println(kit.getSimpleName() + " declaring " + declared + ": " + outcomes.stream()
                .filter(o -> o.status() == Status.SUCCESSFUL).count() + " properties passed, " + outcomes.stream()
                .filter(o -> o.status() == Status.ABORTED).count() + " unsupported");
    }
}
