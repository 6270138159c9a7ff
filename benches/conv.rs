//! A LeNet-5-sized training step, against its matrix products alone in the
//! same run.
//!
//! The model takes 28 × 28 × 1 images at batch 64:
//! `Conv((5, 5), 1 => 6, relu; pad = 2)`, `MaxPool((2, 2))`,
//! `Conv((5, 5), 6 => 16, relu)`, `MaxPool((2, 2))`, `flatten` (400
//! features), `Dense(400 => 120, relu)`, `Dense(120 => 84, relu)`,
//! `Dense(84 => 10)`; the step is `logitcrossentropy`, the gradient of every
//! parameter (none for the images) and a gradient-descent update, on one
//! thread. The baseline is the step's products as the im2col lowering
//! forms them, called straight on the `gemm` crate: what remains of the
//! step's time is im2col, col2im, pooling, the elementwise passes and the
//! update. `benches/peers/jax_conv.py` is the same step in JAX.
//!
//! ```text
//! cargo bench --bench conv -- --warm-up-time 1 --measurement-time 5
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use typeflux::prelude::*;
use typeflux::rand::SeedableRng;
use typeflux::rand::rngs::StdRng;
use typeflux_benches::raw_gemm;

const BATCH: usize = 64;

type LeNet = Chain<(
    Conv<5, 5, 1, 6, Relu, Geometry<1, Pad<2>>>,
    MaxPool<2, 2>,
    Conv<5, 5, 6, 16, Relu>,
    MaxPool<2, 2>,
    Flatten,
    Dense<400, 120, Relu>,
    Dense<120, 84, Relu>,
    Dense<84, 10>,
)>;

/// The same model whose convolutions read their kernels as stored
/// (`CrossCor`, PyTorch's and JAX's convolution), to show what flipping
/// costs.
type LeNetCrossCor = Chain<(
    CrossCor<5, 5, 1, 6, Relu, Geometry<1, Pad<2>>>,
    MaxPool<2, 2>,
    CrossCor<5, 5, 6, 16, Relu>,
    MaxPool<2, 2>,
    Flatten,
    Dense<400, 120, Relu>,
    Dense<120, 84, Relu>,
    Dense<84, 10>,
)>;

fn lenet_crosscor() -> LeNetCrossCor {
    typeflux::nn::init::seed(5);
    Chain((
        CrossCor::new(relu).pad::<2>(),
        MaxPool::new(),
        CrossCor::new(relu),
        MaxPool::new(),
        Flatten::new(),
        Dense::new(relu),
        Dense::new(relu),
        Dense::new(identity),
    ))
}

fn lenet() -> LeNet {
    typeflux::nn::init::seed(5);
    Chain((
        Conv::new(relu).pad::<2>(),
        MaxPool::new(),
        Conv::new(relu),
        MaxPool::new(),
        Flatten::new(),
        Dense::new(relu),
        Dense::new(relu),
        Dense::new(identity),
    ))
}

/// `(m, k, n, a transposed, b transposed)` of each product of the step.
const PRODUCTS: [(usize, usize, usize, bool, bool); 13] = [
    // conv 1: zᵀ = Wᵀ·cols, W̄ = cols·δ (no input gradient)
    (6, 25, 28 * 28 * BATCH, true, false),
    (25, 28 * 28 * BATCH, 6, false, true),
    // conv 2: forward, W̄, cols̄ = W·δᵀ
    (16, 150, 10 * 10 * BATCH, true, false),
    (150, 10 * 10 * BATCH, 16, false, true),
    (150, 16, 10 * 10 * BATCH, false, false),
    // dense layers: W·x, δ·xᵀ, Wᵀ·δ
    (120, 400, BATCH, false, false),
    (84, 120, BATCH, false, false),
    (10, 84, BATCH, false, false),
    (120, BATCH, 400, false, true),
    (84, BATCH, 120, false, true),
    (10, BATCH, 84, false, true),
    (400, 120, BATCH, true, false),
    (120, 84, BATCH, true, false),
];

fn lenet_step(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let mut net = lenet();
    let x = Tensor::<(Const<28>, Const<28>, Const<1>, usize)>::rand_with(
        (Const, Const, Const, BATCH),
        &mut rng,
    );
    let y = Batch::<10>::from_fn((Const, BATCH), |[row, column]| {
        f32::from(u8::from(row == column % 10))
    });
    let mut opt = Descent::new(0.01).setup(&net);

    let mut group = c.benchmark_group("LeNet-5 train step 28x28x1 batch 64, 1 thread");
    group.sample_size(20);
    group.bench_function("typeflux", |b| {
        pool.install(|| {
            b.iter(|| {
                let (loss, grad) = value_and_gradient(
                    |m| logitcrossentropy(m.forward(black_box(&x)), black_box(&y)),
                    model(&net),
                );
                opt.update(&mut net, &grad);
                loss
            })
        })
    });
    let mut crosscor = lenet_crosscor();
    let mut crosscor_opt = Descent::new(0.01).setup(&crosscor);
    group.bench_function("typeflux, CrossCor", |b| {
        pool.install(|| {
            b.iter(|| {
                let (loss, grad) = value_and_gradient(
                    |m| logitcrossentropy(m.forward(black_box(&x)), black_box(&y)),
                    model(&crosscor),
                );
                crosscor_opt.update(&mut crosscor, &grad);
                loss
            })
        })
    });
    let descent = Descent::new(0.01);
    group.bench_function("typeflux, descent in the backward pass", |b| {
        pool.install(|| {
            b.iter(|| {
                descent.step(&mut net, |m| {
                    logitcrossentropy(m.forward(black_box(&x)), black_box(&y))
                })
            })
        })
    });
    let buffers: Vec<_> = PRODUCTS
        .iter()
        .map(|&(m, k, n, _, _)| {
            (
                vec![0.5f32; m * k],
                vec![0.25f32; k * n],
                vec![0.0f32; m * n],
            )
        })
        .collect();
    let mut buffers = buffers;
    group.bench_function("gemm products alone", |b| {
        pool.install(|| {
            b.iter(|| {
                for (&(m, k, n, a_t, b_t), (a, bb, c)) in PRODUCTS.iter().zip(&mut buffers) {
                    raw_gemm(c, (m, k, n), a, a_t, bb, b_t);
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, lenet_step);
criterion_main!(benches);
