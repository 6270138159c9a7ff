//! Reverse-mode gradient of `sum((x - y)²)` with respect to `x` and `y`, f32,
//! for n = 10 and n = 10⁶: typeflux's pullbacks composed at compile time
//! (`reverse::gradient` over `Vector<N>`) against a hand-written loop that
//! computes the same gradient, `(2(x − y), −2(x − y))`, into fresh vectors,
//! in the same run. At n = 10 the tape (`tape::gradient`, recorded scalar by
//! scalar) is measured too.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo bench --bench reverse -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use typeflux_ad::{reverse, tape};
use typeflux_core::prelude::*;

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

/// The gradient written out: one pass for each output, as a compiler
/// vectorises it.
fn by_hand(x: &[f32], y: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let gx: Vec<f32> = x.iter().zip(y).map(|(&a, &b)| 2.0 * (a - b)).collect();
    let gy: Vec<f32> = gx.iter().map(|&g| -g).collect();
    (gx, gy)
}

/// Criterion passes each result through `black_box` itself.
fn bench_n<const N: usize>(c: &mut Criterion) {
    let (a, b) = (values(N, 1), values(N, 2));
    let x = Vector::<N>::from_slice((Const,), &a).unwrap();
    let y = Vector::<N>::from_slice((Const,), &b).unwrap();
    let mut group = c.benchmark_group(format!("reverse_sum_sq_diff_f32_{N}"));
    // Read x and y, write both gradients.
    group.throughput(Throughput::BytesDecimal(4 * 4 * N as u64));
    group.bench_function(BenchmarkId::new("typeflux_reverse", N), |bench| {
        bench.iter(|| {
            reverse::gradient(
                |(x, y)| (x - y).square().sum(),
                (black_box(&x), black_box(&y)),
            )
        })
    });
    group.bench_function(BenchmarkId::new("hand_written", N), |bench| {
        bench.iter(|| by_hand(black_box(&a), black_box(&b)))
    });
    if N <= 10 {
        let xy: Vec<f32> = a.iter().chain(&b).copied().collect();
        group.bench_function(BenchmarkId::new("typeflux_tape", N), |bench| {
            bench.iter(|| {
                tape::gradient(
                    |v| {
                        let (x, y) = v.split_at(N);
                        x.iter().zip(y).map(|(&a, &b)| (a - b) * (a - b)).sum()
                    },
                    black_box(&xy),
                )
            })
        });
    }
    group.finish();
}

fn sum_sq_diff(c: &mut Criterion) {
    bench_n::<10>(c);
    bench_n::<1_000_000>(c);
}

criterion_group!(benches, sum_sq_diff);
criterion_main!(benches);
