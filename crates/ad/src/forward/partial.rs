//! Partial derivatives of a function of two or three real variables.

use nalgebra::{Const, U1};
use num_dual::{DualSVec, HyperDual, HyperHyperDual};
use typeflux_core::Real;

/// The value and both first partial derivatives, `(g, ∂g/∂x, ∂g/∂y)`.
///
/// One evaluation: both arguments are [`DualSVec<T, 2>`], each seeded along
/// its own direction.
///
/// ```
/// use typeflux_ad::{Real, partial};
///
/// fn g<T: Real>(x: T, y: T) -> T {
///     x * x * y + y.sin()
/// }
/// let (v, dx, dy) = partial(g, 3.0, 0.0);
/// assert_eq!((v, dx, dy), (0.0, 0.0, 10.0)); // 2xy, x² + cos y
/// ```
#[inline]
pub fn partial<T: Real<F>, F>(
    g: impl Fn(DualSVec<T, 2>, DualSVec<T, 2>) -> DualSVec<T, 2>,
    x: T,
    y: T,
) -> (T, T, T) {
    let r = g(
        DualSVec::from_re(x).derivative(0),
        DualSVec::from_re(y).derivative(1),
    );
    let d = r.eps.unwrap_generic(Const::<2>, U1);
    (r.re, d[0], d[1])
}

/// The value, both first partials and the exact mixed second partial,
/// `(g, ∂g/∂x, ∂g/∂y, ∂²g/∂x∂y)`.
///
/// One evaluation on [`HyperDual`] numbers.
///
/// ```
/// use typeflux_ad::second_partial;
///
/// let (v, dx, dy, dxy) = second_partial(|x, y| x * x * y * y * y, 2.0, 1.0);
/// assert_eq!((v, dx, dy, dxy), (4.0, 4.0, 12.0, 12.0)); // 2xy³, 3x²y², 6xy²
/// ```
#[inline]
pub fn second_partial<T: Real<F>, F>(
    g: impl Fn(HyperDual<T>, HyperDual<T>) -> HyperDual<T>,
    x: T,
    y: T,
) -> (T, T, T, T) {
    let r = g(
        HyperDual::from_re(x).derivative1(),
        HyperDual::from_re(y).derivative2(),
    );
    (r.re, r.eps1, r.eps2, r.eps1eps2)
}

/// Value and all partial derivatives of `g(x, y, z)` up to the mixed third,
/// from [`third_partial`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThirdPartials<T> {
    /// `g(x, y, z)`
    pub value: T,
    /// `∂g/∂x`
    pub dx: T,
    /// `∂g/∂y`
    pub dy: T,
    /// `∂g/∂z`
    pub dz: T,
    /// `∂²g/∂x∂y`
    pub dxdy: T,
    /// `∂²g/∂x∂z`
    pub dxdz: T,
    /// `∂²g/∂y∂z`
    pub dydz: T,
    /// `∂³g/∂x∂y∂z`
    pub dxdydz: T,
}

/// Every partial derivative of `g(x, y, z)` that takes each variable at most
/// once, up to the mixed third `∂³g/∂x∂y∂z`.
///
/// One evaluation on [`HyperHyperDual`] numbers. Eight numbers come back, so
/// they are named fields rather than a tuple.
///
/// ```
/// use typeflux_ad::{DualNum, third_partial};
///
/// let d = third_partial(|x, y, z| x * y * y * z.exp(), 2.0, 3.0, 0.0);
/// assert_eq!(d.value, 18.0);
/// assert_eq!((d.dx, d.dy, d.dz), (9.0, 12.0, 18.0));
/// assert_eq!((d.dxdy, d.dxdz, d.dydz), (6.0, 9.0, 12.0));
/// assert_eq!(d.dxdydz, 6.0); // 2y e^z
/// ```
///
/// A repeated derivative such as `∂³k/∂u²∂z` is the mixed one of
/// `k(x + y, z)` at `x = u`, `y = 0`, because `∂²/∂x∂y` of a function of
/// `x + y` is its second derivative:
///
/// ```
/// use typeflux_ad::third_partial;
///
/// let k = |u, z| u * u * u * z;
/// let d = third_partial(|x, y, z| k(x + y, z), 2.0, 0.0, 5.0);
/// assert_eq!(d.dxdydz, 12.0); // ∂³k/∂u²∂z = 6u
/// ```
#[inline]
pub fn third_partial<T: Real<F>, F>(
    g: impl Fn(HyperHyperDual<T>, HyperHyperDual<T>, HyperHyperDual<T>) -> HyperHyperDual<T>,
    x: T,
    y: T,
    z: T,
) -> ThirdPartials<T> {
    let r = g(
        HyperHyperDual::from_re(x).derivative1(),
        HyperHyperDual::from_re(y).derivative2(),
        HyperHyperDual::from_re(z).derivative3(),
    );
    ThirdPartials {
        value: r.re,
        dx: r.eps1,
        dy: r.eps2,
        dz: r.eps3,
        dxdy: r.eps1eps2,
        dxdz: r.eps1eps3,
        dydz: r.eps2eps3,
        dxdydz: r.eps1eps2eps3,
    }
}
