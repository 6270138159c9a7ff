//! The interpreter's checks on a real GPU, through the CUDA driver: what
//! `scripts/gpu-check.sh` runs on a GPU machine. Without a driver or a GPU,
//! creating the device is an error that says why, and each test prints it
//! and passes.

mod common;

use common::random;
use common::suite::{
    check_adam, check_binary, check_chain, check_product, check_softmax, check_table, check_tf32,
    inputs,
};
use typeflux_core::Const;
use typeflux_gpu::{Cuda, GpuError, default_gpu};

/// The first GPU, or `None` after saying why there is none.
fn cuda(test: &str) -> Option<Cuda> {
    match default_gpu() {
        Ok(gpu) => Some(gpu),
        Err(why) => {
            eprintln!("{test}: skipped, {why}");
            None
        }
    }
}

#[test]
fn without_a_gpu_creating_the_device_is_an_error_that_says_why() {
    match Cuda::new(0) {
        Ok(gpu) => eprintln!("a GPU is here: {gpu:?}"),
        Err(why) => {
            assert!(matches!(why, GpuError::Unavailable(_)), "{why:?}");
            assert!(why.to_string().starts_with("no GPU: "), "{why}");
        }
    }
}

#[test]
fn the_table_on_the_gpu() {
    let Some(gpu) = cuda("the table") else { return };
    check_table::<_, (usize,), f32>(&gpu, &inputs::<f32>());
    check_table::<_, (usize,), f64>(&gpu, &inputs::<f64>());
    check_table::<_, (Const<37>,), f32>(&gpu, &random::<f32>(3, 37, 3.0));
}

#[test]
fn binary_kernels_on_the_gpu() {
    let Some(gpu) = cuda("binary kernels") else {
        return;
    };
    for (rows, cols) in [(1, 1), (10, 33), (7, 3000)] {
        let n = rows * cols;
        check_binary::<_, (usize, usize), f32>(&gpu, &random(1, n, 4.0), &random(2, n, 4.0), rows);
        check_binary::<_, (usize, usize), f64>(&gpu, &random(1, n, 4.0), &random(2, n, 4.0), rows);
    }
}

#[test]
fn products_on_the_gpu() {
    let Some(gpu) = cuda("products") else { return };
    for (m, k, n) in [
        (1, 1, 1),
        (37, 23, 41),
        (64, 128, 64),
        (513, 9, 515),
        (300, 700, 257),
    ] {
        for (at, bt) in [(false, false), (true, false), (false, true), (true, true)] {
            check_product::<_, (usize, usize), (usize, usize), f32>(&gpu, (m, k, n), at, bt, 1);
            check_product::<_, (usize, usize), (usize, usize), f64>(&gpu, (m, k, n), at, bt, 2);
        }
    }
    check_product::<_, (Const<33>, Const<17>), (Const<17>, usize), f32>(
        &gpu,
        (33, 17, 45),
        false,
        false,
        3,
    );
}

#[test]
fn softmax_on_the_gpu() {
    let Some(gpu) = cuda("softmax") else { return };
    for log in [false, true] {
        check_softmax::<_, (usize, usize), f32>(&gpu, 10, 1000, 4, log);
        check_softmax::<_, (Const<10>, usize), f64>(&gpu, 10, 77, 5, log);
    }
}

#[test]
fn a_chain_and_adam_on_the_gpu() {
    // The chains fuse: one kernel per pass.
    let Some(gpu) = cuda("a chain") else { return };
    check_chain(&gpu);
    check_adam(&gpu);
}

#[test]
fn a_chain_and_adam_on_the_gpu_layer_by_layer() {
    let Some(_) = cuda("a chain, layer by layer") else {
        return;
    };
    // A device of its own, so that its setting leaves the other tests'.
    let gpu = Cuda::new(0).expect("a second device on the GPU");
    gpu.set_fused_chains(false);
    check_chain(&gpu);
    check_adam(&gpu);
}

#[test]
fn fused_chains_on_the_tensor_cores() {
    let Some(_) = cuda("tensor cores") else {
        return;
    };
    // A device of its own, so that its setting leaves the other tests'.
    let gpu = Cuda::new(0).expect("a second device on the GPU");
    check_tf32(&gpu);
}
