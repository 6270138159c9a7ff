"""The eight matrix products of the `nn` bench's 1024-wide training step,
through numpy's BLAS (OpenBLAS in numpy's wheels), for comparing that
library's kernels with gemm's on the same machine in the same minutes.

    python3 benches/peers/numpy_products.py [repetitions]

The products are those of `typeflux_benches::Products` (the bench's "gemm
products alone"): forward `W·x` per layer, backward `dz·xᵀ` per layer and
`Wᵀ·dz` for all but the first, for layers 1024 ⇒ 1024 ⇒ 1024 ⇒ 10 at batch
256, `f32`. numpy's BLAS uses every core unless `OPENBLAS_NUM_THREADS` says
otherwise. Prints the minimum and quartiles of the repetitions after ten
untimed ones.
"""

import sys
import time

import numpy as np

WIDTHS = [1024, 1024, 1024, 10]
BATCH = 256


def main():
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rng = np.random.default_rng(0)
    weights = [
        (rng.random((o, i), dtype=np.float32) - 0.5) * 0.05
        for i, o in zip(WIDTHS, WIDTHS[1:])
    ]
    x = rng.random((WIDTHS[0], BATCH), dtype=np.float32)

    def products():
        activations = [x]
        for w in weights:
            activations.append(w @ activations[-1])
        delta = activations[-1]
        for layer in reversed(range(len(weights))):
            _ = delta @ activations[layer].T
            if layer > 0:
                delta = weights[layer].T @ delta

    times = []
    for _ in range(10 + repetitions):
        start = time.perf_counter()
        products()
        times.append((time.perf_counter() - start) * 1e3)
    times = sorted(times[10:])
    quartile = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(
        f"numpy {np.__version__} products, ms: min {times[0]:.2f}, "
        f"p25 {quartile(0.25):.2f}, median {quartile(0.5):.2f}, p75 {quartile(0.75):.2f}"
    )


if __name__ == "__main__":
    main()
