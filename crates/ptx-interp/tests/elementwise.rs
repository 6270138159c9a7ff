//! Every operation of the elementwise table, its value and its slope, and
//! the binary, scalar, axpy and broadcast kernels, on the interpreted GPU
//! against the CPU: at run-time lengths and at lengths the types fix.

mod common;

use common::suite::{check_binary, check_table, inputs};
use common::{both, random};
use typeflux_core::{Const, Device, Kernels, UnaryOp};
use typeflux_ptx_interp::device;

#[test]
fn every_operation_of_the_table_and_its_slope_match_the_cpu_f32() {
    let gpu = device();
    let data = inputs::<f32>();
    check_table::<_, (usize,), f32>(&gpu, &data);
}

#[test]
fn every_operation_of_the_table_and_its_slope_match_the_cpu_f64() {
    let gpu = device();
    let data = inputs::<f64>();
    check_table::<_, (usize,), f64>(&gpu, &data);
}

#[test]
fn a_length_the_type_fixes_is_built_into_the_kernel() {
    let gpu = device();
    let data: Vec<f32> = random(3, 37, 3.0);
    check_table::<_, (Const<37>,), f32>(&gpu, &data);
    let data: Vec<f64> = random(4, 3 * 5, 3.0);
    check_table::<_, (Const<3>, Const<5>), f64>(&gpu, &data);
    // The modules are cached per length: one more length, more modules.
    let before = gpu.modules_loaded();
    let (g, _) = both::<_, (Const<36>,), f32>(
        &gpu,
        &data.iter().take(36).map(|&x| x as f32).collect::<Vec<_>>(),
    );
    gpu.unary::<(Const<36>,)>(UnaryOp::Tanh, &g);
    assert_eq!(gpu.modules_loaded(), before + 1);
    gpu.unary::<(Const<36>,)>(UnaryOp::Tanh, &g);
    assert_eq!(gpu.modules_loaded(), before + 1, "a module is loaded once");
}

#[test]
fn binary_scalar_broadcast_and_axpy_match_the_cpu_to_the_bit() {
    let gpu = device();
    for (rows, cols) in [(1, 1), (3, 7), (10, 33), (7, 300)] {
        let n = rows * cols;
        let a: Vec<f32> = random(1, n, 4.0);
        let b: Vec<f32> = random(2, n, 4.0);
        check_binary::<_, (usize, usize), f32>(&gpu, &a, &b, rows);
        let a: Vec<f64> = random(1, n, 4.0);
        let b: Vec<f64> = random(2, n, 4.0);
        check_binary::<_, (usize, usize), f64>(&gpu, &a, &b, rows);
    }
    let a: Vec<f32> = random(5, 10 * 9, 4.0);
    let b: Vec<f32> = random(6, 10 * 9, 4.0);
    check_binary::<_, (Const<10>, usize), f32>(&gpu, &a, &b, 10);
    check_binary::<_, (Const<10>, Const<9>), f32>(&gpu, &a, &b, 10);
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
