#!/usr/bin/env python3
"""Turns AttentionBenchmark's JMH JSON into a GFLOP/s table with ratios taken within the same run.

    python3 scripts/bench-table.py attest-out/bench.json

GFLOP/s = flops / time: 4 B H n^2 D non-causal, 4 B H D n(n+1)/2 causal (only the visible pairs count).
"""
import json
import sys

B, H, D = 1, 8, 64


def flops(n, causal):
    return 4 * B * H * D * (n * (n + 1) // 2 if causal else n * n)


rows = {}
for r in json.load(open(sys.argv[1])):
    if r["benchmark"].endswith("FmaPeakBenchmark.fma12"):
        us = r["primaryMetric"]["score"]
        # FmaPeakBenchmark.FLOPS_PER_OP: the same flops per op at any vector width.
        print(f"Vector API FMA roofline (1 thread, 12 accumulators): {38_400_000 / (us * 1e-6) / 1e9:.1f} GFLOP/s")
        continue
    p = r["params"]
    n, causal, threads = int(p["n"]), p["causal"] == "true", int(p["threads"])
    ms = r["primaryMetric"]["score"]
    err = r["primaryMetric"].get("scoreError")
    alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
    rows[(p["backend"], n, causal, threads)] = (ms, err, alloc)

backends = ["cpu-tiled", "cpu-batched", "onnxruntime"]
print("| n | causal | threads | " + " | ".join(f"{b} GFLOP/s" for b in backends)
      + " | tiled/ORT | tiled/batched | tiled alloc B/op | ORT alloc B/op |")
print("|---" * (3 + len(backends) + 4) + "|")
keys = sorted({(k[1], k[2], k[3]) for k in rows})
for n, causal, threads in keys:
    g = {}
    cells = []
    for b in backends:
        v = rows.get((b, n, causal, threads))
        if v is None:
            cells.append("-")
            continue
        g[b] = flops(n, causal) / (v[0] * 1e-3) / 1e9
        cells.append(f"{g[b]:.1f}")
    ratio = lambda a, c: f"{g[a] / g[c]:.2f}" if a in g and c in g else "-"
    alloc = lambda b: (f"{rows[(b, n, causal, threads)][2]:.0f}"
                       if (b, n, causal, threads) in rows and rows[(b, n, causal, threads)][2] is not None else "-")
    print(f"| {n} | {causal} | {threads} | " + " | ".join(cells)
          + f" | {ratio('cpu-tiled', 'onnxruntime')} | {ratio('cpu-tiled', 'cpu-batched')} | {alloc('cpu-tiled')}"
          + f" | {alloc('onnxruntime')} |")

print()
print("causal speed-up (time non-causal / time causal), same run:")
for b in backends:
    for threads in (1, 2):
        for n in sorted({k[1] for k in rows}):
            a, c = rows.get((b, n, False, threads)), rows.get((b, n, True, threads))
            if a and c:
                print(f"  {b:12s} threads={threads} n={n:5d}: {a[0] / c[0]:.2f}x")
