//! Gradients, Jacobians and Hessians of functions of a static-size vector,
//! checked against Zygote's documented values, the closed-form Rosenbrock
//! derivatives, and central finite differences.

use approx::assert_relative_eq;
use nalgebra::{SMatrix, SVector, matrix, vector};
use proptest::prelude::*;
use typeflux_ad::Real;
use typeflux_ad::forward::{
    Dual2, DualSVec, forward_diaghessian, forward_gradient, forward_hessian, jacobian,
};

fn product<T: Real>(x: SVector<T, 2>) -> T {
    x[0] * x[1]
}

fn sum_of_cubes<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    x.iter().map(|xi| xi.powi(3)).sum()
}

/// Zygote: `hessian((x, y) -> x * y, ...) == [0 1; 1 0]`.
#[test]
fn zygote_hessian_of_a_product() {
    let (v, g, h) = forward_hessian(product, vector![2.0, 3.0]);
    assert_eq!(v, 6.0);
    assert_eq!(g, vector![3.0, 2.0]);
    assert_eq!(h, matrix![0.0, 1.0; 1.0, 0.0]);
}

/// Zygote: `hessian(x -> sum(x.^3), [1 2; 3 4]) == diagm([6, 18, 12, 24])`
/// (the matrix read column-major is `[1, 3, 2, 4]`).
#[test]
fn zygote_hessian_of_a_sum_of_cubes() {
    let x = vector![1.0, 3.0, 2.0, 4.0];
    let (v, g, h) = forward_hessian(sum_of_cubes, x);
    assert_eq!(v, 1.0 + 27.0 + 8.0 + 64.0);
    assert_eq!(g, vector![3.0, 27.0, 12.0, 48.0]);
    assert_eq!(h, SMatrix::from_diagonal(&vector![6.0, 18.0, 12.0, 24.0]));

    let (v, g, d) = forward_diaghessian(sum_of_cubes, x);
    assert_eq!(v, 100.0);
    assert_eq!(g, vector![3.0, 27.0, 12.0, 48.0]);
    assert_eq!(d, vector![6.0, 18.0, 12.0, 24.0]);
}

fn rosenbrock<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    (0..N - 1)
        .map(|i| (x[i + 1] - x[i] * x[i]).powi(2) * 100.0 + (-x[i] + 1.0).powi(2))
        .sum()
}

/// `∂f/∂xᵢ = -400 xᵢ (xᵢ₊₁ - xᵢ²) - 2 (1 - xᵢ) + 200 (xᵢ - xᵢ₋₁²)`, each term
/// where its index exists.
fn rosenbrock_gradient<const N: usize>(x: SVector<f64, N>) -> SVector<f64, N> {
    SVector::from_fn(|i, _| {
        let mut g = 0.0;
        if i + 1 < N {
            g += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]);
        }
        if i > 0 {
            g += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
        }
        g
    })
}

/// Tridiagonal: `Hᵢᵢ = 1200 xᵢ² - 400 xᵢ₊₁ + 2` (if `i < N-1`) `+ 200` (if
/// `i > 0`), `Hᵢ,ᵢ₊₁ = Hᵢ₊₁,ᵢ = -400 xᵢ`.
fn rosenbrock_hessian<const N: usize>(x: SVector<f64, N>) -> SMatrix<f64, N, N> {
    SMatrix::from_fn(|i, j| {
        if i == j {
            let mut h = 0.0;
            if i + 1 < N {
                h += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
            }
            if i > 0 {
                h += 200.0;
            }
            h
        } else if j == i + 1 {
            -400.0 * x[i]
        } else if i == j + 1 {
            -400.0 * x[j]
        } else {
            0.0
        }
    })
}

/// Second-order forward mode, forward over forward (the Jacobian of the
/// forward gradient) and the diagonal, all against the closed forms.
fn check_rosenbrock<const N: usize>(x: SVector<f64, N>) {
    let tol = 1e-12;
    let expected_value: f64 = (0..N - 1)
        .map(|i| 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2))
        .sum();
    let expected_gradient = rosenbrock_gradient(x);
    let expected_hessian = rosenbrock_hessian(x);

    let (v, g) = forward_gradient(rosenbrock, x);
    assert_relative_eq!(v, expected_value, epsilon = tol, max_relative = tol);
    assert_relative_eq!(g, expected_gradient, epsilon = tol, max_relative = tol);

    let (v, g, h) = forward_hessian(rosenbrock, x);
    assert_relative_eq!(v, expected_value, epsilon = tol, max_relative = tol);
    assert_relative_eq!(g, expected_gradient, epsilon = tol, max_relative = tol);
    assert_relative_eq!(h, expected_hessian, epsilon = tol, max_relative = tol);

    let (g, h) = jacobian(|x| forward_gradient(rosenbrock, x).1, x);
    assert_relative_eq!(g, expected_gradient, epsilon = tol, max_relative = tol);
    assert_relative_eq!(h, expected_hessian, epsilon = tol, max_relative = tol);

    let (v, g, d) = forward_diaghessian(rosenbrock, x);
    assert_relative_eq!(v, expected_value, epsilon = tol, max_relative = tol);
    assert_relative_eq!(g, expected_gradient, epsilon = tol, max_relative = tol);
    assert_relative_eq!(
        d,
        expected_hessian.diagonal(),
        epsilon = tol,
        max_relative = tol
    );
}

#[test]
fn rosenbrock_in_ten_dimensions_at_one_and_a_half() {
    check_rosenbrock(SVector::<f64, 10>::repeat(1.5));
}

#[test]
fn rosenbrock_minimum() {
    let x = SVector::<f64, 10>::repeat(1.0);
    let (v, g, _) = forward_hessian(rosenbrock, x);
    assert_eq!(v, 0.0);
    assert_eq!(g, SVector::<f64, 10>::zeros());
}

proptest! {
    #[test]
    fn rosenbrock_at_random_points(x in prop::array::uniform10(-2.0..2.0f64)) {
        check_rosenbrock(SVector::from(x));
    }
}

/// A smooth function of three variables mixing the elementary functions.
fn bumpy<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    let waves: T = x
        .iter()
        .enumerate()
        .map(|(i, xi)| (*xi * (i as f64 + 1.0)).cos())
        .sum();
    (x.dot(&x) * 0.5).sin() + waves + (x[0] * x[N - 1]).exp()
}

/// A map from ℝ³ to ℝ².
fn spiral<T: Real>(x: SVector<T, 3>) -> SVector<T, 2> {
    vector![x[0] * x[1].cos() + x[2].exp(), x[0] * x[1].sin() * x[2]]
}

fn unit<const N: usize>(i: usize, h: f64) -> SVector<f64, N> {
    SVector::from_fn(|k, _| if k == i { h } else { 0.0 })
}

/// Central first differences, one column per variable.
fn jacobian_by_differences<const M: usize, const N: usize>(
    f: impl Fn(SVector<f64, N>) -> SVector<f64, M>,
    x: SVector<f64, N>,
) -> SMatrix<f64, M, N> {
    let h = 1e-5;
    let mut jac = SMatrix::<f64, M, N>::zeros();
    for j in 0..N {
        let e = unit(j, h);
        jac.set_column(j, &((f(x + e) - f(x - e)) / (2.0 * h)));
    }
    jac
}

/// Central mixed second differences `∂²f/∂xᵢ∂xⱼ` of the function values.
fn hessian_by_differences<const N: usize>(
    f: impl Fn(SVector<f64, N>) -> f64,
    x: SVector<f64, N>,
) -> SMatrix<f64, N, N> {
    let h = 1e-4;
    SMatrix::from_fn(|i, j| {
        let (ei, ej) = (unit(i, h), unit(j, h));
        (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4.0 * h * h)
    })
}

proptest! {
    /// Tolerances: ~1e-10 error for first differences, ~1e-7 for second.
    #[test]
    fn gradient_and_hessian_match_finite_differences(x in prop::array::uniform3(-1.5..1.5f64)) {
        let x = SVector::from(x);
        let fd_gradient = jacobian_by_differences(|x| SVector::<f64, 1>::new(bumpy(x)), x).transpose();
        let fd_hessian = hessian_by_differences(bumpy, x);

        let (v, g) = forward_gradient(bumpy, x);
        assert_relative_eq!(v, bumpy(x), epsilon = 1e-14, max_relative = 1e-14);
        assert_relative_eq!(g, fd_gradient, epsilon = 1e-8, max_relative = 1e-8);

        let (_, g, h) = forward_hessian(bumpy, x);
        assert_relative_eq!(g, fd_gradient, epsilon = 1e-8, max_relative = 1e-8);
        assert_relative_eq!(h, fd_hessian, epsilon = 1e-5, max_relative = 1e-5);

        let (_, _, d) = forward_diaghessian(bumpy, x);
        assert_relative_eq!(d, fd_hessian.diagonal(), epsilon = 1e-5, max_relative = 1e-5);
    }

    #[test]
    fn jacobian_matches_finite_differences(x in prop::array::uniform3(-1.5..1.5f64)) {
        let x = SVector::from(x);
        let (v, j) = jacobian(spiral, x);
        assert_relative_eq!(v, spiral(x), epsilon = 1e-14, max_relative = 1e-14);
        assert_relative_eq!(j, jacobian_by_differences(spiral, x), epsilon = 1e-8, max_relative = 1e-8);
    }

    /// Single precision against the `f64` closed forms. The Rosenbrock terms
    /// reach 1e3 and cancel, so entries near zero get an absolute tolerance of
    /// 1e-6 of the largest Hessian entry (about 16 `f32` roundings of it).
    #[test]
    fn f32_rosenbrock_matches_closed_forms(x in prop::array::uniform4(-2.0..2.0f32)) {
        fn rosenbrock32<T: Real<f32>, const N: usize>(x: SVector<T, N>) -> T {
            (0..N - 1)
                .map(|i| (x[i + 1] - x[i] * x[i]).powi(2) * 100.0 + (-x[i] + 1.0).powi(2))
                .sum()
        }
        let x = SVector::from(x);
        let x64 = x.map(f64::from);
        let (_, g, h) = forward_hessian(rosenbrock32, x);
        let scale = rosenbrock_hessian(x64).abs().max();
        assert_relative_eq!(g.map(f64::from), rosenbrock_gradient(x64), epsilon = 1e-6 * scale, max_relative = 1e-4);
        assert_relative_eq!(h.map(f64::from), rosenbrock_hessian(x64), epsilon = 1e-6 * scale, max_relative = 1e-4);
        let (_, g) = forward_gradient(rosenbrock32, x);
        assert_relative_eq!(g.map(f64::from), rosenbrock_gradient(x64), epsilon = 1e-6 * scale, max_relative = 1e-4);
    }
}

/// An output that does not depend on the input has a zero Jacobian row, even
/// though its dual number carries no derivative at all.
#[test]
fn jacobian_row_of_a_constant_output_is_zero() {
    let (v, j) = jacobian(
        |x| vector![x[0] * x[1], DualSVec::from_re(7.0)],
        vector![2.0, 5.0],
    );
    assert_eq!(v, vector![10.0, 7.0]);
    assert_eq!(j, matrix![5.0, 2.0; 0.0, 0.0]);
}

/// With no variables there are no passes, yet the value is still computed.
#[test]
fn diaghessian_of_a_function_of_no_variables() {
    let (v, g, d) = forward_diaghessian(
        |_: SVector<Dual2<f64>, 0>| Dual2::from_re(3.0),
        SVector::zeros(),
    );
    assert_eq!(v, 3.0);
    assert_eq!(g.len(), 0);
    assert_eq!(d.len(), 0);
}
