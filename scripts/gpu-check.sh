#!/usr/bin/env bash
# The GPU check, in two halves.
#
# On a machine with Rust (no GPU needed):
#     scripts/gpu-check.sh build
# builds, for x86-64 Linux in release mode, the GPU test binary (the
# interpreter's checks run on the real device: crates/ptx-interp/tests/cuda.rs)
# and the `gpu_bench` example, and puts them with this script and
# scripts/gpu_bench.py into target/gpu-check/ (ignored by git).
#
# On the GPU machine (NVIDIA driver, CUDA, PyTorch and python3; no Rust, no
# network), from a copy of that folder:
#     ./gpu-check.sh run RESULTS
# runs the GPU tests, typeflux's benchmark and PyTorch's, and writes
# RESULTS/{tests.txt, typeflux.txt, pytorch.txt, summary.txt}. It stops at
# 6 minutes, so that a second try fits in a 15-minute lease.
set -euo pipefail

build() {
    cd "$(dirname "$0")/.."
    local out=target/gpu-check
    rm -rf "$out"
    mkdir -p "$out"
    local tests
    tests="$(cargo test --release -p typeflux-ptx-interp --test cuda --no-run 2>&1 |
        sed -n 's/.*Executable tests\/cuda.rs (\(.*\))/\1/p')"
    if [ ! -x "$tests" ]; then
        echo "error: the GPU test binary was not built" >&2
        exit 1
    fi
    cp "$tests" "$out/gpu-tests"
    cargo build --release -p typeflux-gpu --example gpu_bench
    cp target/release/examples/gpu_bench "$out/gpu_bench"
    cp scripts/gpu-check.sh scripts/gpu_bench.py "$out/"
    echo "built: $out (copy it to the GPU machine and run ./gpu-check.sh run RESULTS there)"
}

run() {
    local results="${1:?usage: gpu-check.sh run RESULTS}"
    local here
    here="$(cd "$(dirname "$0")" && pwd)"
    mkdir -p "$results"
    local status=0
    echo "== GPU tests" | tee "$results/summary.txt"
    if timeout 180 "$here/gpu-tests" --nocapture >"$results/tests.txt" 2>&1; then
        grep -E "^test result" "$results/tests.txt" | tee -a "$results/summary.txt"
    else
        status=1
        echo "FAILED (see tests.txt)" | tee -a "$results/summary.txt"
    fi
    if grep -q "skipped" "$results/tests.txt"; then
        status=1
        echo "the tests found no GPU:" | tee -a "$results/summary.txt"
        grep "skipped" "$results/tests.txt" | head -n 1 | tee -a "$results/summary.txt"
    fi
    echo "== typeflux" | tee -a "$results/summary.txt"
    timeout 120 "$here/gpu_bench" >"$results/typeflux.txt" 2>&1 || status=1
    tee -a "$results/summary.txt" <"$results/typeflux.txt"
    echo "== PyTorch" | tee -a "$results/summary.txt"
    timeout 120 python3 "$here/gpu_bench.py" >"$results/pytorch.txt" 2>&1 || status=1
    tee -a "$results/summary.txt" <"$results/pytorch.txt"
    exit "$status"
}

case "${1:-}" in
    build) build ;;
    run) shift; run "$@" ;;
    *)
        echo "usage: scripts/gpu-check.sh build | gpu-check.sh run RESULTS" >&2
        exit 2
        ;;
esac
