//! `Dense`: Flux's reference values, constructors, and gradients checked
//! against forward mode and finite differences.

mod common;

use common::{assert_close, finite_difference_gradient, forward_mode_gradient, random_params};
use rand::SeedableRng;
use rand::rngs::StdRng;
use typeflux_ad::reverse::{model, pullback};
use typeflux_core::num_dual::Dual64;
use typeflux_core::prelude::*;
use typeflux_nn::activation::Activation;
use typeflux_nn::prelude::*;

const I: usize = 3;
const O: usize = 2;
const B: usize = 4;
const WEIGHTS: usize = O * I;
const PARAMS: usize = WEIGHTS + O;

#[test]
fn flux_reference_dense_with_ones() {
    // Flux: Dense(10 => 2, identity, init = ones) maps ones(10) and 2·ones(10)
    // to [10, 10] and [20, 20].
    let layer = Dense::<10, 2>::new(identity).init(ones);
    let x = Batch::<10>::from_fn((Const, 2), |[_, col]| (col + 1) as f32);
    let y = layer.forward(&x);
    assert_eq!(y.shape(), (Const::<2>, 2));
    assert_eq!(y.to_vec(), vec![10.0, 10.0, 20.0, 20.0]);
    let single = layer.forward(Vector::<10>::full(2.0));
    assert_eq!(single.to_vec(), vec![20.0, 20.0]);
}

#[test]
fn new_draws_glorot_uniform_weights_and_zero_bias() {
    let layer = Dense::<10, 5>::new(sigmoid);
    let bound = (6.0f32 / 15.0).sqrt();
    assert!(layer.weight.iter().all(|w| w.abs() <= bound));
    assert!(layer.weight.iter().any(|&w| w != layer.weight[[0, 0]]));
    assert_eq!(layer.bias.as_ref().unwrap().to_vec(), vec![0.0; 5]);
    // Two layers built one after the other differ.
    let other = Dense::<10, 5>::new(sigmoid);
    assert_ne!(layer.weight, other.weight);
}

#[test]
fn default_generator_is_reproducible_after_seeding() {
    typeflux_nn::init::seed(3);
    let a = Dense::<4, 3>::new(relu);
    typeflux_nn::init::seed(3);
    let b = Dense::<4, 3>::new(relu);
    assert_eq!(a.weight, b.weight);
}

#[test]
fn initialisers_and_caller_generator() {
    assert_eq!(
        Dense::<3, 2>::new(relu).init(zeros).weight.to_vec(),
        vec![0.0; 6]
    );
    let mut rng = StdRng::seed_from_u64(11);
    let a = Dense::<3, 2>::new(relu).init_with(&mut rng, randn);
    let mut rng = StdRng::seed_from_u64(11);
    let expected = Matrix::<2, 3>::randn(&mut rng);
    assert_eq!(a.weight, expected);
    let custom = Dense::<3, 2>::new(relu).init(|_| Matrix::<2, 3>::full(0.5));
    assert_eq!(custom.weight.to_vec(), vec![0.5; 6]);
    let normal: Dense<30, 20, Identity, f64> = Dense::new(identity);
    let normal = normal.init(glorot_normal);
    let std = (normal.weight.iter().map(|w| w * w).sum::<f64>() / 600.0).sqrt();
    assert!((std - (2.0f64 / 50.0).sqrt()).abs() < 0.03, "std {std}");
}

#[test]
fn element_type_follows_the_annotation() {
    let layer: Dense<4, 3, Sigmoid, f64> = Dense::new(sigmoid);
    let y: Vector<3, f64> = layer.forward(Vector::<4, f64>::zeros());
    assert_eq!(y.to_vec(), vec![0.5; 3]);
}

#[test]
fn bias_options() {
    let none = Dense::<3, 2>::new(identity).init(ones).bias(false);
    assert!(none.bias.is_none());
    assert_eq!(none.forward(Vector::<3>::ones()).to_vec(), vec![3.0, 3.0]);

    let given = Dense::<3, 2>::new(identity)
        .init(ones)
        .bias(Vector::<2>::from_array([1.0, -1.0]));
    assert_eq!(given.forward(Vector::<3>::ones()).to_vec(), vec![4.0, 2.0]);

    let zeros = none.clone().bias(true);
    assert_eq!(zeros.bias.unwrap().to_vec(), vec![0.0, 0.0]);
    assert!(none.bias(None).bias.is_none());
}

#[test]
fn bias_free_layer_trains_no_bias() {
    let layer: Dense<3, 2, Tanh, f64> = Dense::new(tanh);
    let layer = layer.bias(false);
    let x = Vector::<3, f64>::from_array([0.1, -0.2, 0.3]);
    let (_, back) = pullback(|m| m.forward(&x), model(&layer));
    let grad = back(Vector::<2, f64>::ones());
    assert!(grad.bias.is_none());
    assert!(grad.weight.iter().any(|&g| g != 0.0));
    let (_, back) = pullback(|(m, x)| m.forward(x), (model(&layer), &x));
    let (grad, dx) = back(Vector::<2, f64>::ones());
    assert!(grad.bias.is_none());
    assert!(dx.iter().any(|&g| g != 0.0));
}

#[test]
fn batch_columns_match_vectors() {
    let layer: Dense<3, 2, Swish, f64> = Dense::new(swish);
    let layer = layer.bias(Vector::<2, f64>::from_array([0.3, -0.1]));
    let p = random_params(5, I * B, 1.0);
    let batch = Batch::<3, f64>::from_slice((Const, B), &p).unwrap();
    let y = layer.forward(&batch);
    for j in 0..B {
        let single = layer.forward(batch.column(j));
        assert_close(&y.column(j).to_vec(), &single.to_vec(), 1e-15, "column");
    }
    let fixed = Matrix::<3, 4, f64>::try_from_slice(&p).unwrap();
    let y_fixed: Matrix<2, 4, f64> = layer.forward(&fixed);
    assert_eq!(y_fixed.to_vec(), y.to_vec());
}

/// A `Dense<3, 2>` from the first `PARAMS` numbers (weight column-major,
/// then bias).
fn layer_from<A: Activation, E: Element>(p: &[E], activation: A) -> Dense<I, O, A, E> {
    Dense::from_parts(
        Tensor::try_from_slice(&p[..WEIGHTS]).unwrap(),
        Tensor::try_from_slice(&p[WEIGHTS..PARAMS]).unwrap(),
        activation,
    )
}

/// `Σ c ⊙ layer(x)` for a batch `x` that follows the layer's parameters in
/// `p`, and a fixed cotangent `c`.
fn batch_objective<A: Activation, E: Element>(p: &[E], activation: A, c: &[f64]) -> E {
    let layer = layer_from(p, activation);
    let x = Batch::<I, E>::from_slice((Const, B), &p[PARAMS..]).unwrap();
    let y = layer.forward(x);
    y.iter()
        .zip(c)
        .fold(E::zero(), |s, (&y, &c)| s + y * E::from_f64(c).unwrap())
}

fn vector_objective<A: Activation, E: Element>(p: &[E], activation: A, c: &[f64]) -> E {
    let layer = layer_from(p, activation);
    let x = Vector::<I, E>::try_from_slice(&p[PARAMS..]).unwrap();
    let y = layer.forward(&x);
    y.iter()
        .zip(c)
        .fold(E::zero(), |s, (&y, &c)| s + y * E::from_f64(c).unwrap())
}

/// Reverse mode against forward mode and finite differences, for the
/// weight, the bias and the input, for a batch and for a single vector, with
/// owned and borrowed inputs.
fn check_gradients<A>(activation: A, seed: u64)
where
    A: Activation,
{
    let name = core::any::type_name::<A>();
    // Batch input.
    let p = random_params(seed, PARAMS + I * B, 1.5);
    let c = random_params(seed + 100, O * B, 1.0);
    let layer = layer_from(&p, activation);
    let x = Batch::<I, f64>::from_slice((Const, B), &p[PARAMS..]).unwrap();
    let (y, back) = pullback(|(m, x)| m.forward(x), (model(&layer), &x));
    assert_eq!(y, layer.forward(&x));
    let (grad, dx) = back(Batch::<O, f64>::from_slice((Const, B), &c).unwrap());
    let mut reverse = grad.weight.to_vec();
    reverse.extend(grad.bias.as_ref().unwrap().to_vec());
    reverse.extend(dx.to_vec());

    let forward = forward_mode_gradient(&p, |q| batch_objective(q, activation, &c));
    let fd = finite_difference_gradient(&p, 1e-6, |q| batch_objective(q, activation, &c));
    assert_close(
        &reverse,
        &forward,
        1e-12,
        &format!("{name} batch vs forward mode"),
    );
    assert_close(
        &reverse,
        &fd,
        1e-6,
        &format!("{name} batch vs finite differences"),
    );

    // The batch as data: the same parameter gradients, no input gradient.
    let (_, back) = pullback(|m| m.forward(&x), model(&layer));
    let grad_borrowed = back(Batch::<O, f64>::from_slice((Const, B), &c).unwrap());
    assert_eq!(grad_borrowed.weight, grad.weight);
    assert_eq!(grad_borrowed.bias, grad.bias);

    // One vector.
    let p = random_params(seed + 1, PARAMS + I, 1.5);
    let c = random_params(seed + 200, O, 1.0);
    let layer = layer_from(&p, activation);
    let x = Vector::<I, f64>::try_from_slice(&p[PARAMS..]).unwrap();
    let (_, back) = pullback(|(m, x)| m.forward(x), (model(&layer), x));
    let (grad, dx) = back(Vector::<O, f64>::try_from_slice(&c).unwrap());
    let mut reverse = grad.weight.to_vec();
    reverse.extend(grad.bias.unwrap().to_vec());
    reverse.extend(dx.to_vec());
    let forward = forward_mode_gradient(&p, |q| vector_objective(q, activation, &c));
    let fd = finite_difference_gradient(&p, 1e-6, |q| vector_objective(q, activation, &c));
    assert_close(
        &reverse,
        &forward,
        1e-12,
        &format!("{name} vector vs forward mode"),
    );
    assert_close(
        &reverse,
        &fd,
        1e-6,
        &format!("{name} vector vs finite differences"),
    );
}

#[test]
fn gradients_identity() {
    check_gradients(identity, 1);
}

#[test]
fn gradients_sigmoid() {
    check_gradients(sigmoid, 2);
}

#[test]
fn gradients_relu() {
    check_gradients(relu, 3);
}

#[test]
fn gradients_leakyrelu() {
    check_gradients(leakyrelu, 4);
}

#[test]
fn gradients_elu() {
    check_gradients(elu, 5);
}

#[test]
fn gradients_gelu() {
    check_gradients(gelu, 6);
}

#[test]
fn gradients_swish() {
    check_gradients(swish, 7);
}

#[test]
fn gradients_softplus() {
    check_gradients(softplus, 8);
}

#[test]
fn gradients_tanh() {
    check_gradients(tanh, 9);
}

#[test]
fn gradients_softmax() {
    check_gradients(softmax, 10);
}

#[test]
fn gradients_logsoftmax() {
    check_gradients(logsoftmax, 11);
}

#[test]
fn forward_mode_through_a_layer_gives_the_input_jacobian() {
    // Dual elements through the layer: the derivative part of the output is
    // the Jacobian times the seed direction, here the first input feature.
    let p = random_params(21, PARAMS + I, 1.0);
    let layer = layer_from(&p, sigmoid);
    let dual_layer: Dense<I, O, Sigmoid, Dual64> = Dense::from_parts(
        layer.weight.map(Dual64::from),
        layer.bias.as_ref().map(|b| b.map(Dual64::from)),
        sigmoid,
    );
    let x = Vector::<I, f64>::try_from_slice(&p[PARAMS..]).unwrap();
    let seeded =
        Vector::<I, Dual64>::from_fn((Const,), |[i, _]| Dual64::new(x[i], (i == 0) as u8 as f64));
    let y = dual_layer.forward(seeded);
    for o in 0..O {
        let (_, back) = pullback(|(m, x)| m.forward(x), (model(&layer), &x));
        let mut cot = Vector::<O, f64>::zeros();
        cot[o] = 1.0;
        let (_, dx) = back(cot);
        assert!((y[o].eps - dx[0]).abs() < 1e-14);
        assert!((y[o].re - layer.forward(&x)[o]).abs() < 1e-15);
    }
}

#[test]
#[should_panic(expected = "shapes disagree")]
fn a_batch_gradient_of_another_batch_size_panics() {
    let layer = Dense::<3, 2>::new(identity);
    let x = Batch::<3>::zeros_with((Const, 4));
    let (_, back) = pullback(|(m, x)| m.forward(x), (model(&layer), &x));
    let _ = back(Batch::<2>::zeros_with((Const, 5)));
}
