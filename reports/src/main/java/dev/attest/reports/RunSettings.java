package dev.attest.reports;

import java.util.List;

/**
 * The settings every worker of one command shares.
 *
 * @param jars           third-party jars (absolute paths) the worker adds to its class loader
 * @param shard          {@code I/N}
 * @param timeoutSeconds per property (the kit's {@code attest.timeout}) and per measurement item
 * @param replay         a replay key ({@code attest.replay}) or null
 * @param property       the one property to run, or null for all
 * @param reproduce      the command a failure prints to rerun its case, or null for the kit's default
 * @param profile        the measurement profile's name
 */
public record RunSettings(List<String> jars, long seed, int tries, String shard, int timeoutSeconds, String replay,
                          String property, String reproduce, String profile) {
    public RunSettings {
        jars = jars == null ? List.of() : List.copyOf(jars);
    }
}
