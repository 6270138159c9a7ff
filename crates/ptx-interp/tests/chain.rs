//! Whole models on the interpreted GPU: a `Chain`'s forward pass, its
//! gradient and optimiser steps, against the same model on the CPU. Every
//! kernel the reverse-mode rules, the layers, the losses and the
//! optimisers use runs here, thread by thread.

mod common;

use common::agree;
use common::suite::{check_adam, check_chain};
use typeflux_core::UnaryOp;
use typeflux_core::prelude::*;
use typeflux_gpu::kernels::{Precision, Size, Spec};
use typeflux_ptx_interp::{HostArg, device, run_kernel};

#[test]
fn a_chain_s_forward_pass_and_gradient_match_the_cpu() {
    // In one kernel per pass, as the device chooses for this chain.
    let gpu = device();
    check_chain(&gpu);
    let log = gpu.runtime().launched();
    let fused = log.iter().filter(|k| k.starts_with("fused_")).count();
    assert_eq!(fused, 3, "inference, training, backward: {log:?}");
    // Layer by layer.
    let gpu = device();
    gpu.set_fused_chains(false);
    check_chain(&gpu);
    let log = gpu.runtime().launched();
    assert!(
        log.len() > 20 && !log.iter().any(|k| k.starts_with("fused_")),
        "the model ran layer by layer on the interpreter: {log:?}"
    );
}

#[test]
fn adam_steps_a_chain_on_the_gpu_as_on_the_cpu() {
    check_adam(&device());
}

#[test]
fn the_one_pass_adam_kernel_steps_as_the_cpu_rule_does() {
    // The CPU rule's arithmetic, element by element, in its order.
    let (eta, b1, b2, eps, t) = (1e-3f64, 0.9f64, 0.999f64, 1e-8f64, 3);
    let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
    let g: Vec<f32> = (0..700).map(|i| (i as f32 * 0.11).cos()).collect();
    let m: Vec<f32> = (0..700).map(|i| (i as f32 * 0.05).sin() / 10.0).collect();
    let v: Vec<f32> = (0..700)
        .map(|i| (i as f32 * 0.03).cos().abs() / 100.0)
        .collect();
    let mut expected = (g.clone(), m.clone(), v.clone());
    for i in 0..700 {
        let mi = m[i] * b1 as f32 + (1.0 - b1) as f32 * g[i];
        let vi = v[i] * b2 as f32 + (1.0 - b2) as f32 * (g[i] * g[i]);
        let den = (vi * (1.0 / c2) as f32).sqrt() + eps as f32;
        expected.0[i] = mi * (eta / c1) as f32 / den;
        expected.1[i] = mi;
        expected.2[i] = vi;
    }
    for len in [Size::Param, Size::Fixed(700)] {
        let (ptx, name) = Spec::Adam { len }.ptx(Precision::F32);
        let mut args = vec![
            HostArg::F32s(g.clone()),
            HostArg::F32s(m.clone()),
            HostArg::F32s(v.clone()),
            HostArg::F32(b1 as f32),
            HostArg::F32((1.0 - b1) as f32),
            HostArg::F32(b2 as f32),
            HostArg::F32((1.0 - b2) as f32),
            HostArg::F32((1.0 / c2) as f32),
            HostArg::F32(eps as f32),
            HostArg::F32((eta / c1) as f32),
            HostArg::U32(700),
        ];
        run_kernel(&ptx, &name, [3, 1, 1], [256, 1, 1], &mut args).unwrap();
        assert_eq!(args[0], HostArg::F32s(expected.0.clone()), "changes");
        assert_eq!(args[1], HostArg::F32s(expected.1.clone()), "first moments");
        assert_eq!(args[2], HostArg::F32s(expected.2.clone()), "second moments");
    }
}

#[test]
fn the_fused_dense_epilogue_matches_the_layer() {
    // act(W·x .+ b) and act' in the product's stores, against Dense on the CPU.
    use typeflux_gpu::kernels::{Epilogue, Tile};
    let (m, k, n) = (10usize, 33usize, 19usize);
    let w: Vec<f32> = (0..m * k)
        .map(|i| ((i * 13) % 17) as f32 / 17.0 - 0.5)
        .collect();
    let x: Vec<f32> = (0..k * n)
        .map(|i| ((i * 7) % 23) as f32 / 23.0 - 0.5)
        .collect();
    let b: Vec<f32> = (0..m).map(|i| i as f32 / 10.0 - 0.4).collect();
    let wt = Matrix::<10, 33>::try_from_slice(&w).unwrap();
    let xt = Batch::<33>::from_slice((Const, n), &x).unwrap();
    let bt = Vector::<10>::try_from_slice(&b).unwrap();
    let z = wt.matmul(&xt) + &bt;
    for op in [UnaryOp::Relu, UnaryOp::Tanh, UnaryOp::Sigmoid] {
        let (act, slope) = Cpu.unary_slope::<(Const<10>, usize)>(op, z.buffer());
        let spec = Spec::Matmul {
            m: Size::Fixed(10),
            k: Size::Fixed(33),
            n: Size::Param,
            a_transposed: false,
            b_transposed: false,
            tile: Tile::SMALL,
            epilogue: Epilogue::dense(true, Some(op), true),
        };
        let (ptx, name) = spec.ptx(Precision::F32);
        let mut args = vec![
            HostArg::F32s(w.clone()),
            HostArg::F32s(x.clone()),
            HostArg::Output32(m * n),
            HostArg::F32s(b.clone()),
            HostArg::Output32(m * n),
            HostArg::F32(1.0),
            HostArg::U32(m as u32),
            HostArg::U32(k as u32),
            HostArg::U32(n as u32),
        ];
        run_kernel(
            &ptx,
            &name,
            [1, 1, 1],
            [Tile::SMALL.threads(), 1, 1],
            &mut args,
        )
        .unwrap();
        let (HostArg::F32s(y), HostArg::F32s(dy)) = (&args[2], &args[4]) else {
            unreachable!()
        };
        agree(y, &act, 80.0, 1.0, op.name());
        agree(dy, &slope, 80.0, 1.0, op.name());
    }
}

#[test]
fn a_convolution_and_pooling_run_on_the_gpu_through_host_memory() {
    use typeflux_ad::reverse::{gradient, model};
    use typeflux_nn::conv::Images4;
    use typeflux_nn::prelude::*;
    use typeflux_nn::{Chain, MaxPool};
    let gpu = device();
    typeflux_nn::init::seed(9);
    let cpu_model = Chain((
        Conv::<3, 3, 2, 3>::new(relu).pad::<1>(),
        MaxPool::<2, 2>::new(),
    ));
    let x = Images4::<6, 5, 2>::from_fn((Const, Const, Const, 3), |[i, j]| {
        ((i * 7 + j * 3) % 11) as f32 / 11.0 - 0.4
    });
    let on_gpu = cpu_model.to_device(&gpu);
    let xg = x.to_device(&gpu);
    let (y_cpu, y_gpu) = (cpu_model.forward(&x), on_gpu.forward(&xg));
    agree(
        &y_gpu.to_vec(),
        &y_cpu.to_vec(),
        64.0,
        1.0,
        "conv and max pool forward",
    );
    let g_cpu = gradient(|m| m.forward(&x).square().sum(), model(&cpu_model));
    let g_gpu = gradient(|m| m.forward(&xg).square().sum(), model(&on_gpu));
    agree(
        &g_gpu.0.0.weight.to_vec(),
        &g_cpu.0.0.weight.to_vec(),
        64.0,
        1.0,
        "conv weight gradient",
    );
}
