"""The LeNet-5-sized training step of the `conv` bench, in JAX, for a peer
figure measured on the same machine in the same hour.

    taskset -c 0 python3 benches/peers/jax_conv.py      # one core

Same math as `benches/conv.rs`: images 28 x 28 x 1 at batch 64 (NHWC here,
XLA's preferred layout on the CPU; the arithmetic is the same), a 5 x 5
convolution 1 => 6 with padding 2 and relu, 2 x 2 max pooling, a 5 x 5
convolution 6 => 16 and relu, 2 x 2 max pooling, flatten to 400 features,
dense layers 400 => 120 => 84 => 10 with relu between them,
`logitcrossentropy` (mean over the batch of `-sum y * logsoftmax`), the
gradient of every parameter and none for the images, and a gradient-descent
update with rate 0.01. The step is `jax.jit`-compiled with the parameters
donated. Prints the median and mean of the timed steps.
"""

import statistics
import sys
import time

import jax
import jax.numpy as jnp

BATCH = 64


def glorot(key, shape, fan_in, fan_out):
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return jax.random.uniform(key, shape, jnp.float32, -limit, limit)


def init(key):
    keys = jax.random.split(key, 5)
    return [
        (glorot(keys[0], (5, 5, 1, 6), 25, 150), jnp.zeros((6,))),
        (glorot(keys[1], (5, 5, 6, 16), 150, 400), jnp.zeros((16,))),
        (glorot(keys[2], (120, 400), 400, 120), jnp.zeros((120,))),
        (glorot(keys[3], (84, 120), 120, 84), jnp.zeros((84,))),
        (glorot(keys[4], (10, 84), 84, 10), jnp.zeros((10,))),
    ]


def conv(x, w, b, pad):
    y = jax.lax.conv_general_dilated(
        x, w, (1, 1), [(pad, pad), (pad, pad)], dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return jax.nn.relu(y + b)


def maxpool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def loss(params, x, y):
    (w1, b1), (w2, b2), (w3, b3), (w4, b4), (w5, b5) = params
    h = maxpool(conv(x, w1, b1, 2))
    h = maxpool(conv(h, w2, b2, 0))
    h = h.reshape(BATCH, -1).T
    h = jax.nn.relu(w3 @ h + b3[:, None])
    h = jax.nn.relu(w4 @ h + b4[:, None])
    h = w5 @ h + b5[:, None]
    return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(h, axis=0), axis=0))


def step(params, x, y):
    value, grads = jax.value_and_grad(loss)(params, x, y)
    new = [(w - 0.01 * gw, b - 0.01 * gb) for (w, b), (gw, gb) in zip(params, grads)]
    return new, value


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    key = jax.random.PRNGKey(7)
    params = init(key)
    x = jax.random.uniform(jax.random.PRNGKey(8), (BATCH, 28, 28, 1), jnp.float32)
    y = jax.nn.one_hot(jnp.arange(BATCH) % 10, 10).T
    jitted = jax.jit(step, donate_argnums=0)
    for _ in range(10):
        params, value = jitted(params, x, y)
    value.block_until_ready()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        params, value = jitted(params, x, y)
        value.block_until_ready()
        times.append(time.perf_counter() - start)
    print(
        f"jax {jax.__version__} LeNet-5 step, batch {BATCH}: "
        f"median {statistics.median(times) * 1e3:.3f} ms, mean {statistics.mean(times) * 1e3:.3f} ms"
    )


if __name__ == "__main__":
    main()
