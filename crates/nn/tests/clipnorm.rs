//! `ClipNorm` in front of a rule: the rule sees the gradient unchanged below
//! the bound and scaled to it above, so a step of `Descent(1)` has the bound as its
//! norm.

use typeflux_ad::reverse::{gradient, model};
use typeflux_core::functor::{destructure, norm};
use typeflux_core::prelude::*;
use typeflux_nn::optim::{Adam, ClipNorm, Descent, Momentum, OptimiserChain, Rule};
use typeflux_nn::prelude::*;

type Model = Chain<(Dense<3, 4, Tanh, f64>, Dense<4, 2, Identity, f64>)>;

fn chain() -> Model {
    let w1 = Matrix::<4, 3, f64>::from_fn(Default::default(), |[i, j]| {
        ((i * 3 + j) as f64 * 0.7).sin()
    });
    let w2 = Matrix::<2, 4, f64>::from_fn(Default::default(), |[i, j]| {
        ((i * 4 + j) as f64 * 1.3).cos()
    });
    Chain((
        Dense::from_parts(w1, Vector::from_array([0.1, -0.2, 0.3, 0.0]), tanh),
        Dense::from_parts(w2, Vector::from_array([0.5, -0.5]), identity),
    ))
}

fn grad_of(m: &Model, scale: f64) -> Model {
    let x = Batch::<3, f64>::from_fn((Const, 5), |[i, j]| (i + 2 * j) as f64 * scale);
    let y = Batch::<2, f64>::from_fn((Const, 5), |[i, j]| (i * j) as f64 * scale);
    gradient(|m| mse(m.forward(&x), &y), model(m))
}

/// The update a step made, as one flat vector.
fn step(before: &Model, after: &Model) -> Vec<f64> {
    let (a, _) = destructure::<f64, _>(before);
    let (b, _) = destructure::<f64, _>(after);
    a.iter().zip(&b).map(|(a, b)| b - a).collect()
}

fn length(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[test]
fn above_the_bound_a_step_of_descent_has_the_bound_as_its_norm() {
    let start = chain();
    let g = grad_of(&start, 3.0);
    let size = norm(&g);
    assert!(
        size > 1.0,
        "the test needs a gradient above the bound: {size}"
    );

    let mut m = start.clone();
    let mut opt = OptimiserChain((ClipNorm::new(0.5), Descent::new(1.0))).setup(&m);
    opt.update(&mut m, &g);
    let update = step(&start, &m);
    assert!((length(&update) - 0.5).abs() < 1e-12, "{}", length(&update));

    // In the gradient's direction: the step is -0.5 · g / |g|.
    let (flat_g, _) = destructure::<f64, _>(&g);
    for (u, g) in update.iter().zip(&flat_g) {
        assert!((u + 0.5 * g / size).abs() < 1e-12);
    }
}

#[test]
fn below_the_bound_the_rule_sees_the_gradient_unchanged() {
    let start = chain();
    let g = grad_of(&start, 0.01);
    assert!(norm(&g) < 10.0);

    let rule = Momentum::new(0.1, 0.9);
    let (mut clipped, mut plain) = (start.clone(), start.clone());
    let mut with = OptimiserChain((ClipNorm::new(10.0), rule)).setup(&clipped);
    let mut without = rule.setup(&plain);
    for _ in 0..3 {
        with.update(&mut clipped, &g);
        without.update(&mut plain, &g);
    }
    assert_eq!(step(&start, &clipped), step(&start, &plain));
    assert_eq!(norm(&with.state().1), norm(without.state()));
}

#[test]
fn clipping_composes_with_adam_and_leaves_an_absent_gradient_absent() {
    let start = chain();
    let mut g = grad_of(&start, 3.0);
    g.0.1.bias = None; // no gradient for the second bias: Adam passes it over
    let mut m = start.clone();
    let mut opt = OptimiserChain((ClipNorm::new(1e-3), Adam::new(0.01))).setup(&m);
    opt.update(&mut m, &g);
    assert_eq!(m.0.1.bias, start.0.1.bias);
    assert_ne!(m.0.0.weight, start.0.0.weight);
    // Adam's first step moves each parameter by about η against the sign
    // of its gradient, whatever the gradient's scale: the clipped gradient
    // still points the same way. (The absent bias comes last, so the flat
    // gradient lines up with the start of the flat update.)
    let update = step(&start, &m);
    let (flat_g, _) = destructure::<f64, _>(&g);
    let size = norm(&g);
    let mut checked = 0;
    for (u, g) in update
        .iter()
        .zip(&flat_g)
        .filter(|(_, g)| g.abs() > 0.01 * size)
    {
        assert!(
            (u + 0.01 * g.signum()).abs() < 2e-5,
            "{u} for a gradient of {g}"
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} entries checked");
}

#[test]
#[should_panic(expected = "ClipNorm: the gradient's norm is NaN")]
fn a_gradient_whose_norm_is_not_finite_is_refused() {
    let mut m = chain();
    let mut g = grad_of(&m, 1.0);
    g.0.0.weight[[0, 0]] = f64::NAN;
    OptimiserChain((ClipNorm::new(1.0), Descent::new(0.1)))
        .setup(&m)
        .update(&mut m, &g);
}
