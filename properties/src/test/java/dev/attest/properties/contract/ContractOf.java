package dev.attest.properties.contract;

import dev.attest.spi.AttentionBackend;

/** The kit bound to one backend instance: how the kit's self-tests run a property against a planted bug. */
final class ContractOf extends AttentionContract {
    private final AttentionBackend backend;

    ContractOf(AttentionBackend backend) {
        this.backend = backend;
    }

    @Override
    protected AttentionBackend backend() {
        return backend;
    }
}
