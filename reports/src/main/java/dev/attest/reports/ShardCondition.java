package dev.attest.reports;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs only the (backend, property) pairs of one shard. Registered through extension auto-detection, which only
 * {@code attest check --shard} turns on, and inert unless the configuration parameter {@value #PARAMETER} is set.
 * The backend is the display name of the parameterized-class invocation, the property the method name.
 */
public final class ShardCondition implements ExecutionCondition {
    public static final String PARAMETER = "attest.shard";
    public static final String REASON = "attest-shard: not in this shard";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        var shardText = context.getConfigurationParameter(PARAMETER);
        if (shardText.isEmpty() || context.getTestMethod().isEmpty()) return ConditionEvaluationResult.enabled("");
        Shard shard = Shard.parse(shardText.get());
        String backend = context.getParent().map(ExtensionContext::getDisplayName).orElse("?");
        String property = context.getRequiredTestMethod().getName();
        return shard.owns(backend, property) ? ConditionEvaluationResult.enabled("in shard " + shard)
                : ConditionEvaluationResult.disabled(REASON);
    }
}
