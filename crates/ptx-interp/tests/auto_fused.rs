//! A `Chain` of `Dense` layers on the GPU runs as one kernel per pass
//! through the same `forward`, `gradient` and training calls as any model,
//! chosen by its types and its device: on the interpreter, every path
//! against the same model on the CPU (and finite differences), with the
//! kernels launched read from the interpreter's log.

mod common;

use common::agree;
use common::suite::{check_tf32, params};
use typeflux_ad::reverse::{descend, gradient, model, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_gpu::FusedProducts;
use typeflux_nn::prelude::*;
use typeflux_ptx_interp::{Interpreted, device};

/// The kernels launched while `f` runs.
fn launched<T>(gpu: &Interpreted, f: impl FnOnce() -> T) -> (T, Vec<String>) {
    let before = gpu.runtime().launched().len();
    let out = f();
    (out, gpu.runtime().launched()[before..].to_vec())
}

fn count(log: &[String], prefix: &str) -> usize {
    log.iter().filter(|k| k.starts_with(prefix)).count()
}

/// `$on_gpu.forward(&$xg)` launches no fused kernel and matches `$cpu`'s
/// forward pass on `$x`; gives the kernels it launched.
macro_rules! forward_layer_by_layer {
    ($gpu:expr, $cpu:expr, $on_gpu:expr, $x:expr, $xg:expr) => {{
        let (out, log) = launched(&$gpu, || $on_gpu.forward(&$xg));
        assert_eq!(count(&log, "fused_"), 0, "{log:?}");
        agree(
            &out.to_device(&Cpu).to_vec(),
            &$cpu.forward(&$x).to_vec(),
            64.0,
            1.0,
            "forward",
        );
        log
    }};
}

/// The gradient of the mean squared error against `$y` through `$on_gpu`
/// launches no fused kernel and matches `$cpu`'s.
macro_rules! gradient_layer_by_layer {
    ($gpu:expr, $cpu:expr, $on_gpu:expr, ($x:expr, $y:expr), ($xg:expr, $yg:expr)) => {{
        let expected = gradient(|m| mse(m.forward(&$x), &$y), model(&$cpu));
        let (got, log) = launched(&$gpu, || {
            gradient(|m| mse(m.forward(&$xg), &$yg), model(&$on_gpu))
        });
        assert_eq!(count(&log, "fused_"), 0, "{log:?}");
        agree(&params(&got), &params(&expected), 256.0, 1.0, "gradient");
    }};
}

/// A batch of `n` columns of `I` features, the same on every run.
fn batch<const I: usize>(n: usize, seed: usize) -> Batch<I, f64> {
    Batch::from_fn((Const, n), |[i, j]| {
        (((i * 7 + j * 3 + seed) % 13) as f64 / 6.0 - 1.0) * 0.8
    })
}

type Mlp = Chain<(
    Dense<5, 7, Tanh, f64>,
    Dense<7, 6, Sigmoid, f64>,
    Dense<6, 3, Identity, f64>,
)>;

fn mlp() -> Mlp {
    typeflux_nn::init::seed(11);
    Chain((
        Dense::new(tanh),
        Dense::<7, 6, Identity, f64>::new(sigmoid).bias(false),
        Dense::new(identity),
    ))
}

#[test]
fn forward_on_a_qualifying_chain_is_one_kernel_and_matches_the_cpu() {
    let gpu = device();
    let cpu = mlp();
    let on_gpu = cpu.to_device(&gpu);
    // One column, a block and one either side (16 columns per block in
    // f64), and batches that end inside a block.
    for n in [1, 15, 16, 17, 45, 0] {
        let x = batch::<5>(n, n);
        let xg = x.to_device(&gpu);
        let (y, log) = launched(&gpu, || on_gpu.forward(&xg));
        // An empty batch launches nothing.
        let expected = if n == 0 {
            vec![]
        } else {
            vec!["fused_inference"]
        };
        let names: Vec<&str> = log.iter().map(|k| &k[..k.len().min(15)]).collect();
        assert_eq!(names, expected, "batch {n}: {log:?}");
        agree(
            &y.to_device(&Cpu).to_vec(),
            &cpu.forward(&x).to_vec(),
            64.0,
            1.0,
            &format!("forward, batch {n}"),
        );
    }
}

#[test]
fn a_chain_of_f32_layers_fuses_too() {
    let gpu = device();
    typeflux_nn::init::seed(12);
    let cpu = Chain((Dense::<3, 40>::new(relu), Dense::<40, 2>::new(identity)));
    let on_gpu = cpu.to_device(&gpu);
    let x = Batch::<3>::from_fn((Const, 70), |[i, j]| ((i + 2 * j) % 9) as f32 / 4.0 - 1.0);
    let expected = cpu.forward(&x).to_vec();
    // On tensor cores by default: TF32 factors, about three digits.
    let (y, log) = launched(&gpu, || on_gpu.forward(&x.to_device(&gpu)));
    assert_eq!(log, ["fused_inference_f32_tf32_3_40b_relu_2b"], "{log:?}");
    for (g, c) in y.to_device(&Cpu).to_vec().iter().zip(&expected) {
        assert!(
            (g - c).abs() <= 4e-3 * (1.0 + c.abs()),
            "TF32: {g} against {c}"
        );
    }
    // Exact products on request, as the CPU's.
    gpu.set_fused_products(FusedProducts::Exact);
    let (y, log) = launched(&gpu, || on_gpu.forward(&x.to_device(&gpu)));
    assert_eq!(log, ["fused_inference_f32_3_40b_relu_2b"], "{log:?}");
    agree(&y.to_device(&Cpu).to_vec(), &expected, 64.0, 1.0, "forward");
}

#[test]
fn the_gradient_of_a_qualifying_chain_is_one_forward_and_one_backward_kernel() {
    let gpu = device();
    let cpu = mlp();
    let on_gpu = cpu.to_device(&gpu);
    for n in [1, 17, 40] {
        let (x, y) = (batch::<5>(n, 1), batch::<3>(n, 2));
        let (xg, yg) = (x.to_device(&gpu), y.to_device(&gpu));
        let (loss, grad) = value_and_gradient(|m| mse(m.forward(&x), &y), model(&cpu));
        let ((gpu_loss, gpu_grad), log) = launched(&gpu, || {
            value_and_gradient(|m| mse(m.forward(&xg), &yg), model(&on_gpu))
        });
        assert_eq!(count(&log, "fused_training"), 1, "batch {n}: {log:?}");
        assert_eq!(count(&log, "fused_backward"), 1, "batch {n}: {log:?}");
        assert_eq!(count(&log, "fused_"), 2, "batch {n}: {log:?}");
        // No layer ran on its own: no product kernel at all.
        assert!(
            !log.iter()
                .any(|k| k.contains("matmul") || k.contains("gemm")),
            "batch {n}: {log:?}"
        );
        agree(&[gpu_loss], &[loss], 64.0, 1.0, "loss");
        agree(&params(&gpu_grad), &params(&grad), 256.0, 1.0, "gradient");
    }
}

#[test]
fn the_fused_gradient_matches_finite_differences() {
    let gpu = device();
    let cpu = mlp();
    let on_gpu = cpu.to_device(&gpu);
    let (x, y) = (batch::<5>(19, 3), batch::<3>(19, 4));
    let (xg, yg) = (x.to_device(&gpu), y.to_device(&gpu));
    let loss_of = |m: &Mlp| {
        mse(m.to_device(&gpu).forward(&xg), &yg)
            .to_device(&Cpu)
            .item()
    };
    let g = gradient(|m| mse(m.forward(&xg), &yg), model(&on_gpu));
    let h = 1e-6;
    for (i, j) in [(0, 0), (3, 4), (6, 2)] {
        let (mut up, mut down) = (cpu.clone(), cpu.clone());
        up.0.0.weight[[i, j]] += h;
        down.0.0.weight[[i, j]] -= h;
        let fd = (loss_of(&up) - loss_of(&down)) / (2.0 * h);
        let analytic = g.0.0.weight.to_device(&Cpu)[[i, j]];
        assert!(
            (fd - analytic).abs() <= 1e-6 * (1.0 + fd.abs()),
            "first weight [{i}, {j}]: {analytic} against {fd}"
        );
    }
    for i in [0, 2] {
        let (mut up, mut down) = (cpu.clone(), cpu.clone());
        let b = up.0.2.bias.as_mut().expect("a bias");
        b[i] += h;
        let b = down.0.2.bias.as_mut().expect("a bias");
        b[i] -= h;
        let fd = (loss_of(&up) - loss_of(&down)) / (2.0 * h);
        let analytic = g.0.2.bias.as_ref().expect("a bias").to_device(&Cpu)[i];
        assert!(
            (fd - analytic).abs() <= 1e-6 * (1.0 + fd.abs()),
            "last bias [{i}]: {analytic} against {fd}"
        );
    }
}

#[test]
fn the_input_s_gradient_comes_from_the_fused_backward_pass() {
    let gpu = device();
    let cpu = mlp();
    let on_gpu = cpu.to_device(&gpu);
    let x = batch::<5>(21, 5);
    let xg = x.to_device(&gpu);
    let expected = gradient(|x| cpu.forward(x).square().sum(), &x);
    let (got, log) = launched(&gpu, || gradient(|x| on_gpu.forward(x).square().sum(), &xg));
    assert_eq!(count(&log, "fused_training"), 1, "{log:?}");
    assert_eq!(count(&log, "fused_backward"), 1, "{log:?}");
    agree(
        &got.to_device(&Cpu).to_vec(),
        &expected.to_vec(),
        256.0,
        1.0,
        "the input's gradient",
    );
}

#[test]
fn an_output_used_twice_runs_the_backward_pass_for_each_use() {
    let gpu = device();
    let cpu = mlp();
    let on_gpu = cpu.to_device(&gpu);
    let x = batch::<5>(9, 6);
    let xg = x.to_device(&gpu);
    let expected = gradient(
        |m| {
            let y = m.forward(&x);
            y.clone().square().sum() + y.sum()
        },
        model(&cpu),
    );
    let got = gradient(
        |m| {
            let y = m.forward(&xg);
            y.clone().square().sum() + y.sum()
        },
        model(&on_gpu),
    );
    agree(&params(&got), &params(&expected), 256.0, 1.0, "gradient");
}

#[test]
fn a_descent_step_through_the_fused_chain_matches_the_cpu() {
    let gpu = device();
    let mut cpu = mlp();
    let mut on_gpu = cpu.to_device(&gpu);
    let (x, y) = (batch::<5>(33, 7), batch::<3>(33, 8));
    let (xg, yg) = (x.to_device(&gpu), y.to_device(&gpu));
    for _ in 0..3 {
        let a = descend(&mut cpu, 0.1, |m| mse(m.forward(&x), &y));
        let (b, log) = launched(&gpu, || {
            descend(&mut on_gpu, 0.1, |m| mse(m.forward(&xg), &yg))
        });
        assert_eq!(count(&log, "fused_backward"), 1, "{log:?}");
        agree(&[b], &[a], 64.0, 1.0, "loss");
    }
    agree(
        &params(&on_gpu),
        &params(&cpu),
        256.0,
        1.0,
        "parameters after three steps",
    );
}

#[test]
fn a_layer_wider_than_the_fused_kernels_falls_back_and_matches() {
    let gpu = device();
    typeflux_nn::init::seed(13);
    let cpu = Chain((
        Dense::<4, 129, Identity, f64>::new(tanh),
        Dense::<129, 2, Identity, f64>::new(identity),
    ));
    let on_gpu = cpu.to_device(&gpu);
    let (x, y) = (batch::<4>(17, 1), batch::<2>(17, 2));
    let (xg, yg) = (x.to_device(&gpu), y.to_device(&gpu));
    let log = forward_layer_by_layer!(gpu, cpu, on_gpu, x, xg);
    assert!(log.len() >= 2, "layer by layer: {log:?}");
    gradient_layer_by_layer!(gpu, cpu, on_gpu, (x, y), (xg, yg));
}

#[test]
fn an_activation_without_a_fused_kernel_falls_back_and_matches() {
    let gpu = device();
    typeflux_nn::init::seed(14);
    let cpu = Chain((
        Dense::<4, 6, Identity, f64>::new(tanh),
        Dense::<6, 3, Identity, f64>::new(softmax),
    ));
    let on_gpu = cpu.to_device(&gpu);
    let (x, y) = (batch::<4>(20, 1), batch::<3>(20, 2));
    let (xg, yg) = (x.to_device(&gpu), y.to_device(&gpu));
    forward_layer_by_layer!(gpu, cpu, on_gpu, x, xg);
    gradient_layer_by_layer!(gpu, cpu, on_gpu, (x, y), (xg, yg));
}

#[test]
fn a_chain_with_a_member_that_is_not_dense_runs_layer_by_layer() {
    let gpu = device();
    typeflux_nn::init::seed(15);
    let cpu = Chain((
        Dense::<4, 6, Identity, f64>::new(tanh),
        relu,
        Dense::<6, 3, Identity, f64>::new(identity),
    ));
    let on_gpu = cpu.to_device(&gpu);
    let x = batch::<4>(18, 1);
    let xg = x.to_device(&gpu);
    forward_layer_by_layer!(gpu, cpu, on_gpu, x, xg);
}

#[test]
fn turned_off_on_the_device_every_chain_runs_layer_by_layer() {
    let gpu = device();
    assert!(gpu.fused_chains());
    gpu.set_fused_chains(false);
    let cpu = mlp();
    let on_gpu = cpu.to_device(&gpu);
    let (x, y) = (batch::<5>(17, 1), batch::<3>(17, 2));
    let (xg, yg) = (x.to_device(&gpu), y.to_device(&gpu));
    let log = forward_layer_by_layer!(gpu, cpu, on_gpu, x, xg);
    assert!(log.len() >= 3, "a kernel or more per layer: {log:?}");
    gradient_layer_by_layer!(gpu, cpu, on_gpu, (x, y), (xg, yg));
    // And back on.
    gpu.set_fused_chains(true);
    let (_, log) = launched(&gpu, || on_gpu.forward(&xg));
    assert_eq!(count(&log, "fused_inference"), 1, "{log:?}");
}

#[test]
#[should_panic(expected = "kept outputs")]
fn kept_values_of_the_wrong_size_are_refused_before_any_launch() {
    use typeflux_core::activation::ActivationKind;
    use typeflux_core::dense_chain::{ChainKept, ChainLayer};
    use typeflux_core::{Device, Kernels, UnaryOp};
    let gpu = device();
    let layers = [
        ChainLayer {
            inputs: 2,
            outputs: 3,
            bias: false,
            activation: ActivationKind::Table(UnaryOp::Tanh),
        },
        ChainLayer {
            inputs: 3,
            outputs: 1,
            bias: false,
            activation: ActivationKind::Identity,
        },
    ];
    let up = |n: usize| gpu.upload::<(usize,), f32>(&vec![0.5; n]);
    let (x, dy) = (up(2 * 4), up(4));
    let weights = [up(6), up(3)];
    // The hidden outputs of 4 columns are 12 elements, not 1.
    let kept = ChainKept {
        outputs: Some(up(1)),
        slopes: Some(up(12)),
        batch: 4,
    };
    let _ = Kernels::<f32>::dense_chain_backward(&gpu, &layers, &x, &weights, &kept, &dy);
}

#[test]
fn fused_chains_on_the_interpreted_tensor_cores() {
    check_tf32(&device());
}
