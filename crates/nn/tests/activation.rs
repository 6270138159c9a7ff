//! Activations: reference values, derivatives against forward mode and
//! finite differences, and finite results far out in the tails.

mod common;

use common::{assert_close, finite_difference_gradient, forward_mode_gradient, random_params};
use typeflux_ad::reverse::pullback;
use typeflux_core::elementwise::{Elementwise, Math};
use typeflux_core::num_dual::Dual64;
use typeflux_core::prelude::*;
use typeflux_nn::activation::Activation;
use typeflux_nn::prelude::*;

/// The value of the activation `A` at `x`.
fn at<A: Elementwise, T: Math>(_: A, x: T) -> T {
    A::apply(x)
}

#[test]
fn reference_values() {
    let cases: [(&str, f64, f64); 14] = [
        ("sigmoid(0)", at(sigmoid, 0.0), 0.5),
        ("sigmoid(1)", at(sigmoid, 1.0), 0.731_058_578_630_004_9),
        ("sigmoid(-1)", at(sigmoid, -1.0), 0.268_941_421_369_995_1),
        ("relu(-1)", at(relu, -1.0), 0.0),
        ("relu(2)", at(relu, 2.0), 2.0),
        ("leakyrelu(-1)", at(leakyrelu, -1.0), -0.01),
        ("elu(-1)", at(elu, -1.0), (-1.0f64).exp() - 1.0),
        ("elu(2)", at(elu, 2.0), 2.0),
        ("gelu(1)", at(gelu, 1.0), 0.841_191_990_608_276_8),
        ("gelu(-1)", at(gelu, -1.0), -0.158_808_009_391_723_2),
        ("swish(1)", at(swish, 1.0), 0.731_058_578_630_004_9),
        ("softplus(0)", at(softplus, 0.0), core::f64::consts::LN_2),
        ("softplus(2)", at(softplus, 2.0), (1.0 + 2.0f64.exp()).ln()),
        ("tanh(1)", at(tanh, 1.0), 0.761_594_155_955_764_9),
    ];
    for (name, actual, expected) in cases {
        assert!(
            (actual - expected).abs() < 1e-15,
            "{name}: {actual} vs {expected}"
        );
    }
    assert_eq!(
        identity
            .forward(Vector::<2>::from_array([-3.0, 4.0]))
            .to_vec(),
        vec![-3.0, 4.0]
    );
}

/// Every elementwise activation's derivative at `points`: the one it reports,
/// the tensor pullback's, forward mode's and central differences'.
fn check_elementwise<A: Elementwise>(activation: A) {
    let name = core::any::type_name::<A>();
    let points = [-3.1, -1.2, -0.4, -0.05, 0.07, 0.6, 1.9, 4.2];
    let reported: Vec<f64> = points.iter().map(|&x| A::value_and_slope(x).1).collect();
    let values: Vec<f64> = points.iter().map(|&x| A::value_and_slope(x).0).collect();
    let applied: Vec<f64> = points.iter().map(|&x| at(activation, x)).collect();
    assert_eq!(values, applied, "{name}: value_and_slope's value");

    let forward: Vec<f64> = points
        .iter()
        .map(|&x| at(activation, Dual64::new(x, 1.0)).eps)
        .collect();
    let fd = finite_difference_gradient(&points, 1e-6, |p| {
        p.iter().map(|&x| at(activation, x)).sum()
    });
    assert_close(
        &reported,
        &forward,
        1e-13,
        &format!("{name} vs forward mode"),
    );
    assert_close(
        &reported,
        &fd,
        1e-7,
        &format!("{name} vs finite differences"),
    );

    // The traced activation multiplies the output gradient by the slopes.
    let x = Vector::<8, f64>::from_array(points);
    let dy = Vector::<8, f64>::from_array([1.0, -2.0, 0.5, 3.0, -1.0, 2.0, 0.25, -0.5]);
    let (y, back) = pullback(|x| x.activate(activation), &x);
    assert_eq!(y.to_vec(), applied);
    let mut plain = x.clone();
    activation.activate(&mut plain, false);
    assert_eq!(plain.to_vec(), applied);
    let dx = back(dy.clone());
    let expected: Vec<f64> = reported.iter().zip(dy.iter()).map(|(d, g)| d * g).collect();
    assert_close(&dx.to_vec(), &expected, 1e-15, &format!("{name} pullback"));
}

#[test]
fn sigmoid_derivative() {
    check_elementwise(sigmoid);
}

#[test]
fn relu_derivative() {
    check_elementwise(relu);
}

#[test]
fn leakyrelu_derivative() {
    check_elementwise(leakyrelu);
}

#[test]
fn elu_derivative() {
    check_elementwise(elu);
}

#[test]
fn gelu_derivative() {
    check_elementwise(gelu);
}

#[test]
fn swish_derivative() {
    check_elementwise(swish);
}

#[test]
fn softplus_derivative() {
    check_elementwise(softplus);
}

#[test]
fn tanh_derivative() {
    check_elementwise(tanh);
}

/// The limits each activation approaches at `-∞` and `+∞` (value, slope),
/// checked at ±1e4 with `f32`, `f64` and dual numbers.
fn check_tails<A: Elementwise>(activation: A, low: (f64, f64), high: (f64, f64)) {
    let name = core::any::type_name::<A>();
    for (x, (value, slope)) in [(-1.0e4, low), (1.0e4, high)] {
        let (v, d) = A::value_and_slope(x);
        assert!(
            (v - value).abs() <= 1e-12 * value.abs().max(1.0),
            "{name}({x}) = {v}"
        );
        assert!((d - slope).abs() <= 1e-12, "{name}'({x}) = {d}");

        let (v32, d32) = A::value_and_slope(x as f32);
        assert!(
            v32.is_finite() && d32.is_finite(),
            "{name}({x}) in f32: {v32}, {d32}"
        );
        assert!(
            (f64::from(v32) - value).abs() <= 1e-6 * value.abs().max(1.0),
            "{name}({x}) in f32 = {v32}"
        );

        let dual = at(activation, Dual64::new(x, 1.0));
        assert!(
            dual.re.is_finite() && dual.eps.is_finite(),
            "{name}({x}) as a dual: {dual:?}"
        );
        assert!(
            (dual.eps - slope).abs() <= 1e-12,
            "{name}'({x}) by forward mode = {}",
            dual.eps
        );
    }
}

#[test]
fn tails_are_finite() {
    check_tails(sigmoid, (0.0, 0.0), (1.0, 0.0));
    check_tails(relu, (0.0, 0.0), (1.0e4, 1.0));
    check_tails(leakyrelu, (-100.0, 0.01), (1.0e4, 1.0));
    check_tails(elu, (-1.0, 0.0), (1.0e4, 1.0));
    check_tails(gelu, (0.0, 0.0), (1.0e4, 1.0));
    check_tails(swish, (0.0, 0.0), (1.0e4, 1.0));
    check_tails(softplus, (0.0, 0.0), (1.0e4, 1.0));
    check_tails(tanh, (-1.0, 0.0), (1.0, 0.0));
}

#[test]
fn softmax_columns_sum_to_one() {
    let x =
        Batch::<3, f64>::from_slice((Const, 3), &[1.0, 2.0, 3.0, -5.0, 0.0, 5.0, 0.0, 0.0, 0.0])
            .unwrap();
    let y = softmax.forward(&x);
    for column in y.columns() {
        assert!((column.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    }
    let e: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|v| v.exp()).collect();
    let total: f64 = e.iter().sum();
    assert_close(
        &y.column(0).to_vec(),
        &e.iter().map(|v| v / total).collect::<Vec<_>>(),
        1e-15,
        "softmax",
    );
    assert_close(&y.column(2).to_vec(), &[1.0 / 3.0; 3], 1e-15, "uniform");

    let log = logsoftmax.forward(&x);
    let expected: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    assert_close(&log.to_vec(), &expected, 1e-14, "logsoftmax = ln softmax");
}

#[test]
fn softmax_of_huge_scores_is_finite() {
    let x = Vector::<3>::from_array([1.0e4, 0.0, -1.0e4]);
    assert_eq!(softmax.forward(&x).to_vec(), vec![1.0, 0.0, 0.0]);
    assert_eq!(logsoftmax.forward(&x).to_vec(), vec![0.0, -1.0e4, -2.0e4]);
    let (_, back) = pullback(|x| softmax.forward(x), &x);
    let dx = back(Vector::<3>::from_array([1.0, 2.0, 3.0]));
    assert!(dx.iter().all(|d| d.is_finite()));
    let (_, back) = pullback(|x| logsoftmax.forward(x), &x);
    let dx = back(Vector::<3>::from_array([1.0, 2.0, 3.0]));
    assert_eq!(dx.to_vec(), vec![1.0 - 6.0, 2.0, 3.0]);
}

const COLUMNS: usize = 3;

/// `Σ c ⊙ activation(x)` for a 4 × 3 batch `x` given by `p`.
fn column_objective<A: Activation, E: Element>(p: &[E], activation: A, c: &[f64]) -> E {
    let mut y = Batch::<4, E>::from_slice((Const, COLUMNS), p).unwrap();
    activation.activate(&mut y, false);
    y.iter()
        .zip(c)
        .fold(E::zero(), |s, (&y, &c)| s + y * E::from_f64(c).unwrap())
}

fn check_columnwise<A: Activation>(activation: A) {
    let name = core::any::type_name::<A>();
    let p = random_params(31, 4 * COLUMNS, 3.0);
    let c = random_params(32, 4 * COLUMNS, 1.0);
    let x = Batch::<4, f64>::from_slice((Const, COLUMNS), &p).unwrap();
    let (_, back) = pullback(|x| x.activate(activation), x);
    let dx = back(Batch::<4, f64>::from_slice((Const, COLUMNS), &c).unwrap());
    let forward = forward_mode_gradient(&p, |q| column_objective(q, activation, &c));
    let fd = finite_difference_gradient(&p, 1e-6, |q| column_objective(q, activation, &c));
    assert_close(
        &dx.to_vec(),
        &forward,
        1e-13,
        &format!("{name} vs forward mode"),
    );
    assert_close(
        &dx.to_vec(),
        &fd,
        1e-7,
        &format!("{name} vs finite differences"),
    );
}

#[test]
fn softmax_pullback() {
    check_columnwise(softmax);
}

#[test]
fn logsoftmax_pullback() {
    check_columnwise(logsoftmax);
}

#[test]
fn elementwise_pullback_on_a_batch() {
    check_columnwise(gelu);
    check_columnwise(identity);
}

#[test]
fn a_borrowed_input_is_left_as_it_was() {
    let x = Vector::<3>::from_array([-1.0, 0.5, 2.0]);
    assert_eq!(relu.forward(&x).to_vec(), vec![0.0, 0.5, 2.0]);
    let (y, back) = pullback(|x| relu.forward(x), &x);
    assert_eq!(y.to_vec(), vec![0.0, 0.5, 2.0]);
    assert_eq!(back(Vector::<3>::ones()).to_vec(), vec![0.0, 1.0, 1.0]);
    // The caller's tensor is untouched.
    assert_eq!(x.to_vec(), vec![-1.0, 0.5, 2.0]);
}

#[test]
fn atan_is_an_activation_from_its_one_declaration() {
    // Flux has no `atan` activation; typeflux's table gives every operation
    // a layer, a rule and a derivative: d/dx atan x = 1 / (1 + x²).
    let x = Vector::<3, f64>::from_array([-2.0, 0.0, 0.5]);
    let layer = Dense::<3, 3, typeflux_nn::activation::Atan, f64>::from_parts(
        Matrix::from_array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
        false,
        typeflux_core::elementwise::Atan,
    );
    assert_eq!(layer.forward(&x), x.atan());
    let g = typeflux_ad::gradient(|x| layer.forward(x).sum(), &x);
    let expected: Vec<f64> = x.iter().map(|v| 1.0 / (1.0 + v * v)).collect();
    assert_close(&g.to_vec(), &expected, 1e-15, "atan'");
}
