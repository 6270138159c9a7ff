#!/usr/bin/env bash
# The GPU check, in two halves.
#
# On a machine with Rust (no GPU needed):
#     scripts/gpu-check.sh build
# builds, for x86-64 Linux in release mode, the GPU test binary (the
# interpreter's checks run on the real device: crates/ptx-interp/tests/cuda.rs),
# the `gpu_bench`, `digits` and `image_fit` examples, and puts them with
# this script, scripts/gpu_bench.py, scripts/gpu_plot.py and the digits
# data into target/gpu-check/ (ignored by git).
#
# On the GPU machine (NVIDIA driver, CUDA, PyTorch and python3; no Rust, no
# network, matplotlib not needed), from a copy of that folder:
#     ./gpu-check.sh run RESULTS
# it
# - runs the GPU tests;
# - runs the digits demo on the CPU and with --gpu (their test accuracies
#   must agree within one point);
# - runs image_fit on the CPU and with --gpu (each must reach its PSNR
#   target), and keeps both pictures;
# - runs typeflux's benchmark and PyTorch's: besides single figures, a
#   throughput sweep of chains of four hidden layers of 64 and of 128 (ReLU)
#   and 10 outputs at batches 2^14 to 2^21, inference and a training step,
#   typeflux fused with TF32 products, fused with exact products and layer
#   by layer, PyTorch eager in fp32, eager with TF32 and torch.compile;
# - tabulates the sweep, compares it at batch 2^18 with the issue's targets
#   (fused with TF32 at least 5 times PyTorch eager's inference and twice
#   its training step, and faster than torch.compile in both; these are
#   reported, not checked) and plots it.
# It writes RESULTS/{summary.txt, tests.txt, digits-cpu.txt, digits-gpu.txt,
# image_fit-cpu.txt, image_fit-gpu.txt, image_fit-cpu.png,
# image_fit-gpu.png, image_fit_loss-cpu.png, image_fit_loss-gpu.png,
# typeflux.txt, pytorch.txt, throughput.svg} and exits
# with status 1 if a test or a run failed. Its steps' time limits add up to
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
    cargo build --release --example digits --example image_fit
    cp target/release/examples/digits target/release/examples/image_fit "$out/"
    mkdir -p "$out/data"
    cp data/digits.csv.gz "$out/data/"
    cp scripts/gpu-check.sh scripts/gpu_bench.py scripts/gpu_plot.py "$out/"
    echo "built: $out (copy it to the GPU machine and run ./gpu-check.sh run RESULTS there)"
}

# The ways the sweep runs a chain: typeflux's, then PyTorch's.
WAYS="fused_tf32 fused_exact layers torch_eager torch_tf32 torch_compile"

# The sweep's lines in the files named, as a table in Msamples/s: a row for
# each model, pass and batch, a column for each of WAYS (`none` where a
# figure is missing).
sweep_table() {
    printf "%-7s %-8s %8s" model pass batch
    # shellcheck disable=SC2086 # the ways are words
    printf " %13s" $WAYS
    printf "\n"
    awk -v ways="$WAYS" '
        $1 == "sweep" && NF == 7 {
            row = $2 " " $3 " " $5
            rows[row] = 1
            rate[row, $4] = $6
        }
        END {
            n = split(ways, way, " ")
            for (row in rows) {
                split(row, key, " ")
                line = sprintf("%-7s %-8s %8s", key[1], key[2], key[3])
                for (i = 1; i <= n; i++) {
                    figure = ((row, way[i]) in rate) ? rate[row, way[i]] : "none"
                    line = line sprintf(" %13s", figure)
                }
                print line
            }
        }' "$@" | sort -k1.4,1n -k2,2 -k3,3n
}

# The issue's targets, from the sweep's lines in the files named: at batch
# 2^18, 64 wide, typeflux fused with TF32 products against PyTorch eager
# (at least 5 times its inference and twice its training step) and
# torch.compile (faster in both); against eager with TF32 for comparison.
targets() {
    awk '
        $1 == "sweep" && NF == 7 && $2 == "mlp64" && $5 == 262144 { rate[$3, $4] = $6 }
        # fused_tf32 over `way` in `pass`, and whether it meets `target`
        # (a ratio it must reach, or exceed where `above`).
        function ratio(pass, way, target, above,    a, b, r, line) {
            a = rate[pass, "fused_tf32"]
            b = rate[pass, way]
            if (a == "" || a == "none" || b == "" || b == "none" || b + 0 == 0)
                return "none against " way
            r = a / b
            line = sprintf("%.2fx %s", r, way)
            if (target == "")
                return line
            met = above ? r > target : r >= target
            return line sprintf(" (target %s %sx: %s)", above ? "above" : "at least", target, met ? "met" : "NOT met")
        }
        END {
            split("forward train", passes, " ")
            split("inference,training step", names, ",")
            for (i = 1; i <= 2; i++) {
                p = passes[i]
                print names[i] ": " ratio(p, "torch_eager", i == 1 ? 5 : 2, 0) ", " \
                    ratio(p, "torch_compile", 1, 1) ", " ratio(p, "torch_tf32", "", 0)
            }
        }' "$@"
}

# Runs image_fit, which writes out/image_fit.png and out/image_fit_loss.png
# in the current directory and fails if the fit misses its PSNR target, in
# the folder HERE:
#     fit_image HERE RESULTS NAME LIMIT [ARGUMENT...]
# with a time limit of LIMIT seconds; keeps its output, its picture and its
# loss curve in RESULTS/image_fit-NAME.{txt,png} and
# RESULTS/image_fit_loss-NAME.png, adds its last loss and its PSNR to
# RESULTS/summary.txt, and fails where it did.
fit_image() {
    local here="$1" results="$2" name="$3" limit="$4"
    shift 4
    local log="$results/image_fit-$name.txt"
    local code=0
    rm -f "$here/out/image_fit.png" "$here/out/image_fit_loss.png"
    (cd "$here" && timeout "$limit" ./image_fit "$@" >"$log" 2>&1) || code=$?
    if [ "$code" -eq 0 ] && cp "$here/out/image_fit.png" "$results/image_fit-$name.png" &&
        cp "$here/out/image_fit_loss.png" "$results/image_fit_loss-$name.png"; then
        { grep "^epoch" "$log" | tail -n 1; grep "^after " "$log" || true; } |
            sed "s/^/$name: /" | tee -a "$results/summary.txt"
        return 0
    fi
    [ "$code" -eq 124 ] && echo "timed out after $limit s" >>"$log"
    echo "$name: FAILED (see image_fit-$name.txt): $(tail -n 1 "$log")" | tee -a "$results/summary.txt"
    return 1
}

run() {
    local results="${1:?usage: gpu-check.sh run RESULTS}"
    local here
    here="$(cd "$(dirname "$0")" && pwd)"
    mkdir -p "$results"
    # Absolute: the demos run in $here.
    results="$(cd "$results" && pwd)"
    local summary="$results/summary.txt"
    local status=0
    echo "== GPU tests" | tee "$summary"
    if timeout 60 "$here/gpu-tests" --nocapture >"$results/tests.txt" 2>&1; then
        grep -E "^test result" "$results/tests.txt" | tee -a "$summary"
    else
        status=1
        echo "FAILED (see tests.txt)" | tee -a "$summary"
    fi
    if grep -q "skipped" "$results/tests.txt"; then
        status=1
        echo "the tests found no GPU:" | tee -a "$summary"
        grep "skipped" "$results/tests.txt" | head -n 1 | tee -a "$summary"
    fi

    echo "== digits, CPU and --gpu" | tee -a "$summary"
    # The demo reads data/ and writes out/ in the current directory.
    (cd "$here" && timeout 15 ./digits >"$results/digits-cpu.txt" 2>&1) || status=1
    (cd "$here" && timeout 25 ./digits --gpu >"$results/digits-gpu.txt" 2>&1) || status=1
    local cpu_accuracy gpu_accuracy
    cpu_accuracy="$(sed -n 's/.*test accuracy \([0-9.]*\)%$/\1/p' "$results/digits-cpu.txt" | tail -n 1)"
    gpu_accuracy="$(sed -n 's/.*test accuracy \([0-9.]*\)%$/\1/p' "$results/digits-gpu.txt" | tail -n 1)"
    echo "test accuracy: CPU ${cpu_accuracy:-none}%, GPU ${gpu_accuracy:-none}%" | tee -a "$summary"
    if [ -z "$cpu_accuracy" ] || [ -z "$gpu_accuracy" ] ||
        ! awk -v a="$cpu_accuracy" -v b="$gpu_accuracy" 'BEGIN { d = a - b; exit !(d <= 1 && d >= -1) }'; then
        status=1
        echo "FAILED: the accuracies differ by more than one point" | tee -a "$summary"
    fi

    echo "== image_fit, CPU and --gpu" | tee -a "$summary"
    fit_image "$here" "$results" cpu 15 --cpu || status=1
    fit_image "$here" "$results" gpu 25 --gpu || status=1

    echo "== typeflux" | tee -a "$summary"
    timeout 85 "$here/gpu_bench" >"$results/typeflux.txt" 2>&1 || status=1
    { grep -v "^sweep " "$results/typeflux.txt" || true; } | tee -a "$summary"
    echo "== PyTorch" | tee -a "$summary"
    # Unbuffered, so that what ran before a time-out is kept.
    timeout 125 python3 -u "$here/gpu_bench.py" >"$results/pytorch.txt" 2>&1 || status=1
    { grep -v "^sweep " "$results/pytorch.txt" || true; } | tee -a "$summary"

    echo "== small chains, the sweep (Msamples/s; torch_eager and torch_compile in fp32, torch_tf32 with TF32 products)" |
        tee -a "$summary"
    sweep_table "$results/typeflux.txt" "$results/pytorch.txt" | tee -a "$summary"
    echo "== the issue's targets: 64 wide, batch 262144, typeflux fused with TF32 products against PyTorch" |
        tee -a "$summary"
    targets "$results/typeflux.txt" "$results/pytorch.txt" | tee -a "$summary"
    echo "== plot" | tee -a "$summary"
    timeout 10 python3 "$here/gpu_plot.py" "$results/typeflux.txt" "$results/pytorch.txt" \
        "$results/throughput.svg" 2>&1 | tee -a "$summary" || status=1
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
