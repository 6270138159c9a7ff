//! The one scalar trait that user code is written against.

use num_dual::DualNum;

/// A real number of any automatic-differentiation mode.
///
/// `f32`, `f64`, every `num-dual` number (`Dual`, `Dual2`, `Dual3`, `HyperDual`,
/// `HyperHyperDual`, `DualVec`, and nestings of them) and typeflux's reverse-mode
/// scalar implement it, so a function written once against `Real` can be
/// evaluated, differentiated forwards, nested, or differentiated backwards.
///
/// The type parameter is the primitive float the number is built on; it defaults
/// to `f64`, so `T: Real` reads as "a real number over `f64`" and float literals
/// mix in as constants:
///
/// ```
/// use typeflux_core::Real;
///
/// fn f<T: Real>(x: T) -> T {
///     x * x * 3.0 + x * 2.0 + 1.0
/// }
/// assert_eq!(f(2.0), 17.0);
///
/// fn g<T: Real<f32>>(x: T) -> T {
///     x.sin() * 2.0
/// }
/// assert_eq!(g(0.0f32), 0.0);
/// ```
pub trait Real<F = f64>: DualNum<Primitive = F> + Copy + Send + Sync {}

impl<T: DualNum + Copy + Send + Sync> Real<T::Primitive> for T {}
