#!/usr/bin/env python3
"""PyTorch's side of the GPU benchmark: the same figures as typeflux's
`gpu_bench` example, on the same GPU, one `name value unit` line each.
fp32 throughout: TF32 is off for the products."""
import time

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")


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

    for w in (64, 128):
        small_chain(w)


def small_chain(w):
    """Four hidden layers of `w` (ReLU) and 10 outputs at batch 4096: the
    forward pass and the gradient of the mean squared error, in samples per
    second, as gpu_bench's mlp{w}_* figures."""
    nn = torch.nn
    n = 4096
    layers = []
    for _ in range(4):
        layers += [nn.Linear(w, w), nn.ReLU()]
    m = nn.Sequential(*layers, nn.Linear(w, 10)).to(dev)
    x, y = torch.randn(n, w, device=dev), torch.randn(n, 10, device=dev)
    with torch.no_grad():
        t = median(10, 100, lambda: m(x))
    print(f"mlp{w}_forward_torch {n / t / 1e6:.1f} Msamples/s")

    def gradient():
        m.zero_grad(set_to_none=True)
        torch.nn.functional.mse_loss(m(x), y).backward()

    print(f"mlp{w}_gradient_torch {n / median(10, 100, gradient) / 1e6:.1f} Msamples/s")


if __name__ == "__main__":
    main()
