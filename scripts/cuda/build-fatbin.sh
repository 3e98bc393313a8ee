#!/usr/bin/env bash
# Builds the CUDA kernels into a fatbin with the flags in implementations/src/main/cuda/nvcc.args (SASS for sm_80
# and sm_90, PTX for compute_80), and keeps ptxas -v's resource report beside it.
#
#   scripts/cuda/build-fatbin.sh OUT_DIR     build into OUT_DIR (skipped when OUT_DIR's stamp matches the sources)
#   scripts/cuda/build-fatbin.sh --commit    build, then refresh the committed resource and its sources hash
#
# Output in OUT_DIR: attention.fatbin, ptxas.log (ptxas -v per kernel and arch), stamp (sources hash + nvcc).
# The fatbin is byte-deterministic for a given nvcc (checked: same bytes from different directories), which is
# what FatbinFreshnessTest relies on.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
src="$root/implementations/src/main/cuda"
res="$root/implementations/src/main/resources/dev/attest/backends/cuda"
NVCC="${NVCC:-nvcc}"
command -v "$NVCC" >/dev/null || { echo "build-fatbin: nvcc not found (set NVCC or put it on PATH)" >&2; exit 2; }

commit=false
if [[ "${1:-}" == "--commit" ]]; then commit=true; out="$root/implementations/target/cuda"; else out="${1:?usage: $0 OUT_DIR | --commit}"; fi
mkdir -p "$out"

sources_hash() { cat "$src/attention.cu" "$src/nvcc.args" | sha256sum | cut -d' ' -f1; }
nvcc_version="$("$NVCC" --version | tail -1)"
stamp="sources $(sources_hash)
nvcc $nvcc_version"

if [[ -f "$out/stamp" && -f "$out/attention.fatbin" && "$(cat "$out/stamp")" == "$stamp" ]]; then
  echo "build-fatbin: $out/attention.fatbin is up to date"
else
  mapfile -t args < <(grep -v '^\s*$' "$src/nvcc.args")
  echo "build-fatbin: $NVCC ${args[*]} -Xptxas -v -o $out/attention.fatbin attention.cu"
  (cd "$src" && "$NVCC" "${args[@]}" -Xptxas -v -o "$out/attention.fatbin.tmp" attention.cu) 2> "$out/ptxas.log" \
    || { cat "$out/ptxas.log" >&2; exit 1; }
  mv "$out/attention.fatbin.tmp" "$out/attention.fatbin"
  printf '%s\n' "$stamp" > "$out/stamp"
fi

if $commit; then
  mkdir -p "$res"
  cp "$out/attention.fatbin" "$res/attention.fatbin"
  printf '%s\n' "$stamp" > "$res/attention.fatbin.stamp"
  echo "build-fatbin: refreshed $res/attention.fatbin and its stamp"
fi
