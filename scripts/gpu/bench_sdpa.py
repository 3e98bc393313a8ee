#!/usr/bin/env python3
"""PyTorch SDPA fp32 baseline for the cuda backend, on the GPU machine (see docs/cuda.md).

B=1 H=16 D=64, n in {1024, 4096, 16384}, causal and non-causal; CUDA events after a warm-up, median of the timed
runs, inputs drawn from N(0, 1) (never zeros). Prints one JSON object per line and the SDPA backend torch picked.

    python3 scripts/gpu/bench_sdpa.py [--iters 20] [--warmup 5] [--out $OUT/sdpa.jsonl]
"""
import argparse
import json
import statistics
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel


def time_ms(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return times


def picked_backend(q, k, v, causal):
    """The first SDPA backend that accepts these fp32 inputs, in torch's own priority order."""
    for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION,
                    SDPBackend.MATH):
        try:
            with sdpa_kernel([backend]):
                F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            return backend.name
        except RuntimeError:
            continue
    return "none"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--sizes", default="1024,4096,16384")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("bench_sdpa: no CUDA device visible to torch")
    torch.backends.cuda.matmul.allow_tf32 = False      # fp32 means fp32: no TF32 in the math fallback
    torch.backends.cudnn.allow_tf32 = False
    out = open(args.out, "w") if args.out else None
    gen = torch.Generator(device="cuda").manual_seed(20261123)
    B, H, D = 1, 16, 64
    for n in [int(s) for s in args.sizes.split(",")]:
        q, k, v = (torch.randn(B, H, n, D, device="cuda", dtype=torch.float32, generator=gen) for _ in range(3))
        for causal in (False, True):
            times = time_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal), args.warmup, args.iters)
            med = statistics.median(times)
            flops = 4 * B * H * n * n * D * (0.5 if causal else 1.0)
            row = {"impl": "torch-sdpa", "sdpa_backend": picked_backend(q, k, v, causal), "dtype": "fp32",
                   "B": B, "H": H, "D": D, "n": n, "causal": causal, "warmup": args.warmup, "iters": args.iters,
                   "median_ms": med, "min_ms": min(times), "times_ms": times, "tflops": flops / med / 1e9,
                   "device": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda}
            print(json.dumps(row), flush=True)
            if out:
                out.write(json.dumps(row) + "\n")
    if out:
        out.close()


if __name__ == "__main__":
    main()
