//! Elementwise kernels on 1M f32 elements through typeflux against plain Rust
//! over a `Vec`, in the same run.
//!
//! Throughput is the bytes an operation must move (inputs read plus output
//! written), so criterion's GB/s compare directly with `copy`, a
//! `copy_from_slice` between two buffers of the same size: the bandwidth a
//! one-in, one-out stream reaches on this machine. 1M f32 is 4 MB per buffer,
//! which stays in a 32 MB L3.
//!
//! ```text
//! cargo bench --bench elementwise -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use typeflux_core::prelude::*;

const LEN: usize = 1 << 20;
const BUFFER: u64 = (LEN * size_of::<f32>()) as u64;

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

fn elementwise(c: &mut Criterion) {
    let (a, b) = (values(LEN, 1), values(LEN, 2));
    let ta = Tensor::<(usize,)>::from_slice((LEN,), &a).unwrap();
    let tb = Tensor::<(usize,)>::from_slice((LEN,), &b).unwrap();
    let mut group = c.benchmark_group("elementwise_f32_1M");

    // One buffer read, one written.
    group.throughput(Throughput::BytesDecimal(2 * BUFFER));
    let mut out = vec![0.0f32; LEN];
    group.bench_function(BenchmarkId::new("copy", "vec"), |bench| {
        bench.iter(|| out.copy_from_slice(black_box(&a)))
    });

    group.bench_function(BenchmarkId::new("map", "typeflux"), |bench| {
        bench.iter(|| black_box(&ta).map(|x| x * 0.5 + 1.0))
    });
    group.bench_function(BenchmarkId::new("map", "vec"), |bench| {
        bench.iter(|| {
            black_box(&a)
                .iter()
                .map(|&x| x * 0.5 + 1.0)
                .collect::<Vec<f32>>()
        })
    });

    group.bench_function(BenchmarkId::new("scalar_mul", "typeflux"), |bench| {
        bench.iter(|| black_box(&ta) * 3.0)
    });
    group.bench_function(BenchmarkId::new("scalar_mul", "vec"), |bench| {
        bench.iter(|| black_box(&a).iter().map(|&x| x * 3.0).collect::<Vec<f32>>())
    });

    // In place, as an optimiser step: no allocation. Multiplying by -1 keeps
    // the values finite and normal however many times it runs.
    let mut tc = ta.clone();
    group.bench_function(BenchmarkId::new("scalar_mul_assign", "typeflux"), |bench| {
        bench.iter(|| tc *= black_box(-1.0))
    });
    let mut v = a.clone();
    group.bench_function(BenchmarkId::new("scalar_mul_assign", "vec"), |bench| {
        bench.iter(|| {
            let s = black_box(-1.0f32);
            v.iter_mut().for_each(|x| *x *= s)
        })
    });

    // Two buffers read, one written.
    group.throughput(Throughput::BytesDecimal(3 * BUFFER));
    group.bench_function(BenchmarkId::new("add", "typeflux"), |bench| {
        bench.iter(|| black_box(&ta) + black_box(&tb))
    });
    group.bench_function(BenchmarkId::new("add", "vec"), |bench| {
        bench.iter(|| {
            black_box(&a)
                .iter()
                .zip(black_box(&b))
                .map(|(&x, &y)| x + y)
                .collect::<Vec<f32>>()
        })
    });
    group.finish();
}

criterion_group!(benches, elementwise);
criterion_main!(benches);
