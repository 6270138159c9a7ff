//! Descent folded into the backward pass (`Descend`, `Descent::step`) against
//! the separate path it replaces: `pullback`, the loss gradient, and
//! `Optimiser::update` with `Descent`, whose gradients the other tests check
//! against forward mode and finite differences. Both paths must leave the
//! same model, return the same loss and (from an owned input) the same input
//! gradient, computed with the weights before the step.

use typeflux_core::functor::{Path, Ref, Visitor, walk};
use typeflux_core::prelude::*;
use typeflux_core::{Device, Element, Shape};
use typeflux_nn::optim::{Descent, Rule};
use typeflux_nn::prelude::*;

const ETA: f64 = 0.3;

/// Every parameter of a model, in walk order, as `f64` (through its decimal
/// form, which is exact for `f64` and round-trips `f32`).
struct Params(Vec<f64>);

impl Visitor for Params {
    type Access = Ref;

    fn tensor<S: Shape, E: Element, D: Device>(&mut self, _: &Path, t: &Tensor<S, E, D>) {
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

#[test]
fn a_chain_from_a_borrowed_batch_steps_like_pullback_and_update() {
    let (x, y) = batch();
    let mut fused = mlp();
    let mut separate = fused.clone();
    let before = params(&fused);

    let loss = Descent::new(ETA).step(&mut fused, &x, |scores| {
        logitcrossentropy.value_and_gradient(&scores, &y)
    });

    let (scores, back) = separate.pullback(&x);
    let (expected_loss, dscores) = logitcrossentropy.value_and_gradient(&scores, &y);
    let (grad, ()) = back(dscores);
    Descent::new(ETA)
        .setup(&separate)
        .update(&mut separate, &grad);

    assert_eq!(loss, expected_loss);
    assert!(params(&fused) != before, "the step changed the model");
    assert_close(&params(&fused), &params(&separate), 1e-14, "parameters");
}

#[test]
fn an_owned_batch_gets_its_gradient_from_the_weights_before_the_step() {
    let (x, y) = batch();
    let mut fused = mlp();
    let mut separate = fused.clone();

    let (loss, dx) = fused.descend(x.clone(), ETA, |scores| {
        logitcrossentropy.value_and_gradient(&scores, &y)
    });

    let (scores, back) = separate.pullback(x);
    let (expected_loss, dscores) = logitcrossentropy.value_and_gradient(&scores, &y);
    let (grad, expected_dx) = back(dscores);
    Descent::new(ETA)
        .setup(&separate)
        .update(&mut separate, &grad);

    assert_eq!(loss, expected_loss);
    assert_close(&dx.to_vec(), &expected_dx.to_vec(), 1e-14, "input gradient");
    assert_close(&params(&fused), &params(&separate), 1e-14, "parameters");
}

#[test]
fn single_samples_and_activation_members_step_too() {
    typeflux_nn::init::seed(12);
    let model = Chain((
        Dense::<3, 4, Identity, f64>::new(identity),
        tanh,
        Dense::<4, 2, Identity, f64>::new(identity).bias(false),
        softmax,
    ));
    let x = Vector::<3, f64>::from_array([0.5, -1.0, 2.0]);
    let target = Vector::<2, f64>::from_array([1.0, 0.0]);
    for owned in [false, true] {
        let mut fused = model.clone();
        let mut separate = model.clone();
        let (loss, dx) = if owned {
            let (l, dx) = fused.descend(x.clone(), ETA, |p| mse.value_and_gradient(&p, &target));
            (l, Some(dx.to_vec()))
        } else {
            let (l, ()) = fused.descend(&x, ETA, |p| mse.value_and_gradient(&p, &target));
            (l, None)
        };
        let (p, back) = separate.pullback(x.clone());
        let (expected_loss, dp) = mse.value_and_gradient(&p, &target);
        let (grad, expected_dx) = back(dp);
        Descent::new(ETA)
            .setup(&separate)
            .update(&mut separate, &grad);

        assert_eq!(loss, expected_loss);
        if let Some(dx) = dx {
            assert_close(&dx, &expected_dx.to_vec(), 1e-14, "input gradient");
        }
        assert!(fused.0.2.bias.is_none(), "an absent bias stays absent");
        assert_close(&params(&fused), &params(&separate), 1e-14, "parameters");
    }
}

#[test]
fn large_f32_layers_fold_the_step_into_the_blocked_product() {
    // Products of this size run the blocked kernel (and its operand copy on
    // AVX-512), where the fused step is one gemm call reading the weight.
    typeflux_nn::init::seed(13);
    let model = Chain((
        Dense::<300, 260>::new(relu),
        Dense::<260, 10>::new(identity),
    ));
    let x = Batch::<300>::from_fn((Const, 70), |[i, j]| {
        ((i * 7 + j * 13) % 17) as f32 / 17.0 - 0.4
    });
    let y = Batch::<10>::from_fn((Const, 70), |[i, j]| f32::from(u8::from(i == j % 10)));
    let mut fused = model.clone();
    let mut separate = model.clone();

    let (loss, dx) = fused.descend(x.clone(), ETA, |s| {
        logitcrossentropy.value_and_gradient(&s, &y)
    });

    let (s, back) = separate.pullback(x);
    let (expected_loss, ds) = logitcrossentropy.value_and_gradient(&s, &y);
    let (grad, expected_dx) = back(ds);
    Descent::new(ETA)
        .setup(&separate)
        .update(&mut separate, &grad);

    assert_eq!(loss, expected_loss);
    let to_f64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
    assert_close(
        &to_f64(dx.to_vec()),
        &to_f64(expected_dx.to_vec()),
        1e-5,
        "input gradient",
    );
    assert_close(&params(&fused), &params(&separate), 1e-5, "parameters");
    assert!(params(&fused) != params(&model));
}

#[test]
fn a_model_on_the_stack_device_steps_like_on_the_cpu() {
    typeflux_nn::init::seed(14);
    let model = Chain((Dense::<3, 4>::new(sigmoid), Dense::<4, 2>::new(identity)));
    let x = Vector::<3>::from_array([0.25, -0.5, 1.0]);
    let target = Vector::<2>::from_array([0.0, 1.0]);

    let mut on_cpu = model.clone();
    let cpu_loss = Descent::new(ETA).step(&mut on_cpu, &x, |p| mse.value_and_gradient(&p, &target));

    let mut on_stack = model.to_device(&Stack);
    let (xs, ts) = (x.to_device(&Stack), target.to_device(&Stack));
    let stack_loss =
        Descent::new(ETA).step(&mut on_stack, &xs, |p| mse.value_and_gradient(&p, &ts));

    assert_eq!(cpu_loss, stack_loss);
    assert_close(&params(&on_stack), &params(&on_cpu), 1e-6, "parameters");
}
