//! Hessian of Rosenbrock's function at x = 1.5 (f64) in 10 and 100
//! dimensions: typeflux's forward over reverse (`mixed::hessian`) against
//! num-dual's forward over forward in the same run.
//!
//! num-dual's stack-allocated numbers (`Dual2SVec64<N>`) are the baseline at
//! n = 10; at n = 100 one such number holds 10⁴ second derivatives and a
//! vector of them 8 MB, more than a thread's stack, so the baseline there is
//! the heap-allocated `Dual2DVec64`. The cost of one reverse-mode gradient
//! (`tape::gradient_array`) is measured alongside, as the unit a Hessian by
//! forward over reverse is a multiple of.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo bench --bench hessian -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nalgebra::{DVector, SVector};
use num_dual::DualNum;
use std::hint::black_box;
use typeflux_ad::{Real, mixed, tape};

fn rosenbrock<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    (0..N - 1)
        .map(|i| (x[i + 1] - x[i] * x[i]).powi(2) * 100.0 + (-x[i] + 1.0).powi(2))
        .sum()
}

/// The same function for num-dual's heap-allocated numbers, which are not
/// `Copy`.
fn rosenbrock_dyn<T: DualNum<Primitive = f64>>(x: DVector<T>) -> T {
    (0..x.len() - 1)
        .map(|i| {
            (x[i + 1].clone() - x[i].clone() * &x[i]).powi(2) * 100.0
                + (-x[i].clone() + 1.0).powi(2)
        })
        .sum()
}

/// Criterion passes each result through `black_box` itself; wrapping it again
/// would add a copy of the 80 kB Hessian at n = 100 to every measurement.
fn bench_n<const N: usize>(c: &mut Criterion, static_baseline: bool) {
    let x = SVector::<f64, N>::repeat(1.5);
    let mut group = c.benchmark_group(format!("rosenbrock_hessian_{N}"));
    if !static_baseline {
        // The heap-allocated baseline takes tens of milliseconds a call.
        group.sample_size(10);
    }
    group.bench_function(BenchmarkId::new("typeflux_mixed", N), |b| {
        b.iter(|| mixed::hessian(rosenbrock, black_box(x)))
    });
    group.bench_function(BenchmarkId::new("typeflux_tape_gradient", N), |b| {
        b.iter(|| tape::gradient_array(|x| rosenbrock(SVector::from(x)), black_box(x).into()))
    });
    if static_baseline {
        group.bench_function(BenchmarkId::new("num_dual_static", N), |b| {
            b.iter(|| num_dual::hessian(rosenbrock, &black_box(x)))
        });
    } else {
        let xd = DVector::from_column_slice(x.as_slice());
        group.bench_function(BenchmarkId::new("num_dual_dyn", N), |b| {
            b.iter(|| num_dual::hessian(rosenbrock_dyn, black_box(&xd)))
        });
    }
    group.finish();
}

fn hessian(c: &mut Criterion) {
    bench_n::<10>(c, true);
    bench_n::<100>(c, false);
}

criterion_group!(benches, hessian);
criterion_main!(benches);
