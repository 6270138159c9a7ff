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

// Flux's other losses. Unless said otherwise, the inputs are those of Flux's
// test/losses.jl and the expected numbers were computed independently with
// numpy (f64) from the formulas of Flux's docstrings (src/losses/functions.jl);
// where Flux's tests assert a number, numpy's agrees with it to the last digit
// shown.

/// `|actual - expected| <= tol · max(1, |expected|)` for one number.
#[track_caller]
fn close(actual: f64, expected: f64, tol: f64, what: &str) {
    assert_close(&[actual], &[expected], tol, what);
}

fn row<const N: usize>(values: [f64; N]) -> Matrix<1, N, f64> {
    Tensor::from_array([values])
}

#[test]
fn xlogx_and_xlogy_as_flux_tests_them() {
    use typeflux_nn::loss::{xlogx, xlogy};
    assert_eq!(xlogx(0.0f64), 0.0);
    assert!(xlogx(f64::NAN).is_nan());
    close(xlogx(2.0), 2.0 * 2f64.ln(), 1e-16, "xlogx(2)");
    assert_eq!(xlogy(0.0f64, 1.0), 0.0);
    assert!(xlogy(f64::NAN, 1.0).is_nan());
    assert!(xlogy(1.0, f64::NAN).is_nan());
    assert!(xlogy(f64::NAN, f64::NAN).is_nan());
    close(xlogy(2.0, 3.0), 2.0 * 3f64.ln(), 1e-16, "xlogy(2, 3)");
    // Beyond Flux's cases: 0 at y = 0, a NaN y propagates even at x = 0, and
    // negative arguments of the logarithm are NaN.
    assert_eq!(xlogy(0.0f64, 0.0), 0.0);
    assert!(xlogy(0.0, f64::NAN).is_nan());
    assert!(xlogx(-1.0f64).is_nan());
    assert_eq!(xlogx(0.0f32), 0.0);
    // Derivatives by forward mode: d/dx x ln x = ln x + 1, ∂/∂x x ln y = ln y,
    // ∂/∂y x ln y = x / y, and 0 at x = 0.
    assert_eq!(xlogx(Dual64::new(2.0, 1.0)).eps, 2f64.ln() + 1.0);
    assert_eq!(
        xlogy(Dual64::new(0.0, 1.0), Dual64::from(3.0)).eps,
        3f64.ln()
    );
    assert_eq!(xlogy(Dual64::from(2.0), Dual64::new(5.0, 1.0)).eps, 0.4);
    assert_eq!(xlogx(Dual64::new(0.0, 1.0)).eps, 0.0);
}

#[test]
fn regression_losses_match_flux() {
    // msle: y = [123, 456, 789], ŷ = [345, 332, 789].
    let y = Vector::<3, f64>::from_array([123.0, 456.0, 789.0]);
    let y_hat = Vector::<3, f64>::from_array([345.0, 332.0, 789.0]);
    close(
        msle(&y_hat, &y).item(),
        0.388_139_858_591_365_85,
        1e-15,
        "msle",
    );
    // ln((ŷ + ϵ)/(y + ϵ))² with ϵ = 0 and 1: the second at ŷ = y = 0 is 0.
    let eps0 = Msle::new().eps(0.0).agg(Aggregate::Sum);
    let by_hand = (345.0f64 / 123.0).ln().powi(2) + (332.0f64 / 456.0).ln().powi(2);
    close(value(eps0, &y_hat, &y), by_hand, 1e-15, "msle, ϵ = 0, sum");
    let zero = Vector::<1, f64>::zeros();
    assert_eq!(msle(&zero, &zero).item(), 0.0);

    // poisson_loss: y = [0.1 0.2 0.3], ŷ = [0.4 0.5 0.6].
    let y = row([0.1, 0.2, 0.3]);
    let y_hat = row([0.4, 0.5, 0.6]);
    close(
        poisson_loss(&y_hat, &y).item(),
        0.627_835_398_809_733_9,
        1e-15,
        "poisson",
    );
    close(
        poisson_loss(&y, &y).item(),
        0.504_445_977_694_668_5,
        1e-15,
        "poisson(y, y)",
    );
    // A count of 0 with a rate of 0 costs nothing: xlogy(0, 0) = 0.
    let counts = Vector::<2, f64>::from_array([0.0, 2.0]);
    let rates = Vector::<2, f64>::from_array([0.0, 2.0]);
    close(
        value(PoissonLoss::new().agg(Aggregate::Sum), &rates, &counts),
        2.0 - 2.0 * 2f64.ln(),
        1e-15,
        "poisson at a zero count",
    );

    // hinge_loss and squared_hinge_loss: y = [1 2 3 4], ŷ = [5 6 7 8].
    let y = row([1.0, 2.0, 3.0, 4.0]);
    let y_hat = row([5.0, 6.0, 7.0, 8.0]);
    let half = &y * 0.5;
    assert_eq!(hinge_loss(&y_hat, &y).item(), 0.0);
    close(hinge_loss(&y, &half).item(), 0.125, 1e-16, "hinge(y, y/2)");
    assert_eq!(squared_hinge_loss(&y_hat, &y).item(), 0.0);
    close(
        squared_hinge_loss(&y, &half).item(),
        0.0625,
        1e-16,
        "squared hinge(y, y/2)",
    );
}

#[test]
fn distribution_losses_match_flux() {
    // crossentropy: ŷ = [.1 .9; .9 .1; .9 .1; .1 .9]', y = onehotbatch([1, 1, 0, 0], 0:1).
    let y_hat = Matrix::<2, 4, f64>::from_array([[0.1, 0.9, 0.9, 0.1], [0.9, 0.1, 0.1, 0.9]]);
    let y = Matrix::<2, 4, f64>::from_array([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]]);
    close(
        crossentropy(&y_hat, &y).item(),
        1.203_972_804_325_935,
        1e-15,
        "crossentropy",
    );
    let smoothed = label_smoothing(&y, 0.1);
    close(
        crossentropy(&y_hat, &smoothed).item(),
        1.203_972_804_325_934_8,
        1e-15,
        "crossentropy, smoothed targets",
    );
    // xlogy: a one-hot prediction of a one-hot target costs exactly 0, even
    // with ϵ = 0, where ln 0 meets a target of 0.
    assert_eq!(value(CrossEntropy::new().eps(0.0), &y, &y), 0.0);
    // A class with probability 0 on both sides changes nothing.
    let with_zero = Vector::<3, f64>::from_array([0.1, 0.0, 0.9]);
    let without = Vector::<2, f64>::from_array([0.1, 0.9]);
    close(
        crossentropy(&with_zero, &with_zero).item(),
        crossentropy(&without, &without).item(),
        1e-15,
        "crossentropy with a class of probability 0",
    );

    // kldivergence: y = [1 2 3], ŷ = [4.0 5.0 6.0], each column one distribution.
    let y = row([1.0, 2.0, 3.0]);
    let y_hat = row([4.0, 5.0, 6.0]);
    close(
        kldivergence(&y_hat, &y).item(),
        -1.766_105_788_849_345_7,
        1e-15,
        "kldivergence",
    );
    assert!(kldivergence(&y, &y).item().abs() < 1e-15);
    close(
        kldivergence(&with_zero, &with_zero).item(),
        kldivergence(&without, &without).item(),
        1e-15,
        "kldivergence with a class of probability 0",
    );
    // Against its definition, Σ y ln(y / ŷ), per column then the mean.
    let p = Matrix::<3, 2, f64>::from_array([[0.2, 0.5], [0.3, 0.5], [0.5, 0.0]]);
    let q = Matrix::<3, 2, f64>::from_array([[0.1, 0.25], [0.6, 0.25], [0.3, 0.5]]);
    let by_hand = (0.2 * 2f64.ln()
        + 0.3 * 0.5f64.ln()
        + 0.5 * (5.0f64 / 3.0).ln()
        + 0.5 * 2f64.ln()
        + 0.5 * 2f64.ln())
        / 2.0;
    close(
        value(KlDivergence::new().eps(0.0), &q, &p),
        by_hand,
        1e-15,
        "kl by hand",
    );

    // focal_loss: y = [1 0 0 0 1; 0 1 0 1 0; 0 0 1 0 0], ŷ = softmax(reshape(-7:7, 3, 5)).
    // (Flux's test builds ŷ in Float32; this is the f64 value.)
    let scores = Matrix::<3, 5, f64>::from_fn((Const, Const), |[i, j]| -7.0 + (3 * j + i) as f64);
    let y_hat = softmax.forward(scores);
    let y = Matrix::<3, 5, f64>::from_array([
        [1.0, 0.0, 0.0, 0.0, 1.0],
        [0.0, 1.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0, 0.0, 0.0],
    ]);
    close(
        focal_loss(&y_hat, &y).item(),
        1.127_756_503_370_684_7,
        1e-14,
        "focal",
    );
    assert_eq!(
        value(FocalLoss::new().gamma(0.0), &y_hat, &y),
        crossentropy(&y_hat, &y).item(),
        "focal loss with γ = 0 is the cross-entropy"
    );
    let y_hat1 = Matrix::<3, 2, f64>::from_array([[0.4, 0.2], [0.3, 0.3], [0.3, 0.5]]);
    let y1 = Matrix::<3, 2, f64>::from_array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]);
    close(
        focal_loss(&y_hat1, &y1).item(),
        0.251_575_729_307_340_7,
        1e-15,
        "focal, ŷ1",
    );
    // γ = 1 by hand: -(0.6 ln 0.4 + 0.5 ln 0.5) / 2.
    let by_hand = -(0.6 * 0.4f64.ln() + 0.5 * 0.5f64.ln()) / 2.0;
    close(
        value(FocalLoss::new().gamma(1.0).eps(0.0), &y_hat1, &y1),
        by_hand,
        1e-15,
        "focal, γ = 1",
    );
}

#[test]
fn binary_losses_match_flux() {
    // binary_focal_loss: y = [0 1 0; 1 0 1], ŷ = [0.268941 0.5 0.268941; 0.731059 0.5 0.731059].
    let y = Matrix::<2, 3, f64>::from_array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]);
    let y_hat =
        Matrix::<2, 3, f64>::from_array([[0.268_941, 0.5, 0.268_941], [0.731_059, 0.5, 0.731_059]]);
    close(
        binary_focal_loss(&y_hat, &y).item(),
        0.072_867_561_592_738_5,
        1e-14,
        "binary focal",
    );
    let y1 = Matrix::<2, 2, f64>::from_array([[1.0, 0.0], [0.0, 1.0]]);
    let y_hat1 = Matrix::<2, 2, f64>::from_array([[0.6, 0.3], [0.4, 0.7]]);
    close(
        binary_focal_loss(&y_hat1, &y1).item(),
        0.056_916_422_378_522_22,
        1e-14,
        "binary focal, ŷ1",
    );
    assert_eq!(
        value(BinaryFocalLoss::new().gamma(0.0), &y_hat, &y),
        binarycrossentropy(&y_hat, &y).item(),
        "binary focal loss with γ = 0 is the binary cross-entropy"
    );
    // A sigmoid saturated at 1 for the label 0 (f32 does this from a score
    // of about 17) costs -(1 - 0)² ln ϵ, finite.
    let saturated = Vector::<1>::from_array([1.0]);
    let label = Vector::<1>::from_array([0.0]);
    let (l, g) = value_and_grad(BinaryFocalLoss::new(), &saturated, &label);
    assert_eq!(l, -f32::EPSILON.ln());
    assert!(g[0].is_finite());

    // binarycrossentropy against its formula with ϵ = 0, on labels smoothed
    // toward ½ (Flux's test with `label_smoothing(y, 2sf; dims=0)`).
    let probs: Vector<3, f64> = Tensor::from_array([-0.3, 1.2, 0.4]).map(scalar::sigmoid);
    let labels = Vector::<3, f64>::from_array([0.2, 0.9, 0.5]);
    let smooth = LabelSmoothing::new(0.2).dims(0).smooth(&labels);
    let expected: f64 = probs
        .iter()
        .zip(smooth.iter())
        .map(|(p, y)| -y * p.ln() - (1.0 - y) * (1.0 - p).ln())
        .sum::<f64>()
        / 3.0;
    close(
        value(BinaryCrossEntropy::new().eps(0.0), &probs, &smooth),
        expected,
        1e-15,
        "binarycrossentropy, ϵ = 0",
    );
    // A constant label of 1: the mean of -ln ŷ (Flux's test with a scalar label).
    let p = Vector::<3, f64>::from_array([0.1, 0.2, 0.9]);
    close(
        value(BinaryCrossEntropy::new().eps(0.0), &p, &Vector::ones()),
        -(0.1f64.ln() + 0.2f64.ln() + 0.9f64.ln()) / 3.0,
        1e-15,
        "binarycrossentropy of a constant label",
    );
    // Labels of exactly 0 and 1 predicted exactly, with ϵ = 0: xlogy keeps it 0.
    let exact = Vector::<2, f64>::from_array([0.0, 1.0]);
    assert_eq!(
        value(BinaryCrossEntropy::new().eps(0.0), &exact, &exact),
        0.0
    );
}

#[test]
fn segmentation_losses_match_flux() {
    // y = [1.0 0.5 0.3 2.4], ŷ = [0 1.4 0.5 1.2].
    let y = row([1.0, 0.5, 0.3, 2.4]);
    let y_hat = row([0.0, 1.4, 0.5, 1.2]);
    close(dice_coeff_loss(&y_hat, &y).item(), 0.28, 1e-15, "dice");
    assert!(dice_coeff_loss(&y, &y).item().abs() < 1e-15);
    // smooth = 0: 1 - 2·3.73 / (7.1 + 3.65).
    close(
        value(DiceCoeffLoss::new().smooth(0.0), &y_hat, &y),
        1.0 - 7.46 / 10.75,
        1e-15,
        "dice, smooth = 0",
    );
    close(
        tversky_loss(&y_hat, &y).item(),
        -0.067_720_090_293_453_83,
        1e-15,
        "tversky",
    );
    close(
        value(TverskyLoss::new().beta(0.8), &y_hat, &y),
        -0.094_907_407_407_407_44,
        1e-15,
        "tversky, β = 0.8",
    );
    close(
        tversky_loss(&y, &y).item(),
        -0.557_692_307_692_307_5,
        1e-15,
        "tversky(y, y)",
    );
    // β = ½ by hand: the false positives 0.3 and false negatives
    // 0.2 + 0.4 + 0.1 weigh ½ each next to the overlap 2.3.
    let mask = row([1.0, 0.0, 1.0, 1.0]);
    let soft = row([0.8, 0.3, 0.6, 0.9]);
    close(
        value(TverskyLoss::new().beta(0.5), &soft, &mask),
        1.0 - (2.3 + 1.0) / (2.3 + 0.5 * 0.3 + 0.5 * 0.7 + 1.0),
        1e-15,
        "tversky, β = ½",
    );
}

#[test]
fn siamese_contrastive_loss_matches_flux() {
    // Flux's docstring: ŷ = [0.5, 1.5, 2.5], y = 1:3.
    let y_hat = Vector::<3, f64>::from_array([0.5, 1.5, 2.5]);
    let y = Vector::<3, f64>::from_array([1.0, 2.0, 3.0]);
    close(
        siamese_contrastive_loss(&y_hat, &y).item(),
        -4.833_333_333_333_333,
        1e-15,
        "siamese",
    );
    close(
        value(SiameseContrastiveLoss::new().margin(2.0), &y_hat, &y),
        -4.0,
        1e-15,
        "siamese, margin 2",
    );
    // Flux's test inputs: ŷ = [0.4 0.2; 0.3 0.3; 0.3 0.5], y = [1 0; 0 0; 0 1].
    let y_hat = Matrix::<3, 2, f64>::from_array([[0.4, 0.2], [0.3, 0.3], [0.3, 0.5]]);
    let y = Matrix::<3, 2, f64>::from_array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]);
    let with = |margin: f64| value(SiameseContrastiveLoss::new().margin(margin), &y_hat, &y);
    close(
        with(1.0),
        0.153_333_333_333_333_32,
        1e-15,
        "siamese, margin 1",
    );
    close(
        with(0.5),
        0.053_333_333_333_333_34,
        1e-15,
        "siamese, margin 0.5",
    );
    close(with(1.5), 0.42, 1e-15, "siamese, margin 1.5");
    // ŷ = softmax(reshape(-7:7, 3, 5)), y = [1 0 0 0 1; 0 1 0 1 0; 0 0 1 0 0].
    let scores = Matrix::<3, 5, f64>::from_fn((Const, Const), |[i, j]| -7.0 + (3 * j + i) as f64);
    let y = Matrix::<3, 5, f64>::from_array([
        [1.0, 0.0, 0.0, 0.0, 1.0],
        [0.0, 1.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0, 0.0, 0.0],
    ]);
    close(
        siamese_contrastive_loss(&softmax.forward(scores), &y).item(),
        0.325_546_480_066_777_8,
        1e-14,
        "siamese, softmax inputs",
    );
}

#[test]
#[should_panic(expected = "siamese_contrastive_loss: margin -0.5 is not ≥ 0")]
fn a_negative_margin_panics() {
    let x = Vector::<2, f64>::ones();
    let _ = SiameseContrastiveLoss::new().margin(-0.5).loss(&x, &x);
}

#[test]
fn label_smoothing_as_flux_tests_it() {
    // label_smoothing(onehotbatch([1], 0:1), 0.2) == [0.1 0.9]'.
    let onehot = Matrix::<2, 1, f64>::from_array([[0.0], [1.0]]);
    assert_eq!(label_smoothing(&onehot, 0.2).to_vec(), vec![0.1, 0.9]);
    // dims = 0 smooths each element as a binary label, toward ½.
    let labels = Matrix::<2, 1, f64>::from_array([[0.0], [1.0]]);
    assert_eq!(
        LabelSmoothing::new(0.2).dims(0).smooth(&labels).to_vec(),
        vec![0.1, 0.9]
    );
    // Four classes: 1 → 1 - α + α/4, 0 → α/4; each column still sums to 1.
    let y = Matrix::<4, 2, f64>::from_array([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]);
    let s = label_smoothing(&y, 0.1);
    assert_eq!(
        s.to_vec(),
        vec![0.025, 0.025, 0.925, 0.025, 0.925, 0.025, 0.025, 0.025]
    );
    for column in s.columns() {
        close(
            column.iter().sum(),
            1.0,
            1e-15,
            "a smoothed column sums to 1",
        );
    }
}

#[test]
#[should_panic(expected = "label_smoothing: α = 1.2 is not between 0 and 1")]
fn label_smoothing_rejects_alpha_above_one() {
    let _ = label_smoothing(&Vector::<4, f64>::from_array([0.0, 0.0, 1.0, 0.0]), 1.2);
}

#[test]
#[should_panic(expected = "label_smoothing: α = 0 is not between 0 and 1")]
fn label_smoothing_rejects_alpha_zero() {
    let _ = label_smoothing(&Vector::<4, f64>::from_array([0.0, 0.0, 1.0, 0.0]), 0.0);
}

#[test]
#[should_panic(expected = "label_smoothing: dims = 2")]
fn label_smoothing_rejects_other_dims() {
    let _ = LabelSmoothing::new(0.1)
        .dims(2)
        .smooth(&Vector::<2, f64>::zeros());
}

/// `loss` with `Aggregate::Sum` is `count ×` the mean, in value and gradient.
fn check_sum<L: Loss>(mean: L, sum: L, name: &str, count: f64, y_hat: &[f64], y: &[f64]) {
    let yh = Batch::<3, f64>::from_slice((Const, 4), y_hat).unwrap();
    let t = Batch::<3, f64>::from_slice((Const, 4), y).unwrap();
    let (m, gm) = value_and_grad(mean, &yh, &t);
    let (s, gs) = value_and_grad(sum, &yh, &t);
    close(s, count * m, 1e-14, &format!("{name}: sum vs mean"));
    let scaled: Vec<f64> = gm.iter().map(|g| count * g).collect();
    assert_close(
        &gs.to_vec(),
        &scaled,
        1e-14,
        &format!("{name}: gradient of the sum"),
    );
}

#[test]
fn sums_are_counts_times_means() {
    let y_hat = random_params(60, 12, 1.0)
        .iter()
        .map(|u| 1.5 + u)
        .collect::<Vec<_>>();
    let y = random_params(61, 12, 1.0)
        .iter()
        .map(|u| 1.5 + u)
        .collect::<Vec<_>>();
    let (probs, onehot) = distributions();
    let sum = Aggregate::Sum;
    // Elementwise losses: 12 terms; distributions: 4 columns.
    check_sum(Msle::new(), Msle::new().agg(sum), "msle", 12.0, &y_hat, &y);
    check_sum(
        PoissonLoss::new(),
        PoissonLoss::new().agg(sum),
        "poisson",
        12.0,
        &y_hat,
        &y,
    );
    check_sum(
        HingeLoss::new(),
        HingeLoss::new().agg(sum),
        "hinge",
        12.0,
        &y_hat,
        &y,
    );
    check_sum(
        SquaredHingeLoss::new(),
        SquaredHingeLoss::new().agg(sum),
        "squared hinge",
        12.0,
        &y_hat,
        &y,
    );
    check_sum(
        SiameseContrastiveLoss::new(),
        SiameseContrastiveLoss::new().agg(sum),
        "siamese",
        12.0,
        &y_hat,
        &onehot,
    );
    check_sum(
        BinaryFocalLoss::new(),
        BinaryFocalLoss::new().agg(sum),
        "binary focal",
        12.0,
        &probs,
        &onehot,
    );
    check_sum(
        KlDivergence::new(),
        KlDivergence::new().agg(sum),
        "kl",
        4.0,
        &probs,
        &onehot,
    );
    check_sum(
        FocalLoss::new(),
        FocalLoss::new().agg(sum),
        "focal",
        4.0,
        &probs,
        &onehot,
    );
}

#[test]
fn gradients_of_flux_s_other_losses() {
    let positive = |seed| -> Vec<f64> {
        random_params(seed, 12, 1.0)
            .iter()
            .map(|u| 1.5 + u)
            .collect()
    };
    check_gradient(Msle::new(), "msle", &positive(70), &positive(71));
    check_gradient(
        Msle::new().eps(0.1),
        "msle, ϵ = 0.1",
        &positive(72),
        &positive(73),
    );
    let mut counts = positive(74).iter().map(|c| c.round()).collect::<Vec<_>>();
    counts[3] = 0.0;
    check_gradient(PoissonLoss::new(), "poisson", &positive(75), &counts);

    let scores = random_params(76, 12, 2.0);
    let signs: Vec<f64> = random_params(77, 12, 1.0)
        .iter()
        .map(|&u| if u > 0.0 { 1.0 } else { -1.0 })
        .collect();
    check_gradient(HingeLoss::new(), "hinge", &scores, &signs);
    check_gradient(SquaredHingeLoss::new(), "squared hinge", &scores, &signs);

    let (probs, onehot) = distributions();
    let soft = distributions().0.iter().rev().copied().collect::<Vec<_>>();
    check_gradient(KlDivergence::new(), "kldivergence", &probs, &onehot);
    check_gradient(KlDivergence::new(), "kldivergence, soft", &probs, &soft);
    check_gradient(FocalLoss::new(), "focal", &probs, &onehot);
    check_gradient(FocalLoss::new().gamma(0.5), "focal, γ = ½", &probs, &soft);
    check_gradient(
        CrossEntropy::new().eps(0.0),
        "crossentropy, ϵ = 0",
        &probs,
        &onehot,
    );

    let sigmoids: Vec<f64> = random_params(78, 12, 3.0)
        .iter()
        .map(|&s| scalar::sigmoid(s))
        .collect();
    let labels: Vec<f64> = signs.iter().map(|&s| (s + 1.0) / 2.0).collect();
    check_gradient(BinaryFocalLoss::new(), "binary focal", &sigmoids, &labels);
    check_gradient(
        BinaryFocalLoss::new().gamma(3.0),
        "binary focal, γ = 3",
        &sigmoids,
        &soft,
    );
    check_gradient(
        BinaryCrossEntropy::new().eps(0.0),
        "bce, ϵ = 0",
        &sigmoids,
        &labels,
    );

    check_gradient(DiceCoeffLoss::new(), "dice", &sigmoids, &labels);
    check_gradient(
        DiceCoeffLoss::new().smooth(0.5),
        "dice, s = ½",
        &sigmoids,
        &soft,
    );
    check_gradient(TverskyLoss::new(), "tversky", &sigmoids, &labels);
    check_gradient(
        TverskyLoss::new().beta(0.2),
        "tversky, β = 0.2",
        &sigmoids,
        &soft,
    );

    let distances = positive(79);
    check_gradient(
        SiameseContrastiveLoss::new(),
        "siamese",
        &distances,
        &labels,
    );
    check_gradient(
        SiameseContrastiveLoss::new().margin(2.5),
        "siamese, margin 2.5",
        &distances,
        &labels,
    );
}

/// A NaN in the prediction makes the loss NaN and its gradient there NaN.
fn check_nan<L: Loss>(loss: L, name: &str, y_hat: &[f64], y: &[f64]) {
    let mut poisoned = y_hat.to_vec();
    poisoned[5] = f64::NAN;
    let yh = Batch::<3, f64>::from_slice((Const, 4), &poisoned).unwrap();
    let t = Batch::<3, f64>::from_slice((Const, 4), y).unwrap();
    let (l, g) = value_and_grad(loss, &yh, &t);
    assert!(l.is_nan(), "{name}: loss {l} from a NaN prediction");
    assert!(
        g[[2, 1]].is_nan(),
        "{name}: gradient {:?} at the NaN",
        g.to_vec()
    );
    assert!(value(loss, &yh, &t).is_nan(), "{name}: plain loss");
}

#[test]
fn nan_predictions_propagate() {
    let (probs, onehot) = distributions();
    // The NaN sits where the target is 0, where xlogy's term is 0 otherwise.
    assert_eq!(onehot[5], 0.0);
    let scores = random_params(80, 12, 2.0);
    check_nan(Mse::new(), "mse", &scores, &onehot);
    check_nan(Mae::new(), "mae", &scores, &onehot);
    check_nan(Msle::new(), "msle", &probs, &onehot);
    check_nan(HuberLoss::new(), "huber", &scores, &onehot);
    check_nan(PoissonLoss::new(), "poisson", &probs, &onehot);
    check_nan(CrossEntropy::new(), "crossentropy", &probs, &onehot);
    check_nan(
        LogitCrossEntropy::new(),
        "logitcrossentropy",
        &scores,
        &onehot,
    );
    check_nan(KlDivergence::new(), "kldivergence", &probs, &onehot);
    check_nan(FocalLoss::new(), "focal", &probs, &onehot);
    check_nan(BinaryCrossEntropy::new(), "bce", &probs, &onehot);
    check_nan(
        LogitBinaryCrossEntropy::new(),
        "logit bce",
        &scores,
        &onehot,
    );
    check_nan(BinaryFocalLoss::new(), "binary focal", &probs, &onehot);
    check_nan(HingeLoss::new(), "hinge", &scores, &onehot);
    check_nan(SquaredHingeLoss::new(), "squared hinge", &scores, &onehot);
    check_nan(DiceCoeffLoss::new(), "dice", &probs, &onehot);
    check_nan(TverskyLoss::new(), "tversky", &probs, &onehot);
    check_nan(SiameseContrastiveLoss::new(), "siamese", &probs, &onehot);
}

#[test]
fn eps_is_the_element_type_s_own() {
    // A probability of 0 for the true class: -ln ϵ, with f32's ϵ in f32.
    let zero = Vector::<2>::from_array([0.0, 1.0]);
    let first = Vector::<2>::from_array([1.0, 0.0]);
    close(
        f64::from(crossentropy(&zero, &first).item()),
        -f64::from(f32::EPSILON.ln()),
        1e-6,
        "crossentropy in f32",
    );
    close(
        f64::from(value(CrossEntropy::new().eps(1e-3), &zero, &first)),
        -(1e-3f64.ln()),
        1e-6,
        "crossentropy, ϵ = 1e-3",
    );
    // Dual numbers: the loss's derivative along a direction of ŷ.
    let y_hat = Vector::<2, Dual64>::from_array([Dual64::new(0.25, 1.0), Dual64::new(0.75, -1.0)]);
    let y = Vector::<2, Dual64>::from_array([Dual64::from(0.5), Dual64::from(0.5)]);
    let l = value(KlDivergence::new().eps(0.0), &y_hat, &y);
    close(
        l.re,
        0.5 * (2f64.ln() + (2.0f64 / 3.0).ln()),
        1e-15,
        "kl of duals",
    );
    close(
        l.eps,
        -0.5 / 0.25 + 0.5 / 0.75,
        1e-15,
        "kl's directional derivative",
    );
}
