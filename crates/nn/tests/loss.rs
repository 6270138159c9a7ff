//! Losses: Flux's reference values, gradients against forward mode and finite
//! differences, aggregation, and finite results for extreme scores.

mod common;

use common::{assert_close, finite_difference_gradient, forward_mode_gradient, random_params};
use typeflux_core::num_dual::Dual64;
use typeflux_core::prelude::*;
use typeflux_nn::activation::Elementwise;
use typeflux_nn::prelude::*;

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
    assert!((mse.value(&y_hat, &y) - 0.41).abs() < 1e-15);
    assert!((mae.value(&y_hat, &y) - 0.5).abs() < 1e-15);
    assert!((huber_loss.value(&y_hat, &y) - 0.205).abs() < 1e-15);

    let (y_hat, y) = flux_example::<f32>();
    assert!((mse.value(&y_hat, &y) - 0.41).abs() < 1e-6);
    assert!((mae.value(&y_hat, &y) - 0.5).abs() < 1e-6);
    assert!((huber_loss.value(&y_hat, &y) - 0.205).abs() < 1e-6);
}

#[test]
fn aggregation_and_delta() {
    let (y_hat, y) = flux_example::<f64>();
    let sum = mse.agg(Aggregate::Sum);
    assert!((sum.value(&y_hat, &y) - 4.0 * 0.41).abs() < 1e-14);
    assert_close(
        &sum.gradient(&y_hat, &y).to_vec(),
        &mse.gradient(&y_hat, &y)
            .iter()
            .map(|g| 4.0 * g)
            .collect::<Vec<_>>(),
        1e-15,
        "sum gradient",
    );
    // δ = 0.5: |d| = 0.1 is quadratic, |d| = 0.9 linear: 0.5·(0.9 - 0.25).
    let expected = (0.005 + 0.5 * (0.9 - 0.25)) / 2.0;
    assert!((huber_loss.delta(0.5).value(&y_hat, &y) - expected).abs() < 1e-15);
    assert_eq!(typeflux_nn::loss::Mse::default(), mse);
}

#[test]
fn crossentropy_reference_values() {
    // Two samples: one-hot targets, probabilities per column.
    let y_hat = Matrix::<3, 2, f64>::from_array([[0.2, 0.5], [0.7, 0.25], [0.1, 0.25]]);
    let y = Matrix::<3, 2, f64>::from_array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]);
    let expected = -(0.7f64.ln() + 0.5f64.ln()) / 2.0;
    assert!((crossentropy.value(&y_hat, &y) - expected).abs() < 1e-14);
    assert!((crossentropy.agg(Aggregate::Sum).value(&y_hat, &y) - 2.0 * expected).abs() < 1e-14);

    // A probability of 0 for the true class stays finite thanks to ϵ.
    let zero = Vector::<2, f64>::from_array([0.0, 1.0]);
    let first = Vector::<2, f64>::from_array([1.0, 0.0]);
    let (l, g) = crossentropy.value_and_gradient(&zero, &first);
    assert!((l + f64::EPSILON.ln()).abs() < 1e-12);
    assert!(g.iter().all(|g| g.is_finite()));

    let bce = binarycrossentropy.value(
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
        (logitcrossentropy.value(&scores, &onehot) - crossentropy.value(&probs, &onehot)).abs()
            < 1e-12
    );
    let targets =
        Batch::<4, f64>::from_slice((Const, 3), &random_params(42, 12, 0.5)).unwrap() + 0.5;
    let sigm = scores.map(|s| sigmoid.apply(s));
    assert!(
        (logitbinarycrossentropy.value(&scores, &targets)
            - binarycrossentropy.value(&sigm, &targets))
        .abs()
            < 1e-12
    );
}

#[test]
fn huge_logits_give_finite_losses_and_gradients() {
    let scores = Vector::<3>::from_array([1.0e4, -1.0e4, 0.0]);
    let onehot = Vector::<3>::from_array([0.0, 1.0, 0.0]);
    let (l, g) = logitcrossentropy.value_and_gradient(&scores, &onehot);
    assert_eq!(l, 2.0e4);
    assert_eq!(g.to_vec(), vec![1.0, -1.0, 0.0]);

    let scores = Vector::<2>::from_array([1.0e4, -1.0e4]);
    let labels = Vector::<2>::from_array([0.0, 1.0]);
    let (l, g) = logitbinarycrossentropy.value_and_gradient(&scores, &labels);
    assert_eq!(l, 1.0e4);
    assert_eq!(g.to_vec(), vec![0.5, -0.5]);
    let (l, g) =
        logitbinarycrossentropy.value_and_gradient(&scores, &Vector::<2>::from_array([1.0, 0.0]));
    assert_eq!(l, 0.0);
    assert_eq!(g.to_vec(), vec![0.0, 0.0]);

    let dual_scores = Vector::<3, Dual64>::from_array([
        Dual64::new(1.0e4, 1.0),
        Dual64::from(-1.0e4),
        Dual64::from(0.0),
    ]);
    let dual_onehot = Vector::<3, Dual64>::from_array([0.0, 1.0, 0.0].map(Dual64::from));
    let l = logitcrossentropy.value(&dual_scores, &dual_onehot);
    assert_eq!((l.re, l.eps), (2.0e4, 1.0));
}

/// `loss(ŷ, y)` with `ŷ` given by `p`, for forward mode and differences.
fn objective<L: Loss, E: Element>(loss: L, p: &[E], y: &[f64]) -> E {
    let y_hat = Batch::<3, E>::from_slice((Const, 4), p).unwrap();
    let target = Batch::<3, E>::from_fn((Const, 4), |[r, c]| E::from_f64(y[r + 3 * c]).unwrap());
    loss.value(&y_hat, &target)
}

/// Reverse gradient against forward mode and central differences, at `y_hat`
/// (which the gradient is taken at) and target `y`.
fn check_gradient<L: Loss>(loss: L, name: &str, y_hat: &[f64], y: &[f64]) {
    let yh = Batch::<3, f64>::from_slice((Const, 4), y_hat).unwrap();
    let t = Batch::<3, f64>::from_slice((Const, 4), y).unwrap();
    let (value, grad) = loss.value_and_gradient(&yh, &t);
    assert!(
        (value - loss.value(&yh, &t)).abs() < 1e-14,
        "{name}: value_and_gradient's value"
    );
    assert_eq!(grad, loss.gradient(&yh, &t));
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
    check_gradient(mse, "mse", &y_hat, &y);
    check_gradient(mae, "mae", &y_hat, &y);
    check_gradient(huber_loss, "huber_loss", &y_hat, &y);
    check_gradient(
        huber_loss.delta(0.3).agg(Aggregate::Sum),
        "huber_loss δ=0.3",
        &y_hat,
        &y,
    );
    check_gradient(mse.agg(Aggregate::Sum), "mse sum", &y_hat, &y);
}

#[test]
fn gradients_crossentropies() {
    let (probs, onehot) = distributions();
    check_gradient(crossentropy, "crossentropy", &probs, &onehot);
    let soft_targets = distributions().0.iter().rev().copied().collect::<Vec<_>>();
    check_gradient(
        crossentropy,
        "crossentropy, soft targets",
        &probs,
        &soft_targets,
    );
    let scores = random_params(54, 12, 3.0);
    check_gradient(logitcrossentropy, "logitcrossentropy", &scores, &onehot);
    check_gradient(
        logitcrossentropy.agg(Aggregate::Sum),
        "logitcrossentropy sum",
        &scores,
        &soft_targets,
    );
}

#[test]
fn gradients_binary_crossentropies() {
    let probs: Vec<f64> = random_params(55, 12, 4.0)
        .iter()
        .map(|&s| sigmoid.apply(s))
        .collect();
    let labels: Vec<f64> = random_params(56, 12, 1.0)
        .iter()
        .map(|&u| (u > 0.0) as u8 as f64)
        .collect();
    check_gradient(binarycrossentropy, "binarycrossentropy", &probs, &labels);
    let soft: Vec<f64> = random_params(57, 12, 0.5).iter().map(|u| u + 0.5).collect();
    check_gradient(
        binarycrossentropy,
        "binarycrossentropy, soft labels",
        &probs,
        &soft,
    );
    let scores = random_params(58, 12, 4.0);
    check_gradient(
        logitbinarycrossentropy,
        "logitbinarycrossentropy",
        &scores,
        &labels,
    );
    check_gradient(
        logitbinarycrossentropy,
        "logitbinarycrossentropy, soft labels",
        &scores,
        &soft,
    );
}

#[test]
#[should_panic(expected = "mse: prediction 3x4, target 3x5: shapes disagree")]
fn batches_of_different_sizes_panic() {
    let _ = mse.value(
        &Batch::<3>::zeros_with((Const, 4)),
        &Batch::<3>::zeros_with((Const, 5)),
    );
}
