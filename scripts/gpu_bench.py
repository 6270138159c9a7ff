#!/usr/bin/env python3
"""PyTorch's side of the GPU benchmark: the same figures as typeflux's
`gpu_bench` example, on the same GPU, one `name value unit` line each, and
the same throughput sweep of small chains, one
`sweep mlp{W} {pass} {way} {batch} {rate} Msamples/s` line each.

fp32 throughout. PyTorch's default leaves TF32 off for the products, so
`torch_eager` and `torch_compile` compute them exactly in fp32;
`torch_tf32` is eager with `torch.backends.cuda.matmul.allow_tf32 = True`,
to compare with typeflux's `fused_tf32`. Where torch.compile fails, or its
time budget runs out, its figures are `none`."""
import signal
import time

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")

# The batches of the sweep: 2^14 to 2^21.
SWEEP = [2**k for k in range(14, 22)]
# Seconds that torch.compile may take in all, compiling and recompiling.
COMPILE_BUDGET = 60.0


def median(warmup, runs, f):
    for _ in range(warmup):
        f()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[runs // 2]


def product(n, runs):
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    t = median(2, runs, lambda: torch.matmul(a, b))
    print(f"matmul_f32_{n} {2 * n**3 / t / 1e9:.1f} GFLOP/s")


def train_step(model, x, y, runs):
    opt = torch.optim.Adam(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return median(10, runs, step)


class OutOfTime(BaseException):
    """torch.compile's budget ran out. A BaseException, so that the
    compiler's own `except Exception` does not take it for an error of its
    own and go on."""


def _out_of_time(signum, frame):
    raise OutOfTime()


class Compiler:
    """torch.compile within one budget of seconds for all its calls."""

    def __init__(self, budget):
        self.left = budget
        signal.signal(signal.SIGALRM, _out_of_time)
        try:
            import torch._dynamo
            import torch._inductor.config

            # Errors are errors, not a quiet fall back to eager.
            torch._dynamo.config.suppress_errors = False
            # Compiling in this process, so that the budget's alarm stops
            # it and no worker outlives it.
            torch._inductor.config.compile_threads = 1
        except Exception as e:
            print(f"torch.compile's settings: {type(e).__name__}: {e}")

    def within(self, f):
        """Runs `f` (a call that may compile) within what is left of the
        budget; raises OutOfTime where it runs out."""
        if self.left <= 0:
            raise OutOfTime()
        start = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, self.left)
        try:
            f()
            torch.cuda.synchronize()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.left -= time.perf_counter() - start


def throughput(n, f, first=None):
    """Millions of samples per second of `f`, which runs a batch of `n`:
    the median of 5 to 11 timed runs after three untimed ones, as many as
    fit in about a quarter of a second. `first` runs the first call (the
    one that may compile)."""
    (first or (lambda g: g()))(f)
    torch.cuda.synchronize()
    start = time.perf_counter()
    f()
    f()
    torch.cuda.synchronize()
    each = (time.perf_counter() - start) / 2
    runs = min(11, max(5, int(0.25 / each)))
    return n / median(0, runs, f) / 1e6


def mlp(w):
    """Four hidden layers of `w` (ReLU) and 10 outputs, as gpu_bench's."""
    nn = torch.nn
    layers = []
    for _ in range(4):
        layers += [nn.Linear(w, w), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(w, 10)).to(dev)


def sweep(w, compiler):
    """The model of `w` at every batch of SWEEP, inference (under no_grad)
    and a training step (forward, mse_loss, backward, an SGD step), eager
    with exact fp32 products, eager with TF32 products, and compiled once
    with a dynamic batch."""
    m = mlp(w)
    opt = torch.optim.SGD(m.parameters(), lr=0.01)
    try:
        compiled = torch.compile(m, dynamic=True)
    except Exception as e:
        print(f"torch.compile of mlp{w} failed: {type(e).__name__}: {e}")
        compiled = None

    def rates(run, x, y, first):
        def forward():
            with torch.no_grad():
                run(x)

        def train():
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(run(x), y).backward()
            opt.step()

        return throughput(len(x), forward, first), throughput(len(x), train, first)

    for n in SWEEP:
        x, y = torch.randn(n, w, device=dev), torch.randn(n, 10, device=dev)
        figures = {}
        for way, tf32 in (("torch_eager", False), ("torch_tf32", True)):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            figures[way] = rates(m, x, y, None)
        torch.backends.cuda.matmul.allow_tf32 = False
        figures["torch_compile"] = (None, None)
        if compiled is not None:
            try:
                figures["torch_compile"] = rates(compiled, x, y, compiler.within)
            except (Exception, OutOfTime) as e:
                why = "its time budget ran out" if isinstance(e, OutOfTime) else f"{type(e).__name__}: {e}"
                print(f"torch.compile of mlp{w} at batch {n}: {why}".splitlines()[0])
                compiled = None
        for way, (forward, train) in figures.items():
            for name, rate in (("forward", forward), ("train", train)):
                shown = "none" if rate is None else f"{rate:.1f}"
                print(f"sweep mlp{w} {name} {way} {n} {shown} Msamples/s")


def main():
    print(f"device {torch.cuda.get_device_name()} (PyTorch {torch.__version__})")
    product(1024, 20)
    product(4096, 5)
    nn = torch.nn
    w2 = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).to(dev)
    x, y = torch.randn(64, 784, device=dev), torch.randint(0, 10, (64,), device=dev)
    print(f"w2_train_step {train_step(w2, x, y, 100) * 1e6:.1f} us")
    w3 = nn.Sequential(
        nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10)
    ).to(dev)
    x, y = torch.randn(256, 1024, device=dev), torch.randint(0, 10, (256,), device=dev)
    print(f"w3_train_step {train_step(w3, x, y, 50) * 1e6:.1f} us")
    seed = nn.Sequential(nn.Linear(10, 5), nn.Sigmoid(), nn.Linear(5, 2), nn.Softmax(dim=-1)).to(dev)
    x = torch.ones(1, 10, device=dev)
    with torch.no_grad():
        print(f"seed_forward {median(10, 100, lambda: seed(x)) * 1e6:.1f} us")

    def gradient():
        seed.zero_grad(set_to_none=True)
        seed(x).sum().backward()

    print(f"seed_gradient {median(10, 100, gradient) * 1e6:.1f} us")

    print("torch_eager and torch_compile: fp32 products (PyTorch's default); torch_tf32: eager, allow_tf32")
    start = time.perf_counter()
    compiler = Compiler(COMPILE_BUDGET)
    for w in (64, 128):
        sweep(w, compiler)
    print(f"sweep_time {time.perf_counter() - start:.1f} s")
    print(f"compile_time {COMPILE_BUDGET - compiler.left:.1f} s")


if __name__ == "__main__":
    main()
