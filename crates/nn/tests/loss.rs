//! Losses: Flux's reference values, gradients against forward mode and finite
//! differences, aggregation, and finite results for extreme scores.

mod common;

use common::{assert_close, finite_difference_gradient, forward_mode_gradient, random_params};
use typeflux_ad::reverse::value_and_gradient;
use typeflux_core::elementwise::scalar;
use typeflux_core::num_dual::Dual64;
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;

/// The loss's value as a number.
fn value<L: Loss, S: Shape, E: Element>(loss: L, y_hat: &Tensor<S, E>, y: &Tensor<S, E>) -> E {
    loss.loss(y_hat, y).item()
}

/// The loss and its gradient in the prediction, by reverse mode.
fn value_and_grad<L: Loss, S: Shape, E: Element>(
    loss: L,
    y_hat: &Tensor<S, E>,
    y: &Tensor<S, E>,
) -> (E, Tensor<S, E>) {
    value_and_gradient(|p| loss.loss(p, y), y_hat)
}

fn flux_example<E: Element>() -> (Vector<4, E>, Vector<4, E>) {
    let e = |x: f64| E::from_f64(x).unwrap();
    (
        Tensor::from_array([e(0.9), e(0.1), e(0.1), e(0.9)]),
        Tensor::from_array([e(1.0), e(1.0), e(0.0), e(0.0)]),
    )
}

#[test]
fn flux_reference_values() {
    let (y_hat, y) = flux_example::<f64>();
    assert!((value(Mse::new(), &y_hat, &y) - 0.41).abs() < 1e-15);
    assert!((value(Mae::new(), &y_hat, &y) - 0.5).abs() < 1e-15);
    assert!((value(HuberLoss::new(), &y_hat, &y) - 0.205).abs() < 1e-15);

    let (y_hat, y) = flux_example::<f32>();
    assert!((value(Mse::new(), &y_hat, &y) - 0.41).abs() < 1e-6);
    assert!((value(Mae::new(), &y_hat, &y) - 0.5).abs() < 1e-6);
    assert!((value(HuberLoss::new(), &y_hat, &y) - 0.205).abs() < 1e-6);
}

#[test]
fn aggregation_and_delta() {
    let (y_hat, y) = flux_example::<f64>();
    let sum = Mse::new().agg(Aggregate::Sum);
    assert!((value(sum, &y_hat, &y) - 4.0 * 0.41).abs() < 1e-14);
    assert_close(
        &value_and_grad(sum, &y_hat, &y).1.to_vec(),
        &value_and_grad(Mse::new(), &y_hat, &y)
            .1
            .iter()
            .map(|g| 4.0 * g)
            .collect::<Vec<_>>(),
        1e-15,
        "sum gradient",
    );
    // δ = 0.5: |d| = 0.1 is quadratic, |d| = 0.9 linear: 0.5·(0.9 - 0.25).
    let expected = (0.005 + 0.5 * (0.9 - 0.25)) / 2.0;
    assert!((value(HuberLoss::new().delta(0.5), &y_hat, &y) - expected).abs() < 1e-15);
    assert_eq!(Mse::default(), Mse::new());
}

#[test]
fn crossentropy_reference_values() {
    // Two samples: one-hot targets, probabilities per column.
    let y_hat = Matrix::<3, 2, f64>::from_array([[0.2, 0.5], [0.7, 0.25], [0.1, 0.25]]);
    let y = Matrix::<3, 2, f64>::from_array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]);
    let expected = -(0.7f64.ln() + 0.5f64.ln()) / 2.0;
    assert!((value(CrossEntropy::new(), &y_hat, &y) - expected).abs() < 1e-14);
    let sum = CrossEntropy::new().agg(Aggregate::Sum);
    assert!((value(sum, &y_hat, &y) - 2.0 * expected).abs() < 1e-14);

    // A probability of 0 for the true class stays finite thanks to ϵ.
    let zero = Vector::<2, f64>::from_array([0.0, 1.0]);
    let first = Vector::<2, f64>::from_array([1.0, 0.0]);
    let (l, g) = value_and_grad(CrossEntropy::new(), &zero, &first);
    assert!((l + f64::EPSILON.ln()).abs() < 1e-12);
    assert!(g.iter().all(|g| g.is_finite()));

    let bce = value(
        BinaryCrossEntropy::new(),
        &Vector::<2, f64>::from_array([0.8, 0.3]),
        &Vector::<2, f64>::from_array([1.0, 0.0]),
    );
    assert!((bce + (0.8f64.ln() + 0.7f64.ln()) / 2.0).abs() < 1e-14);
}

#[test]
fn logit_forms_match_the_probability_forms() {
    let scores = Batch::<4, f64>::from_slice((Const, 3), &random_params(41, 12, 3.0)).unwrap();
    let onehot = Batch::<4, f64>::from_fn((Const, 3), |[r, c]| (r == c) as u8 as f64);
    let probs = softmax.forward(&scores);
    assert!(
        (value(LogitCrossEntropy::new(), &scores, &onehot)
            - value(CrossEntropy::new(), &probs, &onehot))
        .abs()
            < 1e-12
    );
    let targets =
        Batch::<4, f64>::from_slice((Const, 3), &random_params(42, 12, 0.5)).unwrap() + 0.5;
    let sigm = scores.map(scalar::sigmoid);
    assert!(
        (value(LogitBinaryCrossEntropy::new(), &scores, &targets)
            - value(BinaryCrossEntropy::new(), &sigm, &targets))
        .abs()
            < 1e-12
    );
}

#[test]
fn huge_logits_give_finite_losses_and_gradients() {
    let scores = Vector::<3>::from_array([1.0e4, -1.0e4, 0.0]);
    let onehot = Vector::<3>::from_array([0.0, 1.0, 0.0]);
    let (l, g) = value_and_grad(LogitCrossEntropy::new(), &scores, &onehot);
    assert_eq!(l, 2.0e4);
    assert_eq!(g.to_vec(), vec![1.0, -1.0, 0.0]);

    let scores = Vector::<2>::from_array([1.0e4, -1.0e4]);
    let labels = Vector::<2>::from_array([0.0, 1.0]);
    let (l, g) = value_and_grad(LogitBinaryCrossEntropy::new(), &scores, &labels);
    assert_eq!(l, 1.0e4);
    assert_eq!(g.to_vec(), vec![0.5, -0.5]);
    let ones_first = Vector::<2>::from_array([1.0, 0.0]);
    let (l, g) = value_and_grad(LogitBinaryCrossEntropy::new(), &scores, &ones_first);
    assert_eq!(l, 0.0);
    assert_eq!(g.to_vec(), vec![0.0, 0.0]);

    let dual_scores = Vector::<3, Dual64>::from_array([
        Dual64::new(1.0e4, 1.0),
        Dual64::from(-1.0e4),
        Dual64::from(0.0),
    ]);
    let dual_onehot = Vector::<3, Dual64>::from_array([0.0, 1.0, 0.0].map(Dual64::from));
    let l = logitcrossentropy(&dual_scores, &dual_onehot).item();
    assert_eq!((l.re, l.eps), (2.0e4, 1.0));
}

/// `loss(ŷ, y)` with `ŷ` given by `p`, for forward mode and differences.
fn objective<L: Loss, E: Element>(loss: L, p: &[E], y: &[f64]) -> E {
    let y_hat = Batch::<3, E>::from_slice((Const, 4), p).unwrap();
    let target = Batch::<3, E>::from_fn((Const, 4), |[r, c]| E::from_f64(y[r + 3 * c]).unwrap());
    loss.loss(&y_hat, &target).item()
}

/// Reverse gradient against forward mode and central differences, at `y_hat`
/// (which the gradient is taken at) and target `y`.
fn check_gradient<L: Loss>(loss: L, name: &str, y_hat: &[f64], y: &[f64]) {
    let yh = Batch::<3, f64>::from_slice((Const, 4), y_hat).unwrap();
    let t = Batch::<3, f64>::from_slice((Const, 4), y).unwrap();
    let (v, grad) = value_and_grad(loss, &yh, &t);
    assert!(
        (v - value(loss, &yh, &t)).abs() < 1e-14,
        "{name}: value_and_gradient's value"
    );
    let forward = forward_mode_gradient(y_hat, |q| objective(loss, q, y));
    let fd = finite_difference_gradient(y_hat, 1e-6, |q| objective(loss, q, y));
    assert_close(
        &grad.to_vec(),
        &forward,
        1e-12,
        &format!("{name} vs forward mode"),
    );
    assert_close(
        &grad.to_vec(),
        &fd,
        1e-6,
        &format!("{name} vs finite differences"),
    );
}

/// A 3 × 4 batch of probabilities whose columns sum to 1, and one-hot targets.
fn distributions() -> (Vec<f64>, Vec<f64>) {
    let scores = Batch::<3, f64>::from_slice((Const, 4), &random_params(51, 12, 2.0)).unwrap();
    let probs = softmax.forward(scores).to_vec();
    let onehot = (0..12)
        .map(|i| ((i % 3) == (i / 3) % 3) as u8 as f64)
        .collect();
    (probs, onehot)
}

#[test]
fn gradients_regression_losses() {
    let y_hat = random_params(52, 12, 2.0);
    let y = random_params(53, 12, 2.0);
    check_gradient(Mse::new(), "mse", &y_hat, &y);
    check_gradient(Mae::new(), "mae", &y_hat, &y);
    check_gradient(HuberLoss::new(), "huber_loss", &y_hat, &y);
    check_gradient(
        HuberLoss::new().delta(0.3).agg(Aggregate::Sum),
        "huber_loss δ=0.3",
        &y_hat,
        &y,
    );
    check_gradient(Mse::new().agg(Aggregate::Sum), "mse sum", &y_hat, &y);
}

#[test]
fn gradients_crossentropies() {
    let (probs, onehot) = distributions();
    check_gradient(CrossEntropy::new(), "crossentropy", &probs, &onehot);
    let soft_targets = distributions().0.iter().rev().copied().collect::<Vec<_>>();
    check_gradient(
        CrossEntropy::new(),
        "crossentropy, soft targets",
        &probs,
        &soft_targets,
    );
    let scores = random_params(54, 12, 3.0);
    check_gradient(
        LogitCrossEntropy::new(),
        "logitcrossentropy",
        &scores,
        &onehot,
    );
    check_gradient(
        LogitCrossEntropy::new().agg(Aggregate::Sum),
        "logitcrossentropy sum",
        &scores,
        &soft_targets,
    );
}

#[test]
fn gradients_binary_crossentropies() {
    let probs: Vec<f64> = random_params(55, 12, 4.0)
        .iter()
        .map(|&s| scalar::sigmoid(s))
        .collect();
    let labels: Vec<f64> = random_params(56, 12, 1.0)
        .iter()
        .map(|&u| (u > 0.0) as u8 as f64)
        .collect();
    check_gradient(
        BinaryCrossEntropy::new(),
        "binarycrossentropy",
        &probs,
        &labels,
    );
    let soft: Vec<f64> = random_params(57, 12, 0.5).iter().map(|u| u + 0.5).collect();
    check_gradient(
        BinaryCrossEntropy::new(),
        "binarycrossentropy, soft labels",
        &probs,
        &soft,
    );
    let scores = random_params(58, 12, 4.0);
    check_gradient(
        LogitBinaryCrossEntropy::new(),
        "logitbinarycrossentropy",
        &scores,
        &labels,
    );
    check_gradient(
        LogitBinaryCrossEntropy::new(),
        "logitbinarycrossentropy, soft labels",
        &scores,
        &soft,
    );
}

#[test]
#[should_panic(expected = "mse: prediction 3x4, target 3x5: shapes disagree")]
fn batches_of_different_sizes_panic() {
    let _ = mse(
        &Batch::<3>::zeros_with((Const, 4)),
        &Batch::<3>::zeros_with((Const, 5)),
    );
}
