#!/usr/bin/env bash
# The GPU check, in two halves.
#
# On a machine with Rust (no GPU needed):
#     scripts/gpu-check.sh build
# builds, for x86-64 Linux in release mode, the GPU test binary (the
# interpreter's checks run on the real device: crates/ptx-interp/tests/cuda.rs),
# the `gpu_bench` and `digits` examples, and puts them with this script,
# scripts/gpu_bench.py and the digits data into target/gpu-check/ (ignored by
# git).
#
# On the GPU machine (NVIDIA driver, CUDA, PyTorch and python3; no Rust, no
# network), from a copy of that folder:
#     ./gpu-check.sh run RESULTS
# runs the GPU tests, the digits demo on the CPU and with --gpu (their test
# accuracies must agree within one point), typeflux's benchmark and
# PyTorch's (with a table of the small chains: fused, layer by layer and
# PyTorch), and writes RESULTS/{tests.txt, digits-cpu.txt, digits-gpu.txt,
# typeflux.txt, pytorch.txt, summary.txt}. It stops at
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
    cargo build --release --example digits
    cp target/release/examples/digits "$out/digits"
    mkdir -p "$out/data"
    cp data/digits.csv.gz "$out/data/"
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
    echo "== digits, CPU and --gpu" | tee -a "$results/summary.txt"
    # The demo reads data/ and writes out/ in the current directory.
    (cd "$here" && timeout 60 ./digits >"$results/digits-cpu.txt" 2>&1) || status=1
    (cd "$here" && timeout 120 ./digits --gpu >"$results/digits-gpu.txt" 2>&1) || status=1
    local cpu_accuracy gpu_accuracy
    cpu_accuracy="$(sed -n 's/.*test accuracy \([0-9.]*\)%$/\1/p' "$results/digits-cpu.txt" | tail -n 1)"
    gpu_accuracy="$(sed -n 's/.*test accuracy \([0-9.]*\)%$/\1/p' "$results/digits-gpu.txt" | tail -n 1)"
    echo "test accuracy: CPU ${cpu_accuracy:-none}%, GPU ${gpu_accuracy:-none}%" | tee -a "$results/summary.txt"
    if [ -z "$cpu_accuracy" ] || [ -z "$gpu_accuracy" ] ||
        ! awk -v a="$cpu_accuracy" -v b="$gpu_accuracy" 'BEGIN { d = a - b; exit !(d <= 1 && d >= -1) }'; then
        status=1
        echo "FAILED: the accuracies differ by more than one point" | tee -a "$results/summary.txt"
    fi
    echo "== typeflux" | tee -a "$results/summary.txt"
    timeout 120 "$here/gpu_bench" >"$results/typeflux.txt" 2>&1 || status=1
    tee -a "$results/summary.txt" <"$results/typeflux.txt"
    echo "== PyTorch" | tee -a "$results/summary.txt"
    timeout 120 python3 "$here/gpu_bench.py" >"$results/pytorch.txt" 2>&1 || status=1
    tee -a "$results/summary.txt" <"$results/pytorch.txt"
    echo "== small chains: fused, layer by layer, PyTorch (Msamples/s)" | tee -a "$results/summary.txt"
    for w in 64 128; do
        for pass in forward gradient; do
            local fused layers torch
            fused="$(sed -n "s/^mlp${w}_${pass}_fused \([0-9.]*\).*/\1/p" "$results/typeflux.txt")"
            layers="$(sed -n "s/^mlp${w}_${pass}_layers \([0-9.]*\).*/\1/p" "$results/typeflux.txt")"
            torch="$(sed -n "s/^mlp${w}_${pass}_torch \([0-9.]*\).*/\1/p" "$results/pytorch.txt")"
            echo "width $w $pass: fused ${fused:-none}, layer by layer ${layers:-none}, PyTorch ${torch:-none}" |
                tee -a "$results/summary.txt"
        done
    done
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
