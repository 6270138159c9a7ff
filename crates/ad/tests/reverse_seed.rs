//! The numbers of the seed page's "Taking Gradients" and "Building Simple
//! Models" sections, computed in reverse mode.

use rand::SeedableRng;
use typeflux_ad::reverse::{gradient, params, value_and_gradient};
use typeflux_core::prelude::*;

#[test]
fn gradient_of_a_sum_of_squares() {
    let x = Tensor::from_array([2.0, 1.0]);
    let y = Tensor::from_array([2.0, 0.0]);
    let (gx, gy) = gradient(|(x, y)| (x - y).square().sum(), (&x, &y));
    assert_eq!(format!("({gx}, {gy})"), "([0, 2], [-0, -2])");
    assert!(f64::is_sign_negative(gy[0]));
}

#[test]
fn implicit_params() {
    let x = Tensor::from_array([2.0, 1.0]);
    let y = Tensor::from_array([2.0, 0.0]);
    let gs = gradient(|(x, y)| (x - y).square().sum(), params((&x, &y)));
    assert_eq!(gs[&x].to_vec(), vec![0.0, 2.0]);
    assert_eq!(gs[&y].to_vec(), vec![-0.0, -2.0]);
}

/// The linear regression `loss = sum((y .- (W*x .+ b)).^2)` with `W`, `b`,
/// `x` and `y` uniform in `[0, 1)` from a seeded generator. The gradients
/// agree with the closed forms `W̄ = -2 r xᵀ` and `b̄ = -2 r`, where
/// `r = y - (W x + b)`, and one step `W .-= 0.1 .* W̄`, `b .-= 0.1 .* b̄`
/// lowers the loss (with seed 1: from 2.4677684 to 0.4283912).
#[test]
fn regression() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut w = Matrix::<2, 5>::rand(&mut rng);
    let mut b = Vector::<2>::rand(&mut rng);
    let x = Vector::<5>::rand(&mut rng);
    let y = Vector::<2>::rand(&mut rng);
    let loss = |w: &Matrix<2, 5>, b: &Vector<2>| (&y - (w.matmul(&x) + b)).square().sum();

    let (before, gs) = value_and_gradient(
        |(w, b)| (&y - (w.matmul(&x) + b)).square().sum(),
        params((&w, &b)),
    );
    assert_eq!(before, loss(&w, &b));

    let r = &y - (w.matmul(&x) + &b);
    let (dw, db) = (gs[&w].clone(), gs[&b].clone());
    assert_eq!(db, &r * -2.0);
    let expected_dw = (&r * -2.0).outer(&x);
    for (g, e) in dw.iter().zip(expected_dw.iter()) {
        assert!(
            (g - e).abs() <= 1e-6 * (1.0 + e.abs()),
            "{dw:?} vs {expected_dw:?}"
        );
    }

    w.axpy(-0.1, &dw);
    b.axpy(-0.1, &db);
    let after = loss(&w, &b);
    assert!(after < before, "the loss went from {before} to {after}");
}
