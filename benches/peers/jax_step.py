"""The training steps of the `nn` bench, in JAX, for a peer figure measured
on the same machine in the same hour.

    python3 benches/peers/jax_step.py 1024            # two cores
    taskset -c 0 python3 benches/peers/jax_step.py 784  # one core
    python3 benches/peers/jax_step.py 1024 6 products # the products alone

Same math as `benches/nn.rs`: dense layers `W·x + b` on a features × batch
matrix, relu between them, `logitcrossentropy` (mean over the batch of
`-Σ y · logsoftmax(ŷ)`), the gradient for every parameter and none for the
input, and a plain gradient-descent update with rate 0.01. The step is
`jax.jit`-compiled with the parameters donated, so the update reuses their
buffers. Prints the median and mean of the timed steps. With `products`
it times only the step's matrix products (forward `W·x` per layer, backward
`dz·xᵀ` per layer and `Wᵀ·dz` for all but the first), jitted together, the
counterpart of the bench's "gemm products alone".
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


def products(weights, activations, deltas):
    out = [w @ a for w, a in zip(weights, activations)]
    for layer in reversed(range(len(weights))):
        out.append(deltas[layer + 1] @ activations[layer].T)
        if layer > 0:
            out.append(weights[layer].T @ deltas[layer + 1])
    return out


def timed(run, seconds):
    for _ in range(20):
        jax.block_until_ready(run())
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        jax.block_until_ready(run())
        times.append(time.perf_counter() - t)
    return times


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "1024"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 6.0
    only_products = len(sys.argv) > 3 and sys.argv[3] == "products"
    widths, batch = MODELS[name]
    key = jax.random.PRNGKey(3)
    params = init(key, widths)
    x = jax.random.uniform(jax.random.PRNGKey(4), (widths[0], batch), jnp.float32)
    y = jax.nn.one_hot(jnp.arange(batch) % 10, 10, dtype=jnp.float32).T
    if only_products:
        weights = [w for w, _ in params]
        activations = [jax.random.uniform(key, (w, batch), jnp.float32) for w in widths]
        deltas = [jax.random.uniform(key, (w, batch), jnp.float32) for w in widths]
        run = jax.jit(products)
        times = timed(lambda: run(weights, activations, deltas), seconds)
        what, detail = "products alone", ""
    else:
        train = jax.jit(step, donate_argnums=0)
        state = {"params": params}

        def one():
            state["params"], value = train(state["params"], x, y)
            state["loss"] = value
            return value

        times = timed(one, seconds)
        what, detail = "train step", f", loss {float(state['loss']):.4f}"
    unit, scale = ("ms", 1e3) if name == "1024" else ("µs", 1e6)
    print(
        f"jax {jax.__version__} {what} {name}: median {statistics.median(times) * scale:.2f} {unit}, "
        f"mean {statistics.fmean(times) * scale:.2f} {unit}, {len(times)} runs{detail}"
    )


if __name__ == "__main__":
    main()
