//! Nested derivatives: perturbation confusion, captured outer variables, and
//! nesting across the different derivative functions, against closed forms.

use approx::assert_relative_eq;
use nalgebra::{SVector, vector};
use proptest::prelude::*;
use typeflux_ad::forward::{Dual, Dual2, DualSVec, forward_diaghessian, forward_gradient};
use typeflux_ad::{DualNum, derivative, lift, second_derivative};

/// Siskind and Pearlmutter's example: `d/dx [x · d/dy (x + y)]` at `x = 1`.
/// The inner derivative is 1, so the answer is 1; a confused implementation
/// that lets the inner derivative see the outer `x` as its variable gives 2.
#[test]
fn perturbation_confusion_of_a_sum() {
    assert_eq!(derivative(|x| x * derivative(|y| lift(x) + y, x), 1.0), 1.0);
    // `lift` is `Dual::from_re`; writing the latter is the same.
    assert_eq!(
        derivative(|x| x * derivative(|y| Dual::from_re(x) + y, x), 1.0),
        1.0
    );
}

/// `d/dx [x · d/dy (x · y)] = d/dx [x²] = 2x`, so 8 at `x = 4`.
#[test]
fn perturbation_confusion_of_a_product() {
    assert_eq!(derivative(|x| x * derivative(|y| lift(x) * y, x), 4.0), 8.0);
    assert_eq!(
        derivative(|x| x * derivative(|y| Dual::from_re(x) * y, x), 4.0),
        8.0
    );
}

#[test]
fn perturbation_confusion_in_single_precision() {
    assert_eq!(
        derivative(|x| x * derivative(|y| lift(x) + y, x), 1.0f32),
        1.0
    );
    assert_eq!(
        derivative(|x| x * derivative(|y| lift(x) * y, x), 4.0f32),
        8.0
    );
}

proptest! {
    #[test]
    fn perturbation_confusion_anywhere(x in -10.0..10.0f64) {
        prop_assert_eq!(derivative(|x| x * derivative(|y| lift(x) + y, x), x), 1.0);
        let d = derivative(|x| x * derivative(|y| lift(x) * y, x), x);
        assert_relative_eq!(d, 2.0 * x, epsilon = 1e-14, max_relative = 1e-14);
    }

    /// `∂/∂x ∂/∂y (x y²) = 2y`, with the inner point `y` given as a constant
    /// of the outer number type.
    #[test]
    fn nested_mixed_partial(x in -3.0..3.0f64, y in -3.0..3.0f64) {
        let dxy = derivative(|x| derivative(|y| lift(x) * y * y, Dual::from_re(y)), x);
        assert_relative_eq!(dxy, 2.0 * y, epsilon = 1e-14, max_relative = 1e-14);
        // The same derivatives taken in the other order.
        let dyx = derivative(|y| derivative(|x| x * lift(y) * lift(y), Dual::from_re(x)), y);
        assert_relative_eq!(dyx, 2.0 * y, epsilon = 1e-14, max_relative = 1e-14);
    }

    /// `d/dx` of `second_derivative`: the third derivative of `sin` is `-cos`.
    #[test]
    fn derivative_of_a_second_derivative(x in -3.0..3.0f64) {
        let d3 = derivative(|x| second_derivative(|y| y.sin(), x).2, x);
        assert_relative_eq!(d3, -x.cos(), epsilon = 1e-14, max_relative = 1e-14);
    }

    /// The derivative in `t` of the Laplacian of `f_t(x) = t · sin(x₀) · x₁²`:
    /// `Δf_t = t (2 sin x₀ - sin x₀ · x₁²)`, so `d/dt Δf_t = 2 sin x₀ - sin x₀ · x₁²`.
    #[test]
    fn derivative_of_a_laplacian(t in -2.0..2.0f64, x0 in -2.0..2.0f64, x1 in -2.0..2.0f64) {
        let laplacian_rate = derivative(
            |t| {
                let f = |x: SVector<Dual2<Dual<f64>>, 2>| Dual2::from_re(t) * x[0].sin() * x[1] * x[1];
                let (_, _, diag) = forward_diaghessian(f, vector![Dual::from_re(x0), Dual::from_re(x1)]);
                diag.sum()
            },
            t,
        );
        let expected = 2.0 * x0.sin() - x0.sin() * x1 * x1;
        assert_relative_eq!(laplacian_rate, expected, epsilon = 1e-13, max_relative = 1e-13);
    }

    /// The physics-informed pattern: a loss that contains the derivative of a
    /// model with respect to its input, differentiated with respect to the
    /// parameters. With `u(x) = p₀ sin(p₁ x)`, `L = u'(x₀)² = (p₀ p₁ cos(p₁ x₀))²`.
    #[test]
    fn gradient_of_a_loss_on_an_input_derivative(
        p0 in -2.0..2.0f64, p1 in -2.0..2.0f64, x0 in -2.0..2.0f64,
    ) {
        let loss = |p: SVector<DualSVec<f64, 2>, 2>| {
            let du = derivative(|x| lift(p[0]) * (lift(p[1]) * x).sin(), DualSVec::from_re(x0));
            du * du
        };
        let (l, g) = forward_gradient(loss, vector![p0, p1]);

        let (c, s) = ((p1 * x0).cos(), (p1 * x0).sin());
        let du = p0 * p1 * c;
        let expected = vector![2.0 * du * p1 * c, 2.0 * du * p0 * (c - p1 * x0 * s)];
        assert_relative_eq!(l, du * du, epsilon = 1e-13, max_relative = 1e-13);
        assert_relative_eq!(g, expected, epsilon = 1e-13, max_relative = 1e-13);
    }
}
