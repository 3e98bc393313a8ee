package dev.attest.faults;

import dev.attest.properties.contract.AttentionContract;
import dev.attest.properties.engine.CaseKey;
import dev.attest.properties.linear.LinearAttentionContract;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.LinearAttentionBackend;

/**
 * The kits bound to one backend instance: how the kill matrix and the planted backends' self-tests run a property
 * against a mutant. A failure's reproduce line is the given command (the mutants are not discoverable backends, so
 * the kit's default line, which selects a backend by name, would not find them), or the kit's default.
 */
final class MutantKits {
    private MutantKits() {
    }

    /** The softmax kit ({@link AttentionContract}) bound to {@code backend}. */
    static final class Softmax extends AttentionContract {
        private final AttentionBackend backend;
        private final String reproduce;

        Softmax(AttentionBackend backend) {
            this(backend, null);
        }

        Softmax(AttentionBackend backend, String reproduce) {
            this.backend = backend;
            this.reproduce = reproduce;
        }

        @Override
        protected AttentionBackend backend() {
            return backend;
        }

        @Override
        protected String reproduceCommand(String property, CaseKey key) {
            return reproduce == null ? super.reproduceCommand(property, key) : reproduce;
        }
    }

    /** The linear kit ({@link LinearAttentionContract}) bound to {@code backend}. */
    static final class Linear extends LinearAttentionContract {
        private final LinearAttentionBackend backend;
        private final String reproduce;

        Linear(LinearAttentionBackend backend) {
            this(backend, null);
        }

        Linear(LinearAttentionBackend backend, String reproduce) {
            this.backend = backend;
            this.reproduce = reproduce;
        }

        @Override
        protected LinearAttentionBackend backend() {
            return backend;
        }

        @Override
        protected String reproduceCommand(String property, CaseKey key) {
            return reproduce == null ? super.reproduceCommand(property, key) : reproduce;
        }
    }
}
