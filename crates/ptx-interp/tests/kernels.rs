//! Products, transposes, concatenations, reductions and the softmax family
//! on the interpreted GPU against the CPU, on random small shapes: odd
//! sizes, sizes that no tile divides, empty ones, run-time sizes and sizes
//! the types fix.

mod common;

use common::{Float, agree, both, host, identical, random};
use proptest::prelude::*;
use typeflux_core::{Const, Cpu, Device, Kernels, Shape, UnaryOp};
use typeflux_ptx_interp::{Interpreted, device};

/// `op(a)·op(b)` and `c += s·op(a)·op(b)`, both devices, shapes `A` and `B`
/// as the kernels receive them (a transposed operand stored transposed).
#[allow(clippy::too_many_arguments)]
fn check_product<A: Shape, B: Shape, E: Float>(
    gpu: &Interpreted,
    (m, k, n): (usize, usize, usize),
    at: bool,
    bt: bool,
    seed: u64,
) where
    Interpreted: Kernels<E>,
    Cpu: Kernels<E>,
{
    let a: Vec<E> = random(seed, m * k, 1.0);
    let b: Vec<E> = random(seed + 1, k * n, 1.0);
    let (ga, ca) = both::<A, E>(gpu, &a);
    let (gb, cb) = both::<B, E>(gpu, &b);
    let g = gpu.matmul::<A, B, (usize, usize)>(m, k, n, &ga, at, &gb, bt);
    let c = Cpu.matmul::<A, B, (usize, usize)>(m, k, n, &ca, at, &cb, bt);
    let what = format!(
        "{m}x{k}x{n} {}{}",
        if at { "t" } else { "n" },
        if bt { "t" } else { "n" }
    );
    // Sums of k products in another order: within k units at the scale of
    // the terms (each at most 1).
    let ulps = 2.0 * k as f64 + 2.0;
    agree(
        &host::<(usize, usize), E>(gpu, &g),
        &Cpu.download::<(usize, usize), E>(&c),
        ulps,
        1.0,
        &what,
    );

    let start: Vec<E> = random(seed + 2, m * n, 1.0);
    let (mut gc, mut cc) = both::<(usize, usize), E>(gpu, &start);
    let scale = E::of(-0.5);
    gpu.matmul_add::<A, B, (usize, usize)>(&mut gc, scale, m, k, n, &ga, at, &gb, bt);
    Cpu.matmul_add::<A, B, (usize, usize)>(&mut cc, scale, m, k, n, &ca, at, &cb, bt);
    agree(
        &host::<(usize, usize), E>(gpu, &gc),
        &Cpu.download::<(usize, usize), E>(&cc),
        ulps,
        1.0,
        &format!("{what} accumulated"),
    );
}

fn dims(m: usize, k: usize, at: bool) -> (usize, usize) {
    if at { (k, m) } else { (m, k) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn products_of_every_transpose_match_the_cpu(
        m in 1usize..70, k in 0usize..40, n in 1usize..70,
        at: bool, bt: bool, double: bool, seed in 0u64..1000,
    ) {
        let gpu = device();
        let _ = (dims(m, k, at), dims(k, n, bt));
        if double {
            check_product::<(usize, usize), (usize, usize), f64>(&gpu, (m, k, n), at, bt, seed);
        } else {
            check_product::<(usize, usize), (usize, usize), f32>(&gpu, (m, k, n), at, bt, seed);
        }
    }

    #[test]
    fn transposes_and_concatenations_match_the_cpu(
        rows in 0usize..80, cols in 0usize..80, more in 0usize..9, seed in 0u64..1000,
    ) {
        let gpu = device();
        let a: Vec<f32> = random(seed, rows * cols, 3.0);
        let (ga, ca) = both::<(usize, usize), f32>(&gpu, &a);
        identical(
            &host::<(usize, usize), f32>(&gpu, &gpu.transpose::<(usize, usize), (usize, usize)>(&ga, rows, cols)),
            &Cpu.download::<(usize, usize), f32>(&Cpu.transpose::<(usize, usize), (usize, usize)>(&ca, rows, cols)),
            "transpose",
        );
        let b: Vec<f32> = random(seed + 1, more * cols, 3.0);
        let (gb, cb) = both::<(usize, usize), f32>(&gpu, &b);
        identical(
            &host::<(usize, usize), f32>(
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
        let (g, c) = both::<(usize, usize), f64>(&gpu, &a);
        type S = (usize, usize);
        let sums = |x: f64, y: f64| agree(&[x], &[y], 4.0 * a.len() as f64, 1.0, "sum");
        sums(gpu.sum::<S>(&g), Cpu.sum::<S>(&c));
        sums(gpu.sum_of::<S>(UnaryOp::Square, &g), Cpu.sum_of::<S>(UnaryOp::Square, &c));
        sums(gpu.sum_of::<S>(UnaryOp::Abs, &g), Cpu.sum_of::<S>(UnaryOp::Abs, &c));
        identical(&[gpu.max::<S>(&g).unwrap()], &[Cpu.max::<S>(&c).unwrap()], "max");
        for axis in [0, 1] {
            identical(
                &host::<S, f64>(&gpu, &gpu.sum_axis::<S, S>(&g, rows, cols, axis)),
                &Cpu.download::<S, f64>(&Cpu.sum_axis::<S, S>(&c, rows, cols, axis)),
                "sum along an axis",
            );
            identical(
                &host::<S, f64>(&gpu, &gpu.max_axis::<S, S>(&g, rows, cols, axis)),
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
            check_softmax::<(usize, usize), f64>(&gpu, rows, cols, seed, log);
        } else {
            check_softmax::<(usize, usize), f32>(&gpu, rows, cols, seed, log);
        }
    }
}

fn check_softmax<S: Shape, E: Float>(
    gpu: &Interpreted,
    rows: usize,
    cols: usize,
    seed: u64,
    log: bool,
) where
    Interpreted: Kernels<E>,
    Cpu: Kernels<E>,
{
    let x: Vec<E> = random(seed, rows * cols, 8.0);
    let (g, c) = both::<S, E>(gpu, &x);
    let (gy, cy) = (
        gpu.softmax::<S>(&g, rows, log),
        Cpu.softmax::<S>(&c, rows, log),
    );
    let what = if log { "logsoftmax" } else { "softmax" };
    agree(
        &host::<S, E>(gpu, &gy),
        &Cpu.download::<S, E>(&cy),
        16.0,
        1.0,
        what,
    );
    let d: Vec<E> = random(seed + 1, rows * cols, 1.0);
    let (gd, cd) = both::<S, E>(gpu, &d);
    agree(
        &host::<S, E>(gpu, &gpu.softmax_pullback::<S>(&gy, &gd, rows, log)),
        &Cpu.download::<S, E>(&Cpu.softmax_pullback::<S>(&cy, &cd, rows, log)),
        16.0 * rows as f64,
        1.0,
        &format!("{what} pullback"),
    );
    // Targets: one-hot columns, with a zero column and a soft one.
    let t: Vec<E> = (0..rows * cols)
        .map(|i| {
            let (r, col) = (i % rows, i / rows);
            E::of(match col % 3 {
                0 => f64::from(u8::from(r == col % rows)),
                1 => 0.0,
                _ => 1.0 / rows as f64,
            })
        })
        .collect();
    let (gt, ct) = both::<S, E>(gpu, &t);
    let scale = E::of(1.0 / cols as f64);
    let (gl, gg) = gpu.logit_cross_entropy::<S>(&g, &gt, rows, scale);
    let (cl, cg) = Cpu.logit_cross_entropy::<S>(&c, &ct, rows, scale);
    agree(
        &[gl],
        &[cl],
        64.0 * (rows * cols) as f64,
        1.0,
        "cross-entropy",
    );
    agree(
        &host::<S, E>(gpu, &gg),
        &Cpu.download::<S, E>(&cg),
        16.0 * rows as f64,
        1.0,
        "its gradient",
    );
}

#[test]
fn sizes_the_types_fix_are_built_into_the_kernels() {
    let gpu = device();
    // Tiles of 32 and 64 do not divide 33, 17 or 70; 64 and 128 do.
    check_product::<(Const<33>, Const<17>), (Const<17>, usize), f32>(
        &gpu,
        (33, 17, 45),
        false,
        false,
        1,
    );
    check_product::<(Const<17>, Const<33>), (usize, Const<17>), f64>(
        &gpu,
        (33, 17, 45),
        true,
        true,
        2,
    );
    check_product::<(Const<64>, Const<128>), (Const<128>, Const<64>), f32>(
        &gpu,
        (64, 128, 64),
        false,
        false,
        3,
    );
    check_product::<(Const<70>, Const<9>), (Const<9>, usize), f64>(
        &gpu,
        (70, 9, 70),
        false,
        false,
        4,
    );
    check_softmax::<(Const<10>, usize), f32>(&gpu, 10, 37, 5, true);
    check_softmax::<(Const<3>, Const<5>), f64>(&gpu, 3, 5, 6, false);
    let a: Vec<f32> = random(7, 10 * 13, 1.0);
    let (g, c) = both::<(Const<10>, usize), f32>(&gpu, &a);
    type S = (Const<10>, usize);
    identical(
        &host::<S, f32>(&gpu, &gpu.sum_axis::<S, S>(&g, 10, 13, 1)),
        &Cpu.download::<S, f32>(&Cpu.sum_axis::<S, S>(&c, 10, 13, 1)),
        "sum along a fixed axis",
    );
    identical(
        &host::<(usize, usize), f32>(&gpu, &gpu.transpose::<S, (usize, usize)>(&g, 10, 13)),
        &Cpu.download::<(usize, usize), f32>(&Cpu.transpose::<S, (usize, usize)>(&c, 10, 13)),
        "transpose of a fixed shape",
    );
}

#[test]
fn a_large_product_takes_the_large_tiles() {
    // 513 × 9 × 515: 128 × 128 tiles, an inner size that 8 does not divide.
    let gpu = device();
    check_product::<(usize, usize), (usize, usize), f32>(&gpu, (513, 9, 515), false, true, 9);
}
