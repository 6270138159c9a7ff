//! Products, transposes, concatenations, reductions and the softmax family
//! on the interpreted GPU against the CPU, on random small shapes: odd
//! sizes, sizes that no tile divides, empty ones, run-time sizes and sizes
//! the types fix.

mod common;

use common::suite::{check_product, check_softmax};
use common::{agree, both, host, identical, random};
use proptest::prelude::*;
use typeflux_core::{Const, Cpu, Device, Kernels, UnaryOp};
use typeflux_ptx_interp::device;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn products_of_every_transpose_match_the_cpu(
        m in 1usize..70, k in 0usize..40, n in 1usize..70,
        at: bool, bt: bool, double: bool, seed in 0u64..1000,
    ) {
        let gpu = device();
                if double {
            check_product::<_, (usize, usize), (usize, usize), f64>(&gpu, (m, k, n), at, bt, seed);
        } else {
            check_product::<_, (usize, usize), (usize, usize), f32>(&gpu, (m, k, n), at, bt, seed);
        }
    }

    #[test]
    fn transposes_and_concatenations_match_the_cpu(
        rows in 0usize..80, cols in 0usize..80, more in 0usize..9, seed in 0u64..1000,
    ) {
        let gpu = device();
        let a: Vec<f32> = random(seed, rows * cols, 3.0);
        let (ga, ca) = both::<_, (usize, usize), f32>(&gpu, &a);
        identical(
            &host::<_, (usize, usize), f32>(&gpu, &gpu.transpose::<(usize, usize), (usize, usize)>(&ga, rows, cols)),
            &Cpu.download::<(usize, usize), f32>(&Cpu.transpose::<(usize, usize), (usize, usize)>(&ca, rows, cols)),
            "transpose",
        );
        let b: Vec<f32> = random(seed + 1, more * cols, 3.0);
        let (gb, cb) = both::<_, (usize, usize), f32>(&gpu, &b);
        identical(
            &host::<_, (usize, usize), f32>(
                &gpu,
                &gpu.concat_rows::<(usize, usize), (usize, usize), (usize, usize)>(&ga, rows, &gb, more, cols),
            ),
            &Cpu.download::<(usize, usize), f32>(
                &Cpu.concat_rows::<(usize, usize), (usize, usize), (usize, usize)>(&ca, rows, &cb, more, cols),
            ),
            "concat",
        );
    }

    #[test]
    fn reductions_match_the_cpu(
        rows in 1usize..60, cols in 1usize..300, seed in 0u64..1000, nan_first: bool, nan_later: bool,
    ) {
        let gpu = device();
        let mut a: Vec<f64> = random(seed, rows * cols, 5.0);
        // Maxima keep a NaN only where it comes first, as on the CPU.
        if nan_first { a[0] = f64::NAN; }
        let middle = a.len() / 2 + 1;
        if nan_later && a.len() > 3 { a[middle] = f64::NAN; }
        let (g, c) = both::<_, (usize, usize), f64>(&gpu, &a);
        type S = (usize, usize);
        let sums = |x: f64, y: f64| agree(&[x], &[y], 4.0 * a.len() as f64, 1.0, "sum");
        sums(gpu.sum::<S>(&g), Cpu.sum::<S>(&c));
        sums(gpu.sum_of::<S>(UnaryOp::Square, &g), Cpu.sum_of::<S>(UnaryOp::Square, &c));
        sums(gpu.sum_of::<S>(UnaryOp::Abs, &g), Cpu.sum_of::<S>(UnaryOp::Abs, &c));
        identical(&[gpu.max::<S>(&g).unwrap()], &[Cpu.max::<S>(&c).unwrap()], "max");
        for axis in [0, 1] {
            identical(
                &host::<_, S, f64>(&gpu, &gpu.sum_axis::<S, S>(&g, rows, cols, axis)),
                &Cpu.download::<S, f64>(&Cpu.sum_axis::<S, S>(&c, rows, cols, axis)),
                "sum along an axis",
            );
            identical(
                &host::<_, S, f64>(&gpu, &gpu.max_axis::<S, S>(&g, rows, cols, axis)),
                &Cpu.download::<S, f64>(&Cpu.max_axis::<S, S>(&c, rows, cols, axis)),
                "max along an axis",
            );
        }
    }

    #[test]
    fn softmax_its_pullback_and_cross_entropy_match_the_cpu(
        rows in 1usize..20, cols in 1usize..50, seed in 0u64..1000, log: bool, double: bool,
    ) {
        let gpu = device();
        if double {
            check_softmax::<_, (usize, usize), f64>(&gpu, rows, cols, seed, log);
        } else {
            check_softmax::<_, (usize, usize), f32>(&gpu, rows, cols, seed, log);
        }
    }
}

#[test]
fn sizes_the_types_fix_are_built_into_the_kernels() {
    let gpu = device();
    // Tiles of 32 and 64 do not divide 33, 17 or 70; 64 and 128 do.
    check_product::<_, (Const<33>, Const<17>), (Const<17>, usize), f32>(
        &gpu,
        (33, 17, 45),
        false,
        false,
        1,
    );
    check_product::<_, (Const<17>, Const<33>), (usize, Const<17>), f64>(
        &gpu,
        (33, 17, 45),
        true,
        true,
        2,
    );
    check_product::<_, (Const<64>, Const<128>), (Const<128>, Const<64>), f32>(
        &gpu,
        (64, 128, 64),
        false,
        false,
        3,
    );
    check_product::<_, (Const<70>, Const<9>), (Const<9>, usize), f64>(
        &gpu,
        (70, 9, 70),
        false,
        false,
        4,
    );
    check_softmax::<_, (Const<10>, usize), f32>(&gpu, 10, 37, 5, true);
    check_softmax::<_, (Const<3>, Const<5>), f64>(&gpu, 3, 5, 6, false);
    let a: Vec<f32> = random(7, 10 * 13, 1.0);
    let (g, c) = both::<_, (Const<10>, usize), f32>(&gpu, &a);
    type S = (Const<10>, usize);
    identical(
        &host::<_, S, f32>(&gpu, &gpu.sum_axis::<S, S>(&g, 10, 13, 1)),
        &Cpu.download::<S, f32>(&Cpu.sum_axis::<S, S>(&c, 10, 13, 1)),
        "sum along a fixed axis",
    );
    identical(
        &host::<_, (usize, usize), f32>(&gpu, &gpu.transpose::<S, (usize, usize)>(&g, 10, 13)),
        &Cpu.download::<(usize, usize), f32>(&Cpu.transpose::<S, (usize, usize)>(&c, 10, 13)),
        "transpose of a fixed shape",
    );
}

#[test]
fn a_large_product_takes_the_large_tiles() {
    // 513 × 9 × 515: 128 × 128 tiles, an inner size that 8 does not divide.
    let gpu = device();
    check_product::<_, (usize, usize), (usize, usize), f32>(&gpu, (513, 9, 515), false, true, 9);
}
