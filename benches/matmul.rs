//! f32 matrix products through typeflux against the `gemm` crate called directly
//! and nalgebra's `DMatrix` product (matrixmultiply), in the same run.
//!
//! Throughput is counted as `2·n³` elements, so criterion's elements/s are FLOP/s.
//!
//! ```text
//! cargo bench --bench matmul -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use std::hint::black_box;
use typeflux_core::prelude::*;

const SIZES: [usize; 4] = [16, 64, 256, 1024];

/// Deterministic values in [-1, 1), the same for every contender.
fn values(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

/// `c = a · b`, column-major `n × n`, through `gemm` with the parallelism a
/// caller who knows the crate would choose.
fn gemm_direct(n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    assert!(a.len() == n * n && b.len() == n * n && c.len() == n * n);
    // SAFETY: all three slices hold n·n elements, column-major with column
    // stride n, and `c` is borrowed mutably so it aliases neither input.
    unsafe {
        gemm::gemm(
            n,
            n,
            n,
            c.as_mut_ptr(),
            n as isize,
            1,
            false,
            a.as_ptr(),
            n as isize,
            1,
            b.as_ptr(),
            n as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(0),
        );
    }
}

fn matmul(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul_f32");
    for n in SIZES {
        let (a, b) = (values(n * n, 1), values(n * n, 2));
        group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));

        let ta = Tensor::<(usize, usize)>::from_slice((n, n), &a).unwrap();
        let tb = Tensor::<(usize, usize)>::from_slice((n, n), &b).unwrap();
        group.bench_function(BenchmarkId::new("typeflux", n), |bench| {
            bench.iter(|| black_box(black_box(&ta).matmul(black_box(&tb))))
        });

        let mut out = vec![0.0f32; n * n];
        group.bench_function(BenchmarkId::new("gemm", n), |bench| {
            bench.iter(|| gemm_direct(n, black_box(&a), black_box(&b), black_box(&mut out)))
        });

        let (na, nb) = (
            DMatrix::from_vec(n, n, a.clone()),
            DMatrix::from_vec(n, n, b.clone()),
        );
        group.bench_function(BenchmarkId::new("nalgebra", n), |bench| {
            bench.iter(|| black_box(black_box(&na) * black_box(&nb)))
        });
    }
    group.finish();
}

criterion_group!(benches, matmul);
criterion_main!(benches);
