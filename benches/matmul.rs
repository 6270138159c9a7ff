//! f32 matrix products through typeflux against the `gemm` crate called directly
//! and nalgebra's `DMatrix` product (matrixmultiply), in the same run.
//!
//! Throughput is counted as `2·n³` elements, so criterion's elements/s are FLOP/s.
//!
//! The `matmul_f32_tn` group times `aᵀ · b` (`t_matmul`), the product a
//! layer's pullback runs for its input gradient, against `gemm` given the
//! row-major operand directly and against `gemm` on a column-major copy made
//! beforehand (the same product without the transposition).
//!
//! The `fma_peak` group measures what the cores can do at all: independent
//! fused multiply-adds on registers, with the widest vectors the processor has
//! (AVX-512, else AVX2), on one thread and on two. A product's share of that
//! peak, in the same run, is how close it is to the machine's limit.
//!
//! ```text
//! cargo bench --bench matmul -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use std::hint::black_box;
use typeflux_benches::raw_gemm;
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
            bench.iter(|| {
                raw_gemm(
                    black_box(&mut out),
                    (n, n, n),
                    black_box(&a),
                    false,
                    black_box(&b),
                    false,
                )
            })
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

/// `(m, k, n)` of the transposed products: the 1024-wide training step's
/// input gradient, and two smaller ones.
const TN_SIZES: [(usize, usize, usize); 3] = [(1024, 1024, 256), (512, 512, 128), (256, 256, 64)];

fn matmul_tn(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul_f32_tn");
    for (m, k, n) in TN_SIZES {
        let name = format!("{m}x{k}x{n}");
        // `at` is stored `k × m`; `a` is its transpose, stored `m × k`.
        let (at, b) = (values(k * m, 3), values(k * n, 4));
        let a: Vec<f32> = (0..m * k).map(|x| at[x / m + (x % m) * k]).collect();
        group.throughput(Throughput::Elements(2 * (m * k * n) as u64));

        let tat = Tensor::<(usize, usize)>::from_slice((k, m), &at).unwrap();
        let tb = Tensor::<(usize, usize)>::from_slice((k, n), &b).unwrap();
        group.bench_function(BenchmarkId::new("typeflux t_matmul", &name), |bench| {
            bench.iter(|| black_box(black_box(&tat).t_matmul(black_box(&tb))))
        });

        let mut out = vec![0.0f32; m * n];
        group.bench_function(BenchmarkId::new("gemm, row-major lhs", &name), |bench| {
            bench.iter(|| {
                raw_gemm(
                    &mut out,
                    (m, k, n),
                    black_box(&at),
                    true,
                    black_box(&b),
                    false,
                )
            })
        });
        group.bench_function(
            BenchmarkId::new("gemm, column-major copy", &name),
            |bench| {
                bench.iter(|| {
                    raw_gemm(
                        &mut out,
                        (m, k, n),
                        black_box(&a),
                        false,
                        black_box(&b),
                        false,
                    )
                })
            },
        );
        let want = tat.t_matmul(&tb);
        raw_gemm(&mut out, (m, k, n), &a, false, &b, false);
        assert!(
            want.as_slice()
                .iter()
                .zip(&out)
                .all(|(x, y)| (x - y).abs() <= 1e-3),
            "typeflux and gemm agree on {name}"
        );
    }
    group.finish();
}

/// Multiply-adds per loop turn and lane: twelve independent accumulators,
/// enough to keep two FMA pipes busy through a four-cycle latency.
const CHAINS: usize = 12;
/// Loop turns per measured call.
const TURNS: usize = 100_000;

/// `TURNS` rounds of `CHAINS` independent 16-lane fused multiply-adds.
///
/// # Safety
/// The processor must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_turns_512(scale: f32) -> f32 {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_set1_ps(0.0); CHAINS];
    let (a, b) = (_mm512_set1_ps(scale), _mm512_set1_ps(1.0 - scale));
    for _ in 0..TURNS {
        for x in &mut acc {
            *x = _mm512_fmadd_ps(*x, a, b);
        }
    }
    acc.iter().map(|&x| _mm512_reduce_add_ps(x)).sum()
}

/// The same with 8-lane AVX2 vectors.
///
/// # Safety
/// The processor must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_turns_256(scale: f32) -> f32 {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_set1_ps(0.0); CHAINS];
    let (a, b) = (_mm256_set1_ps(scale), _mm256_set1_ps(1.0 - scale));
    for _ in 0..TURNS {
        for x in &mut acc {
            *x = _mm256_fmadd_ps(*x, a, b);
        }
    }
    let mut lanes = [0.0f32; 8];
    let mut total = 0.0;
    for x in acc {
        // SAFETY: `lanes` holds the 8 floats an unaligned store writes.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), x) };
        total += lanes.iter().sum::<f32>();
    }
    total
}

/// A loop of fused multiply-adds: the instruction set it uses, the loop, and
/// the floating-point operations one call does.
struct FmaLoop {
    isa: &'static str,
    turns: fn(f32) -> f32,
    flops: u64,
}

/// The widest fused multiply-add loop this processor runs; `None` without
/// FMA.
fn fma_turns() -> Option<FmaLoop> {
    #[cfg(target_arch = "x86_64")]
    {
        let flops = |lanes: usize| (2 * CHAINS * lanes * TURNS) as u64;
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was detected just above.
            return Some(FmaLoop {
                isa: "avx512",
                turns: |s| unsafe { fma_turns_512(s) },
                flops: flops(16),
            });
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: AVX2 and FMA were detected just above.
            return Some(FmaLoop {
                isa: "avx2",
                turns: |s| unsafe { fma_turns_256(s) },
                flops: flops(8),
            });
        }
    }
    None
}

fn fma_peak(c: &mut Criterion) {
    let Some(FmaLoop { isa, turns, flops }) = fma_turns() else {
        eprintln!("fma_peak: this processor has no fused multiply-add; skipped");
        return;
    };
    let mut group = c.benchmark_group(format!("fma_peak {isa}"));
    group.throughput(Throughput::Elements(flops));
    group.bench_function("1 thread", |bench| {
        bench.iter(|| black_box(turns(black_box(0.5))))
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    group.throughput(Throughput::Elements(2 * flops));
    group.bench_function("2 threads", |bench| {
        pool.install(|| {
            bench.iter(|| {
                black_box(rayon::join(
                    || turns(black_box(0.5)),
                    || turns(black_box(0.5)),
                ))
            })
        })
    });
    group.finish();
}

criterion_group!(benches, matmul, matmul_tn, fma_peak);
criterion_main!(benches);
