"""The training steps of the `nn` bench, in JAX, for a peer figure measured
on the same machine in the same hour.

    python3 benches/peers/jax_step.py 1024            # two cores
    taskset -c 0 python3 benches/peers/jax_step.py 784  # one core

Same math as `benches/nn.rs`: dense layers `W·x + b` on a features × batch
matrix, relu between them, `logitcrossentropy` (mean over the batch of
`-Σ y · logsoftmax(ŷ)`), the gradient for every parameter and none for the
input, and a plain gradient-descent update with rate 0.01. The step is
`jax.jit`-compiled with the parameters donated, so the update reuses their
buffers. Prints the median and mean of the timed steps.
"""

import statistics
import sys
import time

import jax
import jax.numpy as jnp

MODELS = {"784": ([784, 128, 10], 64), "1024": ([1024, 1024, 1024, 10], 256)}


def init(key, widths):
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        key, sub = jax.random.split(key)
        limit = (6.0 / (fan_in + fan_out)) ** 0.5
        weight = jax.random.uniform(sub, (fan_out, fan_in), jnp.float32, -limit, limit)
        params.append((weight, jnp.zeros((fan_out,), jnp.float32)))
    return params


def loss(params, x, y):
    h = x
    for i, (weight, bias) in enumerate(params):
        h = weight @ h + bias[:, None]
        if i + 1 < len(params):
            h = jax.nn.relu(h)
    return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(h, axis=0), axis=0))


def step(params, x, y):
    value, grads = jax.value_and_grad(loss)(params, x, y)
    new = [(w - 0.01 * gw, b - 0.01 * gb) for (w, b), (gw, gb) in zip(params, grads)]
    return new, value


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "1024"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 6.0
    widths, batch = MODELS[name]
    key = jax.random.PRNGKey(3)
    params = init(key, widths)
    x = jax.random.uniform(jax.random.PRNGKey(4), (widths[0], batch), jnp.float32)
    y = jax.nn.one_hot(jnp.arange(batch) % 10, 10, dtype=jnp.float32).T
    train = jax.jit(step, donate_argnums=0)
    for _ in range(20):
        params, value = train(params, x, y)
    value.block_until_ready()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        params, value = train(params, x, y)
        value.block_until_ready()
        times.append(time.perf_counter() - t)
    unit, scale = ("ms", 1e3) if name == "1024" else ("µs", 1e6)
    print(
        f"jax {jax.__version__} train step {name}: median {statistics.median(times) * scale:.1f} {unit}, "
        f"mean {statistics.fmean(times) * scale:.1f} {unit}, {len(times)} steps, loss {float(value):.4f}"
    )


if __name__ == "__main__":
    main()
