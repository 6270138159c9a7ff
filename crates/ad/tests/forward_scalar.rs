//! First, second and third derivatives of functions of one variable, checked
//! against closed forms written out by hand, against Zygote's documented
//! values, and against central finite differences of the plain `f64` function.

use approx::assert_relative_eq;
use num_dual::DualNumFloat;
use proptest::prelude::*;
use typeflux_ad::{
    DualNum, Real, derivative, second_derivative, third_derivative, value_and_derivative,
};

/// Checks every way of getting derivatives of `$f` at `$x` against the closed
/// forms `[f, f', f'', f''']`: the one-pass functions and nested `derivative`.
macro_rules! check_closed_form {
    ($f:expr, $x:expr, $expected:expr, $tol:expr) => {{
        let x: f64 = $x;
        let [d0, d1, d2, d3]: [f64; 4] = $expected;
        let tol = $tol;

        assert_relative_eq!(derivative($f, x), d1, epsilon = tol, max_relative = tol);
        let (v, d) = value_and_derivative($f, x);
        assert_relative_eq!(v, d0, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d, d1, epsilon = tol, max_relative = tol);

        let (v, d, dd) = second_derivative($f, x);
        assert_relative_eq!(v, d0, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d, d1, epsilon = tol, max_relative = tol);
        assert_relative_eq!(dd, d2, epsilon = tol, max_relative = tol);

        let (v, d, dd, ddd) = third_derivative($f, x);
        assert_relative_eq!(v, d0, epsilon = tol, max_relative = tol);
        assert_relative_eq!(d, d1, epsilon = tol, max_relative = tol);
        assert_relative_eq!(dd, d2, epsilon = tol, max_relative = tol);
        assert_relative_eq!(ddd, d3, epsilon = tol, max_relative = tol);

        // The same derivatives by nesting first-order `derivative`.
        let nested2 = derivative(|y| derivative($f, y), x);
        assert_relative_eq!(nested2, d2, epsilon = tol, max_relative = tol);
        let nested3 = derivative(|y| derivative(|z| derivative($f, z), y), x);
        assert_relative_eq!(nested3, d3, epsilon = tol, max_relative = tol);
    }};
}

fn sin<T: Real>(x: T) -> T {
    x.sin()
}
fn exp2x<T: Real>(x: T) -> T {
    (x * 2.0).exp()
}
fn ln<T: Real>(x: T) -> T {
    x.ln()
}
fn quintic<T: Real>(x: T) -> T {
    x.powi(5)
}
fn lorentzian<T: Real>(x: T) -> T {
    (x * x + 1.0).recip()
}
fn sqrt<T: Real>(x: T) -> T {
    x.sqrt()
}
fn tanh<T: Real>(x: T) -> T {
    x.tanh()
}

/// Closed-form derivatives need 1e-12 relative: they only differ by rounding.
const CLOSED_FORM_TOL: f64 = 1e-12;

proptest! {
    #[test]
    fn closed_forms_on_the_whole_line(x in -3.0..3.0f64) {
        check_closed_form!(sin, x, [x.sin(), x.cos(), -x.sin(), -x.cos()], CLOSED_FORM_TOL);
        let e = (2.0 * x).exp();
        check_closed_form!(exp2x, x, [e, 2.0 * e, 4.0 * e, 8.0 * e], CLOSED_FORM_TOL);
        check_closed_form!(
            quintic,
            x,
            [x.powi(5), 5.0 * x.powi(4), 20.0 * x.powi(3), 60.0 * x * x],
            CLOSED_FORM_TOL
        );
        let q = 1.0 + x * x;
        check_closed_form!(
            lorentzian,
            x,
            [
                1.0 / q,
                -2.0 * x / (q * q),
                (6.0 * x * x - 2.0) / q.powi(3),
                24.0 * x * (1.0 - x * x) / q.powi(4),
            ],
            CLOSED_FORM_TOL
        );
        let t = x.tanh();
        check_closed_form!(
            tanh,
            x,
            [t, 1.0 - t * t, -2.0 * t * (1.0 - t * t), -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t)],
            CLOSED_FORM_TOL
        );
    }

    #[test]
    fn closed_forms_on_the_positive_line(x in 0.1..5.0f64) {
        check_closed_form!(ln, x, [x.ln(), 1.0 / x, -1.0 / (x * x), 2.0 / x.powi(3)], CLOSED_FORM_TOL);
        check_closed_form!(
            sqrt,
            x,
            [x.sqrt(), 0.5 / x.sqrt(), -0.25 / x.powf(1.5), 0.375 / x.powf(2.5)],
            CLOSED_FORM_TOL
        );
    }
}

/// The example on the first page of Flux's guide: `f(x) = 3x² + 2x + 1`.
fn seed<T: Real>(x: T) -> T {
    x * x * 3.0 + x * 2.0 + 1.0
}
fn dseed<T: Real>(x: T) -> T {
    derivative(seed, x)
}

#[test]
fn seed_polynomial_and_its_derivative() {
    assert_eq!(dseed(2.0), 14.0);
    assert_eq!(derivative(dseed, 2.0), 6.0);
    assert_eq!(value_and_derivative(seed, 2.0), (17.0, 14.0));
    assert_eq!(second_derivative(seed, 2.0), (17.0, 14.0, 6.0));
    assert_eq!(third_derivative(seed, 2.0), (17.0, 14.0, 6.0, 0.0));
}

#[test]
fn seed_polynomial_in_single_precision() {
    fn seed32<T: Real<f32>>(x: T) -> T {
        x * x * 3.0 + x * 2.0 + 1.0
    }
    fn dseed32<T: Real<f32>>(x: T) -> T {
        derivative(seed32, x)
    }
    assert_eq!(dseed32(2.0f32), 14.0f32);
    assert_eq!(derivative(dseed32, 2.0f32), 6.0f32);
}

/// Zygote's documented values: `hessian(sin, pi/2) == -1` and
/// `third derivative of sin at 1 == -cos(1)`.
#[test]
fn zygote_reference_values() {
    let (_, _, d2) = second_derivative(sin, std::f64::consts::FRAC_PI_2);
    assert_relative_eq!(d2, -1.0, max_relative = 1e-15);
    let (_, _, _, d3) = third_derivative(sin, 1.0);
    assert_relative_eq!(d3, -(1.0f64.cos()), max_relative = 1e-15);
}

/// A function whose derivatives up to the third stay of order one on
/// [-3, 3], written once for both float widths.
fn wave<T: Real<F>, F: DualNumFloat>(x: T) -> T {
    let c = |v: f64| F::from_f64(v).unwrap();
    x.sin() * (x * c(1.0 / 3.0)).exp() + x.powi(3) * c(0.1) - (x * c(0.5)).atan()
}

/// Central differences of the plain `f64` function: first, second and third
/// derivative, with steps chosen to balance truncation against rounding.
fn finite_differences(f: impl Fn(f64) -> f64, x: f64) -> [f64; 3] {
    let h1 = 1e-5;
    let d1 = (f(x + h1) - f(x - h1)) / (2.0 * h1);
    let h2 = 1e-4;
    let d2 = (f(x + h2) - 2.0 * f(x) + f(x - h2)) / (h2 * h2);
    let h3 = 1e-3;
    let d3 = (f(x + 2.0 * h3) - 2.0 * f(x + h3) + 2.0 * f(x - h3) - f(x - 2.0 * h3))
        / (2.0 * h3 * h3 * h3);
    [d1, d2, d3]
}

proptest! {
    /// Tolerances: O(h²) truncation plus O(ε/hᵏ) rounding for the k-th
    /// difference, i.e. about 1e-10, 1e-8 and 1e-6 for the steps above.
    #[test]
    fn f64_agrees_with_finite_differences(x in -3.0..3.0f64) {
        let [fd1, fd2, fd3] = finite_differences(wave::<f64, f64>, x);
        let (v, d1, d2, d3) = third_derivative(wave, x);
        assert_relative_eq!(v, wave::<f64, f64>(x), epsilon = 1e-14, max_relative = 1e-14);
        assert_relative_eq!(d1, fd1, epsilon = 1e-8, max_relative = 1e-8);
        assert_relative_eq!(d2, fd2, epsilon = 1e-5, max_relative = 1e-5);
        assert_relative_eq!(d3, fd3, epsilon = 1e-4, max_relative = 1e-4);
    }

    /// Single precision against the `f64` finite differences: `f32` rounding
    /// (about 6e-8 relative per operation) dominates, so 1e-4 relative.
    #[test]
    fn f32_agrees_with_finite_differences(x in -3.0..3.0f32) {
        let [fd1, fd2, fd3] = finite_differences(wave::<f64, f64>, f64::from(x));
        let (_, d1, d2, d3) = third_derivative(wave, x);
        assert_relative_eq!(f64::from(d1), fd1, epsilon = 1e-4, max_relative = 1e-4);
        assert_relative_eq!(f64::from(d2), fd2, epsilon = 1e-4, max_relative = 1e-4);
        assert_relative_eq!(f64::from(d3), fd3, epsilon = 1e-3, max_relative = 1e-3);
        let d1_alone = derivative(wave, x);
        assert_relative_eq!(f64::from(d1_alone), fd1, epsilon = 1e-4, max_relative = 1e-4);
    }
}

/// A closure works on the concrete dual type, with `DualNum` in scope.
#[test]
fn closures_differentiate_like_functions() {
    let k = 0.25;
    let d = derivative(|x| (x * k).cos() * x, 2.0);
    assert_relative_eq!(
        d,
        (0.5f64).cos() - 2.0 * k * (0.5f64).sin(),
        max_relative = 1e-15
    );
}
