//! Whole models on the interpreted GPU: a `Chain`'s forward pass, its
//! gradient and optimiser steps, against the same model on the CPU. Every
//! kernel the reverse-mode rules, the layers, the losses and the
//! optimisers use runs here, thread by thread.

mod common;

use common::agree;
use typeflux_ad::reverse::{model, value_and_gradient};
use typeflux_core::UnaryOp;
use typeflux_core::functor::{Path, Ref, Visitor, visit};
use typeflux_core::prelude::*;
use typeflux_gpu::kernels::{Precision, Size, Spec};
use typeflux_nn::optim::{Adam, Rule};
use typeflux_nn::prelude::*;
use typeflux_ptx_interp::{HostArg, device, run_kernel};

/// Every parameter of a model, in order, on the host.
fn params<M: typeflux_core::functor::Functor>(m: &M) -> Vec<f64> {
    struct All(Vec<f64>);
    impl Visitor for All {
        type Access = Ref;
        fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, t: &Tensor<S, E, D>) {
            self.0.extend(t.to_vec().iter().map(|x| {
                let x = x as &dyn core::any::Any;
                match (x.downcast_ref::<f64>(), x.downcast_ref::<f32>()) {
                    (Some(&v), _) => v,
                    (_, Some(&v)) => f64::from(v),
                    _ => panic!("a model of floats"),
                }
            }));
        }
    }
    let mut all = All(Vec::new());
    visit(m, &mut all);
    all.0
}

#[test]
fn a_chain_s_forward_pass_and_gradient_match_the_cpu() {
    typeflux_nn::init::seed(3);
    let chain = Chain((
        Dense::<5, 7, Identity, f64>::new(tanh),
        Dense::<7, 6, Identity, f64>::new(relu),
        Dense::<6, 3, Identity, f64>::new(identity),
    ));
    let x = Batch::<5, f64>::from_fn((Const, 9), |[i, j]| {
        ((i * 7 + j * 3) % 11) as f64 / 5.0 - 1.0
    });
    let y = Batch::<3, f64>::from_fn((Const, 9), |[i, j]| f64::from(u8::from(i == j % 3)));

    let gpu = device();
    let on_gpu = chain.to_device(&gpu);
    let (xg, yg) = (x.to_device(&gpu), y.to_device(&gpu));

    let forward = on_gpu.forward(&xg).to_device(&Cpu).to_vec();
    agree(&forward, &chain.forward(&x).to_vec(), 64.0, 1.0, "forward");

    let (loss, grad) = value_and_gradient(|m| logitcrossentropy(m.forward(&x), &y), model(&chain));
    let (gpu_loss, gpu_grad) =
        value_and_gradient(|m| logitcrossentropy(m.forward(&xg), &yg), model(&on_gpu));
    agree(&[gpu_loss], &[loss], 64.0, 1.0, "loss");
    agree(&params(&gpu_grad), &params(&grad), 256.0, 1.0, "gradient");
    assert!(
        gpu.runtime().launches() > 20,
        "the model ran on the interpreter"
    );
}

#[test]
fn adam_steps_a_chain_on_the_gpu_as_on_the_cpu() {
    typeflux_nn::init::seed(4);
    let mut cpu = Chain((Dense::<4, 6>::new(sigmoid), Dense::<6, 2>::new(identity)));
    let x = Batch::<4>::from_fn((Const, 5), |[i, j]| (i as f32 - j as f32) / 4.0);
    let y = Batch::<2>::from_fn((Const, 5), |[i, j]| (i + j) as f32 / 8.0);
    let gpu = device();
    let mut on_gpu = cpu.to_device(&gpu);
    let (xg, yg) = (x.to_device(&gpu), y.to_device(&gpu));

    let rule = Adam::default();
    let (mut cpu_state, mut gpu_state) = (rule.init(&cpu), rule.init(&on_gpu));
    for _ in 0..3 {
        let (_, g) = value_and_gradient(|m| mse(m.forward(&x), &y), model(&cpu));
        rule.apply(&mut cpu_state, &mut cpu, &g);
        let (_, g) = value_and_gradient(|m| mse(m.forward(&xg), &yg), model(&on_gpu));
        rule.apply(&mut gpu_state, &mut on_gpu, &g);
    }
    let (a, b) = (params(&on_gpu), params(&cpu));
    let (a, b): (Vec<f32>, Vec<f32>) = (
        a.iter().map(|&v| v as f32).collect(),
        b.iter().map(|&v| v as f32).collect(),
    );
    agree(&a, &b, 64.0, 1.0, "parameters after three Adam steps");
}

#[test]
fn the_one_pass_adam_kernel_steps_as_the_cpu_rule_does() {
    // The CPU rule's arithmetic, element by element, in its order.
    let (eta, b1, b2, eps, t) = (1e-3f64, 0.9f64, 0.999f64, 1e-8f64, 3);
    let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
    let p: Vec<f32> = (0..700).map(|i| (i as f32 * 0.37).sin()).collect();
    let g: Vec<f32> = (0..700).map(|i| (i as f32 * 0.11).cos()).collect();
    let m: Vec<f32> = (0..700).map(|i| (i as f32 * 0.05).sin() / 10.0).collect();
    let v: Vec<f32> = (0..700)
        .map(|i| (i as f32 * 0.03).cos().abs() / 100.0)
        .collect();
    let mut expected = (p.clone(), m.clone(), v.clone());
    for i in 0..700 {
        let mi = m[i] * b1 as f32 + (1.0 - b1) as f32 * g[i];
        let vi = v[i] * b2 as f32 + (1.0 - b2) as f32 * (g[i] * g[i]);
        let den = (vi * (1.0 / c2) as f32).sqrt() + eps as f32;
        let update = mi * (eta / c1) as f32 / den;
        expected.0[i] = p[i] * 1.0 - update;
        expected.1[i] = mi;
        expected.2[i] = vi;
    }
    for len in [Size::Param, Size::Fixed(700)] {
        let (ptx, name) = Spec::Adam { len }.ptx(Precision::F32);
        let mut args = vec![
            HostArg::F32s(p.clone()),
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
            HostArg::F32(1.0),
            HostArg::U32(700),
        ];
        run_kernel(&ptx, &name, [3, 1, 1], [256, 1, 1], &mut args).unwrap();
        assert_eq!(args[0], HostArg::F32s(expected.0.clone()), "parameters");
        assert_eq!(args[2], HostArg::F32s(expected.1.clone()), "first moments");
        assert_eq!(args[3], HostArg::F32s(expected.2.clone()), "second moments");
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
