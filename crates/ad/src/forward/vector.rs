//! Gradients, Jacobians and Hessians of functions of a statically sized vector.
//!
//! The input is an nalgebra [`SVector<T, N>`]: its size is part of its type, so
//! the derivative numbers (`DualSVec<T, N>`, `Dual2SVec<T, N>`) are `Copy` and
//! live on the stack, and every derivative comes back with a size the compiler
//! knows. A function written as
//! `fn f<T: Real, const N: usize>(x: SVector<T, N>) -> T` works for all of them.

use nalgebra::{Const, SMatrix, SVector, U1};
use num_dual::{Dual2, Dual2SVec, DualSVec};
use typeflux_core::Real;

/// `(value, gradient)`, from [`forward_gradient`].
pub type ValueGradient<T, const N: usize> = (T, SVector<T, N>);

/// `(value, jacobian)` of a function `ℝᴺ → ℝᴹ`, from [`jacobian`]; row `i` of
/// the `M × N` Jacobian is the gradient of output `i`.
pub type ValueJacobian<T, const M: usize, const N: usize> = (SVector<T, M>, SMatrix<T, M, N>);

/// `(value, gradient, hessian)`, from [`forward_hessian`].
pub type ValueGradientHessian<T, const N: usize> = (T, SVector<T, N>, SMatrix<T, N, N>);

/// `(value, gradient, diagonal of the hessian)`, from [`forward_diaghessian`].
pub type ValueGradientDiagHessian<T, const N: usize> = (T, SVector<T, N>, SVector<T, N>);

/// The value and gradient of a scalar function of `N` variables, by forward
/// mode (the crate root's [`gradient`](crate::gradient) is reverse mode).
///
/// One evaluation on [`DualSVec<T, N>`] numbers, each carrying all `N`
/// partial derivatives: the cost grows with `N`, so it suits functions of a
/// few variables, and nests inside other derivatives.
///
/// ```
/// use approx::assert_relative_eq;
/// use nalgebra::{SVector, vector};
/// use typeflux_ad::{Real, forward_gradient};
///
/// fn norm<T: Real, const N: usize>(x: SVector<T, N>) -> T {
///     x.dot(&x).sqrt()
/// }
/// let (v, g) = forward_gradient(norm, vector![3.0, 4.0]);
/// assert_eq!(v, 5.0);
/// assert_relative_eq!(g, vector![0.6, 0.8], max_relative = 1e-15); // x / |x|
/// ```
#[inline]
pub fn forward_gradient<T: Real<F>, F, const N: usize>(
    g: impl Fn(SVector<DualSVec<T, N>, N>) -> DualSVec<T, N>,
    x: SVector<T, N>,
) -> ValueGradient<T, N> {
    let r = g(SVector::from_fn(|i, _| {
        DualSVec::from_re(x[i]).derivative(i)
    }));
    (r.re, r.eps.unwrap_generic(Const::<N>, U1))
}

/// The value and Jacobian of a function `ℝᴺ → ℝᴹ`.
///
/// One evaluation on [`DualSVec<T, N>`] numbers: forward mode costs the same
/// for any number of outputs, so it suits `M ≥ N`.
///
/// ```
/// use nalgebra::{matrix, vector};
/// use typeflux_ad::{DualNum, jacobian};
///
/// // polar to Cartesian coordinates
/// let (xy, j) = jacobian(|p| vector![p[0] * p[1].cos(), p[0] * p[1].sin()], vector![2.0, 0.0]);
/// assert_eq!(xy, vector![2.0, 0.0]);
/// assert_eq!(j, matrix![1.0, 0.0; 0.0, 2.0]);
/// ```
#[inline]
pub fn jacobian<T: Real<F>, F, const M: usize, const N: usize>(
    g: impl Fn(SVector<DualSVec<T, N>, N>) -> SVector<DualSVec<T, N>, M>,
    x: SVector<T, N>,
) -> ValueJacobian<T, M, N> {
    let r = g(SVector::from_fn(|i, _| {
        DualSVec::from_re(x[i]).derivative(i)
    }));
    let mut jac = SMatrix::<T, M, N>::zeros();
    for (i, ri) in r.iter().enumerate() {
        jac.set_row(i, &ri.eps.unwrap_generic(Const::<N>, U1).transpose());
    }
    (r.map(|ri| ri.re), jac)
}

/// The value, gradient and Hessian of a scalar function of `N` variables,
/// by forward over forward mode ([`mixed::hessian`](crate::mixed::hessian)
/// is forward over reverse).
///
/// One evaluation on [`Dual2SVec<T, N>`] numbers, each carrying all first and
/// second partial derivatives (second-order forward mode).
///
/// ```
/// use nalgebra::{matrix, vector};
/// use typeflux_ad::forward_hessian;
///
/// let (v, g, h) = forward_hessian(|x| x[0] * x[0] * x[1], vector![3.0, 2.0]);
/// assert_eq!(v, 18.0);
/// assert_eq!(g, vector![12.0, 9.0]); // [2xy, x²]
/// assert_eq!(h, matrix![4.0, 6.0; 6.0, 0.0]); // [2y, 2x; 2x, 0]
/// ```
#[inline]
pub fn forward_hessian<T: Real<F>, F, const N: usize>(
    g: impl Fn(SVector<Dual2SVec<T, N>, N>) -> Dual2SVec<T, N>,
    x: SVector<T, N>,
) -> ValueGradientHessian<T, N> {
    let r = g(SVector::from_fn(|i, _| {
        Dual2SVec::from_re(x[i]).derivative(i)
    }));
    (
        r.re,
        r.v1.unwrap_generic(U1, Const::<N>).transpose(),
        r.v2.unwrap_generic(Const::<N>, Const::<N>),
    )
}

/// The value, gradient and diagonal of the Hessian, without the rest of the
/// Hessian, by forward over forward mode
/// ([`mixed::diaghessian`](crate::mixed::diaghessian) is forward over
/// reverse).
///
/// `N` evaluations on [`Dual2<T>`] numbers, one per variable, so the work and
/// the memory grow as `N`, not `N²`. Use it for Laplacians and diagonal
/// preconditioners.
///
/// ```
/// use nalgebra::vector;
/// use typeflux_ad::forward_diaghessian;
///
/// let (v, g, d) = forward_diaghessian(|x| x[0] * x[0] * x[1], vector![3.0, 2.0]);
/// assert_eq!(v, 18.0);
/// assert_eq!(g, vector![12.0, 9.0]);
/// assert_eq!(d, vector![4.0, 0.0]);
/// ```
#[inline]
pub fn forward_diaghessian<T: Real<F>, F, const N: usize>(
    g: impl Fn(SVector<Dual2<T>, N>) -> Dual2<T>,
    x: SVector<T, N>,
) -> ValueGradientDiagHessian<T, N> {
    let constant = x.map(Dual2::from_re);
    let mut value = None;
    let mut grad = SVector::zeros();
    let mut diag = SVector::zeros();
    for i in 0..N {
        let mut xi = constant;
        xi[i] = xi[i].derivative();
        let r = g(xi);
        value = Some(r.re);
        grad[i] = r.v1;
        diag[i] = r.v2;
    }
    // With no variables there is no pass above, but the value is still wanted.
    let value = value.unwrap_or_else(|| g(constant).re);
    (value, grad, diag)
}
