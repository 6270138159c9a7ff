//! Forward-mode derivatives through typeflux against num-dual called directly,
//! in the same run: typeflux's forward mode is a thin layer over num-dual, so
//! the two should take the same time.
//!
//! ```text
//! cargo bench --bench forward -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::SVector;
use std::hint::black_box;
use typeflux_ad::Real;
use typeflux_ad::{forward_gradient, forward_hessian, jacobian};

/// The seed's `f(x) = 3x² + 2x + 1`.
fn seed<T: Real>(x: T) -> T {
    x * x * 3.0 + x * 2.0 + 1.0
}

fn rosenbrock<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    (0..N - 1)
        .map(|i| (x[i + 1] - x[i] * x[i]).powi(2) * 100.0 + (-x[i] + 1.0).powi(2))
        .sum()
}

fn seed_second_derivative(c: &mut Criterion) {
    let mut group = c.benchmark_group("seed second derivative");
    group.bench_function("typeflux", |b| {
        b.iter(|| typeflux_ad::second_derivative(seed, black_box(2.0)))
    });
    group.bench_function("num-dual", |b| {
        b.iter(|| num_dual::second_derivative(seed, black_box(2.0)))
    });
    group.finish();
}

fn rosenbrock_hessian(c: &mut Criterion) {
    let x = SVector::<f64, 10>::repeat(1.5);
    let mut group = c.benchmark_group("rosenbrock hessian n=10");
    group.bench_function("typeflux hessian (Dual2Vec)", |b| {
        b.iter(|| forward_hessian(rosenbrock, black_box(x)))
    });
    group.bench_function("num-dual hessian (Dual2Vec)", |b| {
        b.iter(|| num_dual::hessian(rosenbrock, &black_box(x)))
    });
    group.bench_function("typeflux jacobian of gradient (DualVec of DualVec)", |b| {
        b.iter(|| jacobian(|x| forward_gradient(rosenbrock, x).1, black_box(x)))
    });
    group.finish();
}

criterion_group!(benches, seed_second_derivative, rosenbrock_hessian);
criterion_main!(benches);
