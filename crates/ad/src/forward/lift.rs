//! Seeing an outer variable as a constant inside an inner derivative.

use num_dual::Dual;
use typeflux_core::Real;

/// `x` as a constant of the number type that an inner [`derivative`] passes
/// to its function.
///
/// Inside `derivative(|y| ..., x)`, `y` is a `Dual<T>` while a variable
/// captured from outside is a plain `T`. The two cannot be mixed (the compiler
/// rejects `y + x`), which is what keeps nested derivatives free of
/// perturbation confusion: each level of nesting has its own type. `lift(x)`
/// is the captured variable with a zero inner derivative, so it still carries
/// its outer derivative, and the outer `derivative` sees its whole dependence
/// on `x`.
///
/// ```
/// use typeflux_ad::{derivative, lift};
///
/// // d/dx [x · d/dy (x · y)] = d/dx [x²] = 2x
/// let d = derivative(|x| x * derivative(|y| lift(x) * y, x), 4.0);
/// assert_eq!(d, 8.0);
/// ```
///
/// For the other number types the same lift is their `from_re`, e.g.
/// `Dual2::from_re(x)` inside a [`second_derivative`]. A plain float needs no
/// lift: literals mix in directly (`y * 2.0`), and a captured `f64` becomes a
/// dual constant with `c.into()`.
///
/// [`derivative`]: crate::forward::derivative
/// [`second_derivative`]: crate::forward::second_derivative
#[inline]
pub fn lift<T: Real<F>, F>(x: T) -> Dual<T> {
    Dual::from_re(x)
}
