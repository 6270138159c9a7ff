//! Layers and training steps, each against a baseline measured in the same run.
//!
//! - The seed's `Chain(Dense(10 => 5, σ), Dense(5 => 2), softmax)` on one
//!   `Vector<10>`, with the sum of squared errors against a target: forward
//!   alone, and forward and backward to every parameter, on the `Cpu` and on
//!   the `Stack` device (the model moved there with `to_device`), against the
//!   same computation written by hand on fixed-size arrays.
//! - A training step (forward, `logitcrossentropy`, gradient, gradient
//!   descent; no gradient for the input batch) of `784 => 128 relu => 10` at
//!   batch 64 on one core, and of `1024 => 1024 relu => 1024 relu => 10` at
//!   batch 256 on two, against the same step's matrix products alone, called
//!   straight on the `gemm` crate; each also with the update folded into the
//!   backward pass (`Descent::step`), and with the products' arithmetic run
//!   as fused multiply-adds on registers (`fma_peak`), the cores' ceiling
//!   in the same run.
//! - The `784 => 128 => 10` step with Adam, and with AdamW behind
//!   `ClipNorm(1.0)`: what the richer optimiser costs.
//!
//! ```text
//! cargo bench --bench nn -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use typeflux::prelude::*;
use typeflux::rand::SeedableRng;
use typeflux::rand::rngs::StdRng;
use typeflux_benches::{Products, fma_peak, mlp_1024 as model_1024};

/// The seed's model written by hand: `W1` is 5 × 10 (row `i` holds the
/// weights into hidden unit `i`), `W2` is 2 × 5.
#[derive(Clone, Debug, Default)]
struct Hand {
    w1: [[f32; 10]; 5],
    b1: [f32; 5],
    w2: [[f32; 5]; 2],
    b2: [f32; 2],
}

impl Hand {
    /// The same parameters as the typeflux model (column-major `O × I`).
    fn from_model(model: &SeedModel) -> Self {
        let Chain((d1, d2, _)) = model;
        let mut hand = Hand::default();
        for (i, row) in hand.w1.iter_mut().enumerate() {
            for (j, w) in row.iter_mut().enumerate() {
                *w = d1.weight[[i, j]];
            }
        }
        for (i, row) in hand.w2.iter_mut().enumerate() {
            for (j, w) in row.iter_mut().enumerate() {
                *w = d2.weight[[i, j]];
            }
        }
        hand.b1
            .copy_from_slice(d1.bias.as_ref().unwrap().as_slice());
        hand.b2
            .copy_from_slice(d2.bias.as_ref().unwrap().as_slice());
        hand
    }

    /// The hidden activations and the softmax output.
    #[inline(always)]
    fn forward(&self, x: &[f32; 10]) -> ([f32; 5], [f32; 2]) {
        let mut h = [0.0f32; 5];
        for ((h, row), b) in h.iter_mut().zip(&self.w1).zip(&self.b1) {
            let z = row.iter().zip(x).fold(*b, |acc, (w, x)| acc + w * x);
            *h = 1.0 / (1.0 + (-z).exp());
        }
        let mut z = [0.0f32; 2];
        for ((z, row), b) in z.iter_mut().zip(&self.w2).zip(&self.b2) {
            *z = row.iter().zip(&h).fold(*b, |acc, (w, h)| acc + w * h);
        }
        let max = z[0].max(z[1]);
        let e = z.map(|z| (z - max).exp());
        let sum = e[0] + e[1];
        (h, e.map(|e| e / sum))
    }

    /// `Σ (p - t)²`.
    #[inline(always)]
    fn loss(&self, x: &[f32; 10], t: &[f32; 2]) -> f32 {
        let (_, p) = self.forward(x);
        p.iter().zip(t).map(|(p, t)| (p - t) * (p - t)).sum()
    }

    /// The loss and its gradient with respect to every parameter.
    #[inline(always)]
    fn loss_and_gradient(&self, x: &[f32; 10], t: &[f32; 2]) -> (f32, Hand) {
        let (h, p) = self.forward(x);
        let mut loss = 0.0;
        let mut dp = [0.0f32; 2];
        for ((dp, p), t) in dp.iter_mut().zip(&p).zip(t) {
            loss += (p - t) * (p - t);
            *dp = 2.0 * (p - t);
        }
        // softmax: dz = p ⊙ (dp - ⟨p, dp⟩)
        let inner = p[0] * dp[0] + p[1] * dp[1];
        let dz2 = [p[0] * (dp[0] - inner), p[1] * (dp[1] - inner)];
        let mut grad = Hand {
            b2: dz2,
            ..Hand::default()
        };
        let mut dh = [0.0f32; 5];
        for (i, row) in grad.w2.iter_mut().enumerate() {
            for (j, w) in row.iter_mut().enumerate() {
                *w = dz2[i] * h[j];
                dh[j] += self.w2[i][j] * dz2[i];
            }
        }
        // σ' = h (1 - h)
        for i in 0..5 {
            let dz1 = dh[i] * h[i] * (1.0 - h[i]);
            grad.b1[i] = dz1;
            for (w, x) in grad.w1[i].iter_mut().zip(x) {
                *w = dz1 * x;
            }
        }
        (loss, grad)
    }
}

type SeedModel<D = Cpu> = Chain<(
    Dense<10, 5, Sigmoid, f32, D>,
    Dense<5, 2, Identity, f32, D>,
    Softmax,
)>;

/// The sum of squared errors.
const SSE: Mse = Mse::new().agg(Aggregate::Sum);

/// Forward and backward through typeflux: the loss and the model's gradient,
/// by `gradient` of the model.
#[inline(always)]
fn typeflux_gradient<D: Host + Kernels<f32>>(
    seed: &SeedModel<D>,
    x: &Vector<10, f32, D>,
    t: &Vector<2, f32, D>,
) -> (f32, SeedModel<D>) {
    value_and_gradient(|m| SSE.loss(m.forward(x), t), model(seed))
}

/// Checks that the two gradients agree before anything is timed.
fn check_same_gradient(model: &SeedModel, hand: &Hand, x: &Vector<10>, t: &Vector<2>) {
    let xs: [f32; 10] = x.as_slice().try_into().unwrap();
    let ts: [f32; 2] = t.as_slice().try_into().unwrap();
    let (loss, grad) = typeflux_gradient(model, x, t);
    let (hand_loss, hand_grad) = hand.loss_and_gradient(&xs, &ts);
    let close = |a: f32, b: f32| (a - b).abs() <= 1e-6 + 1e-4 * b.abs();
    assert!(close(loss, hand_loss), "loss {loss} against {hand_loss}");
    assert!(close(
        SSE.loss(model.forward(x), t).item(),
        hand.loss(&xs, &ts)
    ));
    let from_typeflux = Hand::from_model(&grad);
    let pairs = [
        (from_typeflux.w1.as_flattened(), hand_grad.w1.as_flattened()),
        (&from_typeflux.b1[..], &hand_grad.b1[..]),
        (from_typeflux.w2.as_flattened(), hand_grad.w2.as_flattened()),
        (&from_typeflux.b2[..], &hand_grad.b2[..]),
    ];
    for (a, b) in pairs {
        for (a, b) in a.iter().zip(b) {
            assert!(close(*a, *b), "gradients differ: {a} against {b}");
        }
    }
    assert!(hand_grad.w1.as_flattened().iter().any(|g| g.abs() > 1e-6));
}

fn seed_chain(c: &mut Criterion) {
    typeflux::nn::init::seed(1);
    let mut rng = StdRng::seed_from_u64(1);
    let model: SeedModel = Chain((
        Dense::new(sigmoid).bias(Vector::randn(&mut rng)),
        Dense::new(identity).bias(Vector::randn(&mut rng)),
        softmax,
    ));
    let hand = Hand::from_model(&model);
    let x = Vector::<10>::rand(&mut rng);
    let t = Vector::<2>::from_array([1.0, 0.0]);
    check_same_gradient(&model, &hand, &x, &t);
    let xs: [f32; 10] = x.as_slice().try_into().unwrap();
    let ts: [f32; 2] = t.as_slice().try_into().unwrap();

    let on_stack: SeedModel<Stack> = model.to_device(&Stack);
    let (xs_stack, ts_stack) = (x.to_device(&Stack), t.to_device(&Stack));
    let (loss, grad) = typeflux_gradient(&on_stack, &xs_stack, &ts_stack);
    let (cpu_loss, cpu_grad) = typeflux_gradient(&model, &x, &t);
    assert_eq!(loss, cpu_loss);
    assert_eq!(grad.to_device(&Cpu).0.0.weight, cpu_grad.0.0.weight);

    let mut group = c.benchmark_group("seed chain forward");
    group.bench_function("typeflux", |b| {
        b.iter(|| SSE.loss(black_box(&model).forward(black_box(&x)), black_box(&t)))
    });
    group.bench_function("typeflux on Stack", |b| {
        b.iter(|| {
            SSE.loss(
                black_box(&on_stack).forward(black_box(&xs_stack)),
                black_box(&ts_stack),
            )
        })
    });
    group.bench_function("hand-written arrays", |b| {
        b.iter(|| black_box(&hand).loss(black_box(&xs), black_box(&ts)))
    });
    group.finish();

    let mut group = c.benchmark_group("seed chain forward+backward");
    group.bench_function("typeflux", |b| {
        b.iter(|| typeflux_gradient(black_box(&model), black_box(&x), black_box(&t)))
    });
    group.bench_function("typeflux on Stack", |b| {
        b.iter(|| {
            typeflux_gradient(
                black_box(&on_stack),
                black_box(&xs_stack),
                black_box(&ts_stack),
            )
        })
    });
    group.bench_function("hand-written arrays", |b| {
        b.iter(|| black_box(&hand).loss_and_gradient(black_box(&xs), black_box(&ts)))
    });
    group.finish();
}

/// One training step of the model `$m` on the batch `$x` with one-hot
/// targets `$y`: `gradient` of the model, then `$opt`'s update (plain
/// gradient descent).
macro_rules! train_step {
    ($m:expr, $opt:expr, $x:expr, $y:expr) => {{
        let (loss, grad) =
            value_and_gradient(|m| logitcrossentropy(m.forward($x), $y), model(&*$m));
        $opt.update($m, &grad);
        loss
    }};
}

/// The same step with the update folded into the backward pass
/// (`Descent::step`).
macro_rules! fused_step {
    ($m:expr, $descent:expr, $x:expr, $y:expr) => {
        $descent.step($m, |m| logitcrossentropy(m.forward($x), $y))
    };
}

const IN: usize = 784;

fn mlp_784(c: &mut Criterion) {
    const BATCH: usize = 64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut rng = StdRng::seed_from_u64(2);
    typeflux::nn::init::seed(2);
    let mut model = Chain((Dense::<IN, 128>::new(relu), Dense::<128, 10>::new(identity)));
    let x = Batch::<IN>::rand_with((Const, BATCH), &mut rng);
    let y = Batch::<10>::from_fn((Const, BATCH), |[row, column]| {
        f32::from(u8::from(row == column % 10))
    });
    let mut opt = Descent::new(0.01).setup(&model);
    let mut products = Products::new(&[IN, 128, 10], BATCH);

    let mut group = c.benchmark_group("train step 784-128-10 batch 64, 1 thread");
    group.bench_function("typeflux", |b| {
        pool.install(|| b.iter(|| train_step!(&mut model, opt, black_box(&x), black_box(&y))))
    });
    let descent = Descent::new(0.01);
    group.bench_function("typeflux, descent in the backward pass", |b| {
        pool.install(|| b.iter(|| fused_step!(&mut model, descent, black_box(&x), black_box(&y))))
    });
    group.bench_function("gemm products alone", |b| {
        pool.install(|| b.iter(|| products.run()))
    });
    let flops = products.flops();
    group.bench_function("FMA ceiling for the products' operations", |b| {
        pool.install(|| b.iter_custom(|iters| ceiling(iters, flops)))
    });
    group.finish();
}

/// The cost of a richer optimiser on the W2 step: Adam, against AdamW
/// behind `ClipNorm(1.0)` (`OptimiserChain((ClipNorm::new(1.0),
/// AdamW::default()))`, as Optimisers.jl writes it), which adds a pass over the gradient for its norm and one to
/// scale it.
fn mlp_784_optimisers(c: &mut Criterion) {
    const BATCH: usize = 64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut rng = StdRng::seed_from_u64(2);
    typeflux::nn::init::seed(2);
    let mut model = Chain((Dense::<IN, 128>::new(relu), Dense::<128, 10>::new(identity)));
    let x = Batch::<IN>::rand_with((Const, BATCH), &mut rng);
    let y = Batch::<10>::from_fn((Const, BATCH), |[row, column]| {
        f32::from(u8::from(row == column % 10))
    });
    let mut adam = Adam::new(1e-3).setup(&model);
    let mut clipped = OptimiserChain((ClipNorm::new(1.0), AdamW::default())).setup(&model);

    let mut group = c.benchmark_group("train step 784-128-10 batch 64, 1 thread, optimisers");
    group.bench_function("Adam", |b| {
        pool.install(|| b.iter(|| train_step!(&mut model, adam, black_box(&x), black_box(&y))))
    });
    group.bench_function("OptimiserChain(ClipNorm(1.0), AdamW)", |b| {
        pool.install(|| b.iter(|| train_step!(&mut model, clipped, black_box(&x), black_box(&y))))
    });
    group.finish();
}

fn mlp_1024(c: &mut Criterion) {
    const BATCH: usize = 256;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let (mut model, x, y) = model_1024(BATCH);
    let mut opt = Descent::new(0.01).setup(&model);
    let mut products = Products::new(&[1024, 1024, 1024, 10], BATCH);

    let mut group = c.benchmark_group("train step 1024-1024-1024-10 batch 256, 2 threads");
    group.sample_size(20);
    group.bench_function("typeflux", |b| {
        pool.install(|| b.iter(|| train_step!(&mut model, opt, black_box(&x), black_box(&y))))
    });
    let descent = Descent::new(0.01);
    group.bench_function("typeflux, descent in the backward pass", |b| {
        pool.install(|| b.iter(|| fused_step!(&mut model, descent, black_box(&x), black_box(&y))))
    });
    group.bench_function("gemm products alone", |b| {
        pool.install(|| b.iter(|| products.run()))
    });
    let flops = products.flops();
    group.bench_function("FMA ceiling for the products' operations", |b| {
        pool.install(|| b.iter_custom(|iters| ceiling(iters, flops)))
    });
    group.finish();
}

/// `iters` runs of [`fma_peak`] for `flops` operations on the current pool,
/// in total: what the cores could do at best for the products' arithmetic
/// in the same run.
fn ceiling(iters: u64, flops: f64) -> Duration {
    (0..iters)
        .map(|_| Duration::from_secs_f64(fma_peak(flops)))
        .sum()
}

criterion_group!(benches, seed_chain, mlp_784, mlp_784_optimisers, mlp_1024);
criterion_main!(benches);
