package dev.attest.reports.model;

import java.util.List;

/**
 * How a run was made.
 *
 * @param command   check, bench or report (merge keeps the shards' command)
 * @param profile   quick, full or tiny (tests), or null for check
 * @param seed      the property seed
 * @param tries     cases per property
 * @param shard     "I/N" for a shard, null for a whole run (and for a merged one)
 * @param requested the backend selection as given ("all" or names)
 * @param bench     the JMH settings, or null when nothing was measured
 */
public record RunInfo(String command, String profile, long seed, int tries, String shard, List<String> requested,
                      BenchSettings bench) {

    /** The same run as shard {@code shard} ("I/N"), or as a whole run when null. */
    public RunInfo withShard(String shard) {
        return new RunInfo(command, profile, seed, tries, shard, requested, bench);
    }
}
