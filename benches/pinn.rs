//! The training step of `examples/pinn.rs` on one thread: the loss holds the
//! network's second derivative in its input (forward mode on `Dual2<f64>`),
//! and reverse mode differentiates it with respect to the `f64` weights;
//! Adam updates them. Against, in the same run, the step's forward pass
//! alone (the loss on `Dual2` numbers, no gradient): the ratio is what the
//! backward pass and the update add. The JAX step of the same problem is
//! `benches/peers/jax_pinn.py`.
//!
//! ```text
//! cargo bench --bench pinn -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use std::f64::consts::PI;
use std::hint::black_box;
use typeflux::num_dual::Dual2_64;
use typeflux::prelude::*;

const H: usize = 20;
const POINTS: usize = 64;

type Net = Chain<(
    Dense<1, H, Tanh, f64>,
    Dense<H, H, Tanh, f64>,
    Dense<H, 1, Identity, f64>,
)>;

fn pinn_step(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    typeflux::nn::init::seed(7);
    let mut net: Net = Chain((Dense::new(tanh), Dense::new(tanh), Dense::new(identity)));
    let x = Matrix::<1, POINTS, f64>::from_fn((Const, Const), |[_, j]| {
        (j as f64 + 0.5) / POINTS as f64
    });
    let seeded = x.map(|x| Dual2_64::from_re(x).derivative());
    let trial = seeded.map(|x| x * (-x + 1.0));
    let source = x.map(|x| PI * PI * (PI * x).sin());
    let mut opt = Adam::new(1e-3).setup(&net);

    let mut group = c.benchmark_group("pinn step 1-20-20-1, 64 points, 1 thread");
    group.bench_function("typeflux, gradient and Adam", |b| {
        pool.install(|| {
            b.iter(|| {
                let (loss, grad) = value_and_gradient(
                    |m| {
                        let u = m.cast::<Dual2_64>().forward(black_box(&seeded)) * &trial;
                        (u.part(2) + &source).mean_squares()
                    },
                    model(&net),
                );
                opt.update(&mut net, &grad);
                loss
            })
        })
    });
    group.bench_function("forward pass alone", |b| {
        pool.install(|| {
            b.iter(|| {
                let u = net.cast::<Dual2_64>().forward(black_box(&seeded)) * &trial;
                (&u.part(2) + &source).square().mean()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, pinn_step);
criterion_main!(benches);
