#!/usr/bin/env bash
# Assembles every kernel typeflux writes with NVIDIA's ptxas, for sm_80
# (Ampere) and sm_90 (Hopper): the kernels of the catalogue in
# crates/gpu/src/kernels/catalogue.rs, for both element types.
#
# ptxas comes from PyPI's nvidia-cuda-nvcc-cu12 wheel (about 40 MB), fetched
# once into a cache outside the work tree. If it cannot be had, this fails:
# a kernel that no assembler has seen is not proven.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=12.9.86
CACHE="${TYPEFLUX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/typeflux}/ptxas"
PTXAS="$CACHE/$VERSION/nvidia/cuda_nvcc/bin/ptxas"

if [ ! -x "$PTXAS" ]; then
    echo "fetching ptxas $VERSION (nvidia-cuda-nvcc-cu12 from PyPI) into $CACHE"
    mkdir -p "$CACHE/wheel" "$CACHE/$VERSION"
    if ! python3 -m pip download --quiet --no-deps --only-binary=:all: \
        --dest "$CACHE/wheel" "nvidia-cuda-nvcc-cu12==$VERSION"; then
        echo "error: could not download nvidia-cuda-nvcc-cu12==$VERSION from PyPI" >&2
        exit 1
    fi
    python3 - "$CACHE/wheel" "$CACHE/$VERSION" "$VERSION" <<'PY'
import glob, os, sys, zipfile
wheels = glob.glob(os.path.join(sys.argv[1], f"nvidia_cuda_nvcc_cu12-{sys.argv[3]}-*.whl"))
if not wheels:
    sys.exit("error: the downloaded wheel is not where pip was told to put it")
with zipfile.ZipFile(wheels[0]) as wheel:
    wheel.extract("nvidia/cuda_nvcc/bin/ptxas", sys.argv[2])
PY
    chmod +x "$PTXAS"
fi
"$PTXAS" --version | tail -n 1

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
cargo run --quiet -p typeflux-gpu --example write_ptx -- "$OUT/ptx"

# Every module for both targets, the largest first so that the cores
# finish together, as many at once as there are cores. (The modules' names
# are ours, without spaces; the quoted script is expanded by its own shell.)
# shellcheck disable=SC2045,SC2016
for module in $(ls -S "$OUT"/ptx/*.ptx); do
    for arch in sm_80 sm_90; do
        printf '%s %s\n' "$arch" "$module"
    done
done | xargs -P "$(nproc 2>/dev/null || echo 2)" -n 2 sh -c '
    if ! "$0" -arch="$1" "$2" -o "$2.$1.cubin"; then
        echo "error: ptxas -arch=$1 refused $(basename "$2")" >&2
        exit 255
    fi' "$PTXAS"

modules=0
kernels=0
for module in "$OUT"/ptx/*.ptx; do
    modules=$((modules + 1))
    kernels=$((kernels + $(grep -c '^\.visible \.entry' "$module")))
done
echo "ptxas assembled $kernels kernels in $modules modules for sm_80 and sm_90"
