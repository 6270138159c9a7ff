//! Partial derivatives of functions of two and three variables, checked against
//! closed forms written out by hand and against central finite differences.

use approx::assert_relative_eq;
use proptest::prelude::*;
use typeflux_ad::{Real, partial, second_partial, third_partial};

/// `x²y³z⁴ + xyz`, whose partials are easy to write down.
fn monomials<T: Real>(x: T, y: T, z: T) -> T {
    x * x * y.powi(3) * z.powi(4) + x * y * z
}

/// A function of two variables mixing the elementary functions.
fn surface<T: Real>(x: T, y: T) -> T {
    x.sin() * (x * y * 0.5).exp() + (x * x + y * y + 1.0).ln()
}

/// A function of three variables mixing the elementary functions.
fn volume<T: Real>(x: T, y: T, z: T) -> T {
    x.cos() * (y * z * 0.3).exp() + (x * y - z).tanh()
}

/// Central difference of `g` in x and in y, and the mixed second difference.
fn surface_differences(g: impl Fn(f64, f64) -> f64, x: f64, y: f64) -> [f64; 3] {
    let h = 1e-5;
    let dx = (g(x + h, y) - g(x - h, y)) / (2.0 * h);
    let dy = (g(x, y + h) - g(x, y - h)) / (2.0 * h);
    let h = 1e-4;
    let dxy =
        (g(x + h, y + h) - g(x + h, y - h) - g(x - h, y + h) + g(x - h, y - h)) / (4.0 * h * h);
    [dx, dy, dxy]
}

/// The mixed third central difference `∂³g/∂x∂y∂z`: the eight corners of a
/// cube, each with the sign of the product of its offsets.
fn mixed_third_difference(g: impl Fn(f64, f64, f64) -> f64, x: f64, y: f64, z: f64) -> f64 {
    let h = 1e-3;
    let mut sum = 0.0;
    for sx in [-1.0, 1.0] {
        for sy in [-1.0, 1.0] {
            for sz in [-1.0, 1.0] {
                sum += sx * sy * sz * g(x + sx * h, y + sy * h, z + sz * h);
            }
        }
    }
    sum / (8.0 * h * h * h)
}

/// Closed forms differ from the derivatives only by rounding.
const CLOSED_FORM_TOL: f64 = 1e-12;

proptest! {
    #[test]
    fn partials_of_monomials_match_closed_forms(
        x in -2.0..2.0f64, y in -2.0..2.0f64, z in -2.0..2.0f64,
    ) {
        let tol = CLOSED_FORM_TOL;
        let d = third_partial(monomials, x, y, z);
        assert_relative_eq!(d.value, x * x * y.powi(3) * z.powi(4) + x * y * z, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d.dx, 2.0 * x * y.powi(3) * z.powi(4) + y * z, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d.dy, 3.0 * x * x * y * y * z.powi(4) + x * z, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d.dz, 4.0 * x * x * y.powi(3) * z.powi(3) + x * y, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d.dxdy, 6.0 * x * y * y * z.powi(4) + z, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d.dxdz, 8.0 * x * y.powi(3) * z.powi(3) + y, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d.dydz, 12.0 * x * x * y * y * z.powi(3) + x, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d.dxdydz, 24.0 * x * y * y * z.powi(3) + 1.0, epsilon = tol, max_relative = tol);

        // The same function with z held fixed, through the two-variable
        // functions; `into` makes the plain `f64` a constant dual number.
        let (v, dx, dy) = partial(|x, y| monomials(x, y, z.into()), x, y);
        assert_relative_eq!(v, d.value, epsilon = tol, max_relative = tol);
        assert_relative_eq!(dx, 2.0 * x * y.powi(3) * z.powi(4) + y * z, epsilon = tol, max_relative = tol);
        assert_relative_eq!(dy, 3.0 * x * x * y * y * z.powi(4) + x * z, epsilon = tol, max_relative = tol);

        let (_, _, _, dxy) = second_partial(|x, y| monomials(x, y, z.into()), x, y);
        assert_relative_eq!(dxy, 6.0 * x * y * y * z.powi(4) + z, epsilon = tol, max_relative = tol);
    }

    /// Tolerances: about 1e-10 rounding-plus-truncation error for the first
    /// differences and 1e-7 for the mixed second difference.
    #[test]
    fn two_variable_partials_match_finite_differences(x in -2.0..2.0f64, y in -2.0..2.0f64) {
        let [fdx, fdy, fdxy] = surface_differences(surface::<f64>, x, y);
        let (v, dx, dy) = partial(surface, x, y);
        assert_relative_eq!(v, surface(x, y), epsilon = 1e-14, max_relative = 1e-14);
        assert_relative_eq!(dx, fdx, epsilon = 1e-8, max_relative = 1e-8);
        assert_relative_eq!(dy, fdy, epsilon = 1e-8, max_relative = 1e-8);

        let (v, dx, dy, dxy) = second_partial(surface, x, y);
        assert_relative_eq!(v, surface(x, y), epsilon = 1e-14, max_relative = 1e-14);
        assert_relative_eq!(dx, fdx, epsilon = 1e-8, max_relative = 1e-8);
        assert_relative_eq!(dy, fdy, epsilon = 1e-8, max_relative = 1e-8);
        assert_relative_eq!(dxy, fdxy, epsilon = 1e-5, max_relative = 1e-5);
    }

    /// The cube difference has O(h²) ≈ 1e-6 truncation and O(ε/h³) ≈ 1e-7
    /// rounding error, hence 1e-4.
    #[test]
    fn mixed_third_partial_matches_finite_differences(
        x in -2.0..2.0f64, y in -2.0..2.0f64, z in -2.0..2.0f64,
    ) {
        let d = third_partial(volume, x, y, z);
        assert_relative_eq!(d.value, volume(x, y, z), epsilon = 1e-14, max_relative = 1e-14);
        let fd = mixed_third_difference(volume::<f64>, x, y, z);
        assert_relative_eq!(d.dxdydz, fd, epsilon = 1e-4, max_relative = 1e-4);
        let [fdy, fdz, fdyz] = surface_differences(|y, z| volume(x, y, z), y, z);
        assert_relative_eq!(d.dy, fdy, epsilon = 1e-8, max_relative = 1e-8);
        assert_relative_eq!(d.dz, fdz, epsilon = 1e-8, max_relative = 1e-8);
        assert_relative_eq!(d.dydz, fdyz, epsilon = 1e-5, max_relative = 1e-5);
    }

    /// Single precision against `f64` finite differences, 1e-4 for `f32` rounding.
    #[test]
    fn f32_partials_match_finite_differences(x in -2.0..2.0f32, y in -2.0..2.0f32) {
        fn surface32<T: Real<f32>>(x: T, y: T) -> T {
            x.sin() * (x * y * 0.5).exp() + (x * x + y * y + 1.0).ln()
        }
        let [fdx, fdy, fdxy] = surface_differences(surface::<f64>, f64::from(x), f64::from(y));
        let (_, dx, dy, dxy) = second_partial(surface32, x, y);
        assert_relative_eq!(f64::from(dx), fdx, epsilon = 1e-4, max_relative = 1e-4);
        assert_relative_eq!(f64::from(dy), fdy, epsilon = 1e-4, max_relative = 1e-4);
        assert_relative_eq!(f64::from(dxy), fdxy, epsilon = 1e-4, max_relative = 1e-4);
    }
}

/// `∂³k/∂u²∂z` through `k(x + y, z)`, as the docs of `third_partial` teach.
#[test]
fn repeated_derivative_through_a_sum() {
    let k = |u, z| u * u * u * z;
    let d = third_partial(|x, y, z| k(x + y, z), 2.0, 0.0, 5.0);
    assert_eq!(d.dxdy, 6.0 * 2.0 * 5.0); // ∂²k/∂u² = 6uz
    assert_eq!(d.dxdydz, 6.0 * 2.0); // ∂³k/∂u²∂z = 6u
}
