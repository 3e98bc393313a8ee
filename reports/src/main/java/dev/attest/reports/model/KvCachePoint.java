package dev.attest.reports.model;

/** KV-cache decode against full recomputation at one cache length (filled by the KV-cache work). */
public record KvCachePoint(String backend, int length, double decodeMillis, double recomputeMillis) {
}
