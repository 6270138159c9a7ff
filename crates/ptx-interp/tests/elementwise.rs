//! Every operation of the elementwise table, its value and its slope, and
//! the binary, scalar, axpy and broadcast kernels, on the interpreted GPU
//! against the CPU: at run-time lengths and at lengths the types fix.

mod common;

use common::{Float, agree, both, host, identical, random};
use typeflux_core::{BinaryOp, Const, Cpu, Device, Kernels, Shape, UnaryOp};
use typeflux_ptx_interp::{Interpreted, device};

/// Inputs that reach every branch of the table: ordinary numbers, zeros,
/// tiny and huge ones, where `exp` overflows and underflows, infinities
/// and NaN.
fn inputs<E: Float>() -> Vec<E> {
    let mut v: Vec<E> = random(7, 200, 6.0);
    v.extend(random::<E>(8, 50, 0.01));
    v.extend(random::<E>(9, 50, 60.0));
    for x in [
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        1e-8,
        -1e-8,
        0.5,
        -0.5,
        1.0,
        -1.0,
        2.0,
        3.0,
        10.0,
        -10.0,
        10.5,
        -10.5,
        20.0,
        -20.0,
        30.0,
        88.0,
        -88.0,
        -100.0,
        -104.0,
        700.0,
        -700.0,
        709.0,
        -740.0,
        -750.0,
        1e4,
        -1e4,
        1e10,
        -1e10,
        1e30,
        -1e30,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ] {
        v.push(E::of(x));
    }
    // f32 subnormals, and f64 ones.
    v.push(E::of(1e-40));
    v.push(E::of(1e-310));
    v
}

/// How far from the CPU's `libm` each operation may be, in units of the
/// last place at `max(|value|, 1e-300)`: the arithmetic ones are exact,
/// the transcendental ones within a few units.
fn ulps(op: UnaryOp) -> f64 {
    match op {
        UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Square | UnaryOp::Sqrt | UnaryOp::Recip => 0.0,
        UnaryOp::Relu | UnaryOp::LeakyRelu => 0.0,
        _ => 8.0,
    }
}

/// The scale errors are measured at: the value itself, except for `gelu`,
/// whose `1 + tanh u` cancels for negative arguments and so magnifies the
/// last bit of `tanh` (on either device) relative to the result.
fn floor(op: UnaryOp) -> f64 {
    if op == UnaryOp::Gelu { 1.0 } else { 1e-300 }
}

/// Where an operation's GPU code is accurate: `sin` and `cos` for
/// arguments up to 2⁴⁰ in magnitude.
fn in_range(op: UnaryOp, x: f64) -> bool {
    !matches!(op, UnaryOp::Sin | UnaryOp::Cos) || x.abs() <= 2f64.powi(40) || x.is_nan()
}

fn check_table<S: Shape, E: Float>(gpu: &Interpreted, all: &[E])
where
    Interpreted: Kernels<E>,
    Cpu: Kernels<E>,
{
    for &op in UnaryOp::ALL {
        let data: Vec<E> = all
            .iter()
            .copied()
            .filter(|x| in_range(op, x.wide()))
            .collect();
        let data = data.as_slice();
        let (g, c) = both::<S, E>(gpu, data);
        let name = format!("{} on {}", op.name(), core::any::type_name::<E>());
        let value = host::<S, E>(gpu, &gpu.unary::<S>(op, &g));
        agree(
            &value,
            &Cpu.download::<S, E>(&Cpu.unary::<S>(op, &c)),
            ulps(op),
            floor(op),
            &name,
        );

        let (y, dy) = gpu.unary_slope::<S>(op, &g);
        let (cy, cdy) = Cpu.unary_slope::<S>(op, &c);
        agree(
            &host::<S, E>(gpu, &y),
            &Cpu.download::<S, E>(&cy),
            ulps(op),
            floor(op),
            &name,
        );
        // A slope is a sum of rounded terms that may cancel (gelu's): it is
        // compared at the scale of its terms, 1.
        agree(
            &host::<S, E>(gpu, &dy),
            &Cpu.download::<S, E>(&cdy),
            ulps(op).max(1.0) * 4.0,
            1.0,
            &format!("{name}'"),
        );

        let mut in_place = g.clone();
        let slope = gpu.unary_slope_assign::<S>(op, &mut in_place);
        agree(
            &host::<S, E>(gpu, &in_place),
            &host::<S, E>(gpu, &y),
            0.0,
            1.0,
            &name,
        );
        agree(
            &host::<S, E>(gpu, &slope),
            &host::<S, E>(gpu, &dy),
            0.0,
            1.0,
            &name,
        );
        // The buffer `in_place` was cloned from is untouched.
        identical(&host::<S, E>(gpu, &g), data, "the source of a clone");
    }
}

#[test]
fn every_operation_of_the_table_and_its_slope_match_the_cpu_f32() {
    let gpu = device();
    let data = inputs::<f32>();
    check_table::<(usize,), f32>(&gpu, &data);
}

#[test]
fn every_operation_of_the_table_and_its_slope_match_the_cpu_f64() {
    let gpu = device();
    let data = inputs::<f64>();
    check_table::<(usize,), f64>(&gpu, &data);
}

#[test]
fn a_length_the_type_fixes_is_built_into_the_kernel() {
    let gpu = device();
    let data: Vec<f32> = random(3, 37, 3.0);
    check_table::<(Const<37>,), f32>(&gpu, &data);
    let data: Vec<f64> = random(4, 3 * 5, 3.0);
    check_table::<(Const<3>, Const<5>), f64>(&gpu, &data);
    // The modules are cached per length: one more length, more modules.
    let before = gpu.modules_loaded();
    let (g, _) = both::<(Const<36>,), f32>(
        &gpu,
        &data.iter().take(36).map(|&x| x as f32).collect::<Vec<_>>(),
    );
    gpu.unary::<(Const<36>,)>(UnaryOp::Tanh, &g);
    assert_eq!(gpu.modules_loaded(), before + 1);
    gpu.unary::<(Const<36>,)>(UnaryOp::Tanh, &g);
    assert_eq!(gpu.modules_loaded(), before + 1, "a module is loaded once");
}

const BINARY: [BinaryOp; 4] = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div];

fn check_binary<S: Shape, E: Float>(gpu: &Interpreted, a: &[E], b: &[E], rows: usize)
where
    Interpreted: Kernels<E>,
    Cpu: Kernels<E>,
{
    let (ga, ca) = both::<S, E>(gpu, a);
    let (gb, cb) = both::<S, E>(gpu, b);
    let (gv, cv) = both::<(usize,), E>(gpu, &b[..rows]);
    let s = E::of(1.75);
    for op in BINARY {
        let what = format!("{op:?}");
        identical(
            &host::<S, E>(gpu, &gpu.binary::<S>(op, &ga, &gb)),
            &Cpu.download::<S, E>(&Cpu.binary::<S>(op, &ca, &cb)),
            &what,
        );
        let mut ip = ga.clone();
        gpu.binary_assign::<S>(op, &mut ip, &gb);
        identical(
            &host::<S, E>(gpu, &ip),
            &Cpu.download::<S, E>(&Cpu.binary::<S>(op, &ca, &cb)),
            &what,
        );
        for first in [false, true] {
            identical(
                &host::<S, E>(gpu, &gpu.scalar::<S>(op, &ga, s, first)),
                &Cpu.download::<S, E>(&Cpu.scalar::<S>(op, &ca, s, first)),
                &what,
            );
        }
        let mut ip = ga.clone();
        gpu.scalar_assign::<S>(op, &mut ip, s);
        identical(
            &host::<S, E>(gpu, &ip),
            &Cpu.download::<S, E>(&Cpu.scalar::<S>(op, &ca, s, false)),
            &what,
        );
        identical(
            &host::<S, E>(gpu, &gpu.broadcast::<S, (usize,)>(op, &ga, rows, &gv)),
            &Cpu.download::<S, E>(&Cpu.broadcast::<S, (usize,)>(op, &ca, rows, &cv)),
            &format!("broadcast {what}"),
        );
        let mut ip = ga.clone();
        gpu.broadcast_assign::<S, (usize,)>(op, &mut ip, rows, &gv);
        identical(
            &host::<S, E>(gpu, &ip),
            &Cpu.download::<S, E>(&Cpu.broadcast::<S, (usize,)>(op, &ca, rows, &cv)),
            &format!("broadcast {what}"),
        );
    }
    let (mut gy, mut cy) = (ga.clone(), ca.clone());
    gpu.axpy::<S>(&mut gy, s, &gb);
    Cpu.axpy::<S>(&mut cy, s, &cb);
    identical(&host::<S, E>(gpu, &gy), &Cpu.download::<S, E>(&cy), "axpy");
    identical(&host::<S, E>(gpu, &ga), a, "axpy leaves the clone's source");
}

#[test]
fn binary_scalar_broadcast_and_axpy_match_the_cpu_to_the_bit() {
    let gpu = device();
    for (rows, cols) in [(1, 1), (3, 7), (10, 33), (7, 300)] {
        let n = rows * cols;
        let a: Vec<f32> = random(1, n, 4.0);
        let b: Vec<f32> = random(2, n, 4.0);
        check_binary::<(usize, usize), f32>(&gpu, &a, &b, rows);
        let a: Vec<f64> = random(1, n, 4.0);
        let b: Vec<f64> = random(2, n, 4.0);
        check_binary::<(usize, usize), f64>(&gpu, &a, &b, rows);
    }
    let a: Vec<f32> = random(5, 10 * 9, 4.0);
    let b: Vec<f32> = random(6, 10 * 9, 4.0);
    check_binary::<(Const<10>, usize), f32>(&gpu, &a, &b, 10);
    check_binary::<(Const<10>, Const<9>), f32>(&gpu, &a, &b, 10);
}

#[test]
fn full_and_empty_buffers() {
    let gpu = device();
    let ones = gpu.full::<(usize,), f32>(1000, 1.0);
    assert_eq!(gpu.download::<(usize,), f32>(&ones), vec![1.0; 1000]);
    let zeros = gpu.full::<(usize,), f64>(5, 0.0);
    assert_eq!(gpu.download::<(usize,), f64>(&zeros), vec![0.0; 5]);
    let empty = gpu.upload::<(usize,), f32>(&[]);
    assert!(
        gpu.download::<(usize,), f32>(&gpu.unary::<(usize,)>(UnaryOp::Exp, &empty))
            .is_empty()
    );
    assert_eq!(gpu.sum::<(usize,)>(&empty), 0.0);
    assert_eq!(Kernels::<f32>::max::<(usize,)>(&gpu, &empty), None);
}
