//! Derivatives of a function of one real variable: first, second and third.
//!
//! Each function seeds one dual number at `x`, calls `g` once and reads the
//! derivatives off the result, so the cost is one evaluation of `g` on a number
//! two to four times wider than `T`.

use num_dual::{Dual, Dual2, Dual3};
use typeflux_core::Real;

/// The first derivative `g'(x)`.
///
/// `g` receives a [`Dual<T>`], so write it generic over [`Real`] and pass it by
/// name, or pass a closure. `x` may itself be a dual number: that is how
/// `derivative` nests (the second derivative below is the derivative of a
/// function that calls `derivative`).
///
/// ```
/// use typeflux_ad::{DualNum, Real, derivative};
///
/// fn f<T: Real>(x: T) -> T {
///     x * x * 3.0 + x * 2.0 + 1.0
/// }
/// fn df<T: Real>(x: T) -> T {
///     derivative(f, x) // 6x + 2
/// }
/// assert_eq!(df(2.0), 14.0);
/// assert_eq!(derivative(df, 2.0), 6.0);
/// assert_eq!(derivative(|x| x.sin(), 0.0), 1.0);
/// ```
#[inline]
pub fn derivative<T: Real<F>, F>(g: impl Fn(Dual<T>) -> Dual<T>, x: T) -> T {
    g(Dual::from_re(x).derivative()).eps
}

/// The value and the first derivative, `(g(x), g'(x))`, from one evaluation.
///
/// ```
/// use typeflux_ad::{DualNum, value_and_derivative};
///
/// let (y, dy) = value_and_derivative(|x| x.powi(3), 2.0);
/// assert_eq!((y, dy), (8.0, 12.0));
/// ```
#[inline]
pub fn value_and_derivative<T: Real<F>, F>(g: impl Fn(Dual<T>) -> Dual<T>, x: T) -> (T, T) {
    let y = g(Dual::from_re(x).derivative());
    (y.re, y.eps)
}

/// The value and the first two derivatives, `(g(x), g'(x), g''(x))`.
///
/// One evaluation on a [`Dual2`], which carries the second derivative
/// directly; cheaper than nesting [`derivative`] twice, which carries a
/// redundant copy of the first derivative.
///
/// ```
/// use typeflux_ad::{DualNum, second_derivative};
///
/// let (y, dy, d2y) = second_derivative(|x| x.powi(3), 2.0);
/// assert_eq!((y, dy, d2y), (8.0, 12.0, 12.0));
/// ```
#[inline]
pub fn second_derivative<T: Real<F>, F>(g: impl Fn(Dual2<T>) -> Dual2<T>, x: T) -> (T, T, T) {
    let y = g(Dual2::from_re(x).derivative());
    (y.re, y.v1, y.v2)
}

/// The value and the first three derivatives, `(g(x), g'(x), g''(x), g'''(x))`.
///
/// ```
/// use typeflux_ad::{DualNum, third_derivative};
///
/// let (y, dy, d2y, d3y) = third_derivative(|x| x.powi(3), 2.0);
/// assert_eq!((y, dy, d2y, d3y), (8.0, 12.0, 12.0, 6.0));
/// ```
#[inline]
pub fn third_derivative<T: Real<F>, F>(g: impl Fn(Dual3<T>) -> Dual3<T>, x: T) -> (T, T, T, T) {
    let y = g(Dual3::from_re(x).derivative());
    (y.re, y.v1, y.v2, y.v3)
}
