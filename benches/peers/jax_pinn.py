"""The PINN step of `examples/pinn.rs`, in JAX, for a peer figure measured
on the same machine in the same hour.

    taskset -c 0 python3 benches/peers/jax_pinn.py      # one core
    taskset -c 0 python3 benches/peers/jax_pinn.py 10   # time for 10 s

Same problem and network as the example: `-u'' = π² sin(πx)` on [0, 1],
trial solution `u(x) = x(1 - x)·N(x)` with `N` = Dense(1 => 20, tanh),
Dense(20 => 20, tanh), Dense(20 => 1), glorot-uniform weights, zero
biases, `f64`, 64 collocation points at the midpoints of an even grid,
loss `mean((u'' + π² sin πx)²)`, Adam with β = (0.9, 0.999), ϵ = 1e-8.
`u''` is forward over forward (`jax.jacfwd(jax.jacfwd(u))`, vmapped over
the points), the gradient `jax.value_and_grad` of the loss; the whole step,
Adam's update included, is one `jax.jit` with the parameters and moments
donated. Prints the median and mean of the timed steps, then trains with
the example's schedule and prints the relative L2 error against sin(πx).
"""

import statistics
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402

WIDTHS = [1, 20, 20, 1]
POINTS = 64
SCHEDULE = [(3000, 1e-2), (2000, 2e-3), (1000, 2e-4)]


def init(key):
    params = []
    for fan_in, fan_out in zip(WIDTHS[:-1], WIDTHS[1:]):
        key, sub = jax.random.split(key)
        limit = (6.0 / (fan_in + fan_out)) ** 0.5
        weight = jax.random.uniform(sub, (fan_out, fan_in), jnp.float64, -limit, limit)
        params.append((weight, jnp.zeros((fan_out,), jnp.float64)))
    return params


def network(params, x):
    h = jnp.reshape(x, (1,))
    for i, (weight, bias) in enumerate(params):
        h = weight @ h + bias
        if i + 1 < len(params):
            h = jnp.tanh(h)
    return h[0]


def u(params, x):
    return x * (1.0 - x) * network(params, x)


def loss(params, x):
    second = jax.vmap(jax.jacfwd(jax.jacfwd(u, argnums=1), argnums=1), in_axes=(None, 0))
    residual = second(params, x) + jnp.pi**2 * jnp.sin(jnp.pi * x)
    return jnp.mean(residual**2)


def step(state, x, eta):
    params, m, v, t = state
    value, grads = jax.value_and_grad(loss)(params, x)
    t = t + 1
    m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, grads)
    v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, grads)
    correct1, correct2 = 1.0 - 0.9**t, 1.0 - 0.999**t
    params = jax.tree_util.tree_map(
        lambda p, m, v: p - eta * (m / correct1) / (jnp.sqrt(v / correct2) + 1e-8),
        params,
        m,
        v,
    )
    return (params, m, v, t), value


def timed(run, seconds):
    for _ in range(50):
        jax.block_until_ready(run())
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        jax.block_until_ready(run())
        times.append(time.perf_counter() - t)
    return times


def fresh():
    params = init(jax.random.PRNGKey(7))
    def zeros():
        return jax.tree_util.tree_map(jnp.zeros_like, params)

    return (params, zeros(), zeros(), jnp.float64(0.0))


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
    x = (jnp.arange(POINTS, dtype=jnp.float64) + 0.5) / POINTS
    train = jax.jit(step, donate_argnums=0)
    state = {"state": fresh()}

    def one():
        state["state"], value = train(state["state"], x, 1e-3)
        return value

    times = timed(one, seconds)
    print(
        f"jax {jax.__version__} pinn step: median {statistics.median(times) * 1e6:.1f} µs, "
        f"mean {statistics.fmean(times) * 1e6:.1f} µs, {len(times)} runs"
    )

    current = fresh()
    start = time.perf_counter()
    for steps, eta in SCHEDULE:
        for _ in range(steps):
            current, value = train(current, x, eta)
    jax.block_until_ready(value)
    elapsed = time.perf_counter() - start
    grid = jnp.linspace(0.0, 1.0, 1001)
    solution = jax.vmap(u, in_axes=(None, 0))(current[0], grid)
    exact = jnp.sin(jnp.pi * grid)
    error = jnp.sqrt(jnp.sum((solution - exact) ** 2) / jnp.sum(exact**2))
    total = sum(steps for steps, _ in SCHEDULE)
    print(
        f"trained {total} steps in {elapsed:.2f} s, final loss {float(value):.3e}, "
        f"relative L2 error {float(error):.2e}"
    )


if __name__ == "__main__":
    main()
