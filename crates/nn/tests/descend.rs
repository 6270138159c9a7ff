//! Descent folded into the backward pass (`Descent::step`, typeflux-ad's
//! `descend`) against the separate path: `gradient` of the model and
//! `Optimiser::update` with `Descent`, whose gradients the other tests check
//! against forward mode and finite differences. Both paths must leave the
//! same model and return the same loss.

use typeflux_ad::reverse::{gradient, model};
use typeflux_core::functor::{Path, Ref, Visitor, walk};
use typeflux_core::prelude::*;
use typeflux_core::{Element, Kernels, Shape};
use typeflux_nn::optim::{Descent, Rule};
use typeflux_nn::prelude::*;

const ETA: f64 = 0.3;

/// Every parameter of a model, in walk order, as `f64` (through its decimal
/// form, which is exact for `f64` and round-trips `f32`).
struct Params(Vec<f64>);

impl Visitor for Params {
    type Access = Ref;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, t: &Tensor<S, E, D>) {
        let t = t.to_device(&Cpu);
        self.0.extend(
            t.iter()
                .map(|x| x.to_string().parse::<f64>().expect("a real element")),
        );
    }
}

fn params<M: typeflux_core::functor::Functor>(model: &M) -> Vec<f64> {
    let mut p = Params(Vec::new());
    walk::<M, _>(model, &mut p);
    p.0
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: {x} against {y}"
        );
    }
}

type Mlp = Chain<(
    Dense<5, 7, Sigmoid, f64>,
    Dense<7, 4, Relu, f64>,
    Dense<4, 3, Identity, f64>,
)>;

fn mlp() -> Mlp {
    typeflux_nn::init::seed(11);
    let mut m: Mlp = Chain((Dense::new(sigmoid), Dense::new(relu), Dense::new(identity)));
    // Nonzero biases, so that relu's kink is met at different places.
    m.0.1.bias = Some(Vector::<4, f64>::from_fn((Const,), |[i, _]| {
        0.1 * i as f64 - 0.15
    }));
    m
}

fn batch() -> (Batch<5, f64>, Batch<3, f64>) {
    let x = Batch::<5, f64>::from_fn((Const, 6), |[i, j]| {
        ((i * 3 + j * 5) % 7) as f64 / 3.0 - 1.0
    });
    let y = Batch::<3, f64>::from_fn((Const, 6), |[i, j]| f64::from(u8::from(i == j % 3)));
    (x, y)
}

/// One step both ways, from the same model: folded (`Descent::step`) and
/// separate (`gradient`, then `update`). Returns both models and losses.
macro_rules! both_ways {
    ($model:expr, |$m:ident| $loss:expr) => {{
        let mut fused = $model.clone();
        let mut separate = $model.clone();
        let loss = Descent::new(ETA).step(&mut fused, |$m| $loss);
        let g = gradient(|$m| $loss, model(&separate));
        let expected = {
            let $m = &separate;
            ($loss).item()
        };
        Descent::new(ETA).setup(&separate).update(&mut separate, &g);
        (fused, separate, loss, expected)
    }};
}

#[test]
fn a_chain_on_a_batch_steps_like_gradient_and_update() {
    let (x, y) = batch();
    let m = mlp();
    let before = params(&m);
    let (fused, separate, loss, expected) = both_ways!(m, |m| logitcrossentropy(m.forward(&x), &y));
    assert_eq!(loss, expected);
    assert!(params(&fused) != before, "the step changed the model");
    assert_close(&params(&fused), &params(&separate), 1e-14, "parameters");
}

#[test]
fn single_samples_and_activation_members_step_too() {
    typeflux_nn::init::seed(12);
    let chain = Chain((
        Dense::<3, 4, Identity, f64>::new(identity),
        tanh,
        Dense::<4, 2, Identity, f64>::new(identity).bias(false),
        softmax,
    ));
    let x = Vector::<3, f64>::from_array([0.5, -1.0, 2.0]);
    let target = Vector::<2, f64>::from_array([1.0, 0.0]);
    let (fused, separate, loss, expected) = both_ways!(chain, |m| mse(m.forward(&x), &target));
    assert_eq!(loss, expected);
    assert!(fused.0.2.bias.is_none(), "an absent bias stays absent");
    assert_close(&params(&fused), &params(&separate), 1e-14, "parameters");
}

#[test]
fn any_loss_steps_a_weight_penalty_too() {
    let (x, y) = batch();
    let m = mlp();
    let (fused, separate, loss, expected) = both_ways!(m, |m| {
        logitcrossentropy(m.forward(&x), &y) + m.0.0.weight.square().sum() * 0.01
    });
    assert!((loss - expected).abs() < 1e-14);
    assert_close(&params(&fused), &params(&separate), 1e-14, "parameters");
}

#[test]
fn large_f32_layers_fold_the_step_into_the_blocked_product() {
    // Products of this size run the blocked kernel (and its operand copy on
    // AVX-512), where the fused step is one gemm call reading the weight.
    typeflux_nn::init::seed(13);
    let chain = Chain((
        Dense::<300, 260>::new(relu),
        Dense::<260, 10>::new(identity),
    ));
    let x = Batch::<300>::from_fn((Const, 70), |[i, j]| {
        ((i * 7 + j * 13) % 17) as f32 / 17.0 - 0.4
    });
    let y = Batch::<10>::from_fn((Const, 70), |[i, j]| f32::from(u8::from(i == j % 10)));
    let (fused, separate, loss, expected) =
        both_ways!(chain, |m| logitcrossentropy(m.forward(&x), &y));
    assert_eq!(loss, expected);
    assert_close(&params(&fused), &params(&separate), 1e-5, "parameters");
    assert!(params(&fused) != params(&chain));
}

#[test]
fn a_model_on_the_stack_device_steps_like_on_the_cpu() {
    typeflux_nn::init::seed(14);
    let chain = Chain((Dense::<3, 4>::new(sigmoid), Dense::<4, 2>::new(identity)));
    let x = Vector::<3>::from_array([0.25, -0.5, 1.0]);
    let target = Vector::<2>::from_array([0.0, 1.0]);

    let mut on_cpu = chain.clone();
    let cpu_loss = Descent::new(ETA).step(&mut on_cpu, |m| mse(m.forward(&x), &target));

    let mut on_stack = chain.to_device(&Stack);
    let (xs, ts) = (x.to_device(&Stack), target.to_device(&Stack));
    let stack_loss = Descent::new(ETA).step(&mut on_stack, |m| mse(m.forward(&xs), &ts));

    assert_eq!(cpu_loss, stack_loss);
    assert_close(&params(&on_stack), &params(&on_cpu), 1e-6, "parameters");
}
