//! Times typeflux on the GPU: the training steps of two MLPs (W2: 784 ⇒ 128
//! ⇒ 10 at batch 64; W3: 1024 ⇒ 1024 ⇒ 1024 ⇒ 10 at batch 256, ReLU,
//! logit cross-entropy, Adam), the seed's chain forward and gradient, f32
//! products of 1024³ and 4096³, and a throughput sweep of small chains:
//! four hidden layers of 64 and of 128 (ReLU) and 10 outputs, at batches
//! 2¹⁴ to 2²¹, inference and a training step (the mean squared error's
//! gradient through `value_and_gradient`, then a `Descent` update), each
//! run three ways: fused into one kernel per pass with TF32 products, the
//! same with exact `f32` products (`Gpu::set_fused_products`), and layer
//! by layer (`Gpu::set_fused_chains(false)`). One line per figure,
//! `name value unit`, or `sweep mlp{W} {pass} {way} {batch} {rate}
//! Msamples/s` for the sweep, to compare with `scripts/gpu_bench.py`
//! (PyTorch on the same GPU).
//!
//! `cargo run --release -p typeflux-gpu --example gpu_bench`; without a GPU
//! it says why and exits with status 2.

use std::ops::RangeInclusive;
use std::time::Instant;
use typeflux_ad::reverse::{model, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_gpu::{Cuda, FusedModel, FusedProducts, default_gpu};
use typeflux_nn::optim::{Adam, Descent, Rule};
use typeflux_nn::prelude::*;

/// The median of `runs` timings of `f`, in seconds, after `warmup` runs;
/// `f` ends by reading a value back, so the GPU's work is inside the time.
fn median(warmup: usize, runs: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..warmup {
        f();
    }
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// Inputs in [-0.5, 0.5), without a random number generator.
fn pattern([i, j]: [usize; 2]) -> f32 {
    ((i * 7 + j * 13) % 17) as f32 / 17.0 - 0.5
}

fn product<const N: usize>(cuda: &Cuda, runs: usize) {
    let a = Tensor::<(usize, usize), f32>::from_fn((N, N), pattern).to_device(cuda);
    let b = Tensor::<(usize, usize), f32>::from_fn((N, N), pattern).to_device(cuda);
    let t = median(2, runs, || {
        let c = a.matmul(&b);
        std::hint::black_box(cuda_sync(&c));
    });
    let flops = 2.0 * (N as f64).powi(3);
    println!("matmul_f32_{N} {:.1} GFLOP/s", flops / t / 1e9);
}

/// Waits for the GPU by reading one element of `t`.
fn cuda_sync<S: Shape>(t: &Tensor<S, f32, Cuda>) -> f32 {
    use typeflux_core::Device;
    t.device().read::<S, f32>(t.buffer(), 0)
}

/// The batches of the throughput sweep: 2¹⁴ to 2²¹.
const SWEEP: RangeInclusive<u32> = 14..=21;

/// The ways the sweep runs a chain, by their names in its lines: in one
/// kernel per pass with TF32 products and with exact `f32` products, and
/// layer by layer.
const WAYS: [(&str, Option<FusedProducts>); 3] = [
    ("fused_tf32", Some(FusedProducts::Tf32)),
    ("fused_exact", Some(FusedProducts::Exact)),
    ("layers", None),
];

/// Millions of samples per second of `f`, which runs a batch of `n`: the
/// median of 5 to 11 timed runs after three untimed ones, as many as fit in
/// about a quarter of a second, so that large batches get fewer.
fn throughput(n: usize, mut f: impl FnMut()) -> f64 {
    // The first run loads the kernels; the next two size the timed runs.
    f();
    let start = Instant::now();
    f();
    f();
    let each = start.elapsed().as_secs_f64() / 2.0;
    let runs = ((0.25 / each) as usize).clamp(5, 11);
    n as f64 / median(0, runs, f) / 1e6
}

/// Four hidden layers of `W` (ReLU) and 10 outputs, at every batch of
/// [`SWEEP`] and each of the [`WAYS`]: inference (`forward`) and a training
/// step (`value_and_gradient` of the mean squared error, then a [`Descent`]
/// update), in samples per second. The batch is a run-time size, so one
/// model serves them all. One line each:
/// `sweep mlp{W} {forward|train} {way} {batch} {rate} Msamples/s`.
fn sweep<const W: usize>(cuda: &Cuda) {
    let mut m = Chain((
        Dense::<W, W>::new(relu),
        Dense::<W, W>::new(relu),
        Dense::<W, W>::new(relu),
        Dense::<W, W>::new(relu),
        Dense::<W, 10>::new(identity),
    ))
    .to_device(cuda);
    assert!(m.fused_chain().is_some(), "the chain fuses");
    let mut opt = Descent::new(0.01).setup(&m);
    for n in SWEEP.map(|k| 1 << k) {
        let x = Batch::<W>::from_fn((Const, n), pattern).to_device(cuda);
        let y = Batch::<10>::from_fn((Const, n), pattern).to_device(cuda);
        for (way, products) in WAYS {
            cuda.set_fused_chains(products.is_some());
            cuda.set_fused_products(products.unwrap_or_default());
            let rate = throughput(n, || {
                std::hint::black_box(cuda_sync(&m.forward(&x)));
            });
            println!("sweep mlp{W} forward {way} {n} {rate:.1} Msamples/s");
            let rate = throughput(n, || {
                let (loss, g) = value_and_gradient(|m| mse(m.forward(&x), &y), model(&m));
                opt.update(&mut m, &g);
                std::hint::black_box((loss, cuda_sync(&m.0.4.weight)));
            });
            println!("sweep mlp{W} train {way} {n} {rate:.1} Msamples/s");
        }
    }
    cuda.set_fused_chains(true);
    cuda.set_fused_products(FusedProducts::default());
}

fn main() {
    let cuda = match default_gpu() {
        Ok(cuda) => cuda,
        Err(why) => {
            eprintln!("gpu_bench: {why}");
            std::process::exit(2);
        }
    };
    println!("device {cuda:?}");

    product::<1024>(&cuda, 20);
    product::<4096>(&cuda, 5);

    typeflux_nn::init::seed(1);
    let w2 = Chain((
        Dense::<784, 128>::new(relu),
        Dense::<128, 10>::new(identity),
    ));
    let x = Batch::<784>::from_fn((Const, 64), pattern).to_device(&cuda);
    let y = Batch::<10>::from_fn((Const, 64), |[i, j]| f32::from(u8::from(i == j % 10)))
        .to_device(&cuda);
    let mut m = w2.to_device(&cuda);
    let rule = Adam::default();
    let mut opt = rule.setup(&m);
    let t = median(10, 100, || {
        let (loss, g) = value_and_gradient(|m| logitcrossentropy(m.forward(&x), &y), model(&m));
        opt.update(&mut m, &g);
        std::hint::black_box(loss);
    });
    println!("w2_train_step {:.1} us", t * 1e6);

    let w3 = Chain((
        Dense::<1024, 1024>::new(relu),
        Dense::<1024, 1024>::new(relu),
        Dense::<1024, 10>::new(identity),
    ));
    let x = Batch::<1024>::from_fn((Const, 256), pattern).to_device(&cuda);
    let y = Batch::<10>::from_fn((Const, 256), |[i, j]| f32::from(u8::from(i == j % 10)))
        .to_device(&cuda);
    let mut m = w3.to_device(&cuda);
    let mut opt = rule.setup(&m);
    let t = median(5, 50, || {
        let (loss, g) = value_and_gradient(|m| logitcrossentropy(m.forward(&x), &y), model(&m));
        opt.update(&mut m, &g);
        std::hint::black_box(loss);
    });
    println!("w3_train_step {:.1} us", t * 1e6);

    let seed = Chain((
        Dense::<10, 5>::new(sigmoid),
        Dense::<5, 2>::new(identity),
        softmax,
    ))
    .to_device(&cuda);
    let x = Vector::<10>::ones().to_device(&cuda);
    let t = median(10, 100, || {
        let y = seed.forward(&x);
        std::hint::black_box(cuda_sync(&y));
    });
    println!("seed_forward {:.1} us", t * 1e6);
    let t = median(10, 100, || {
        let (loss, g) = value_and_gradient(|m| m.forward(&x).sum(), model(&seed));
        std::hint::black_box((loss, g));
    });
    println!("seed_gradient {:.1} us", t * 1e6);

    let start = Instant::now();
    sweep::<64>(&cuda);
    sweep::<128>(&cuda);
    println!("sweep_time {:.1} s", start.elapsed().as_secs_f64());
}
