//! Forward-mode automatic differentiation on num-dual's dual numbers.
//!
//! A function written once, generic over [`Real`](typeflux_core::Real), is
//! called with dual numbers that carry derivatives along with values. Every
//! function here evaluates the user's function once (or once per variable for
//! [`forward_diaghessian`]) and returns exact derivatives, not finite differences.
//!
//! | function | input | number type passed to `g` | returns |
//! |---|---|---|---|
//! | [`derivative`] | `x: T` | [`Dual<T>`] | `g'(x)` |
//! | [`value_and_derivative`] | `x: T` | [`Dual<T>`] | `(g, g')` |
//! | [`second_derivative`] | `x: T` | [`Dual2<T>`] | `(g, g', g'')` |
//! | [`third_derivative`] | `x: T` | [`Dual3<T>`] | `(g, g', g'', g''')` |
//! | [`partial`] | `x, y: T` | [`DualSVec<T, 2>`] | `(g, ∂x, ∂y)` |
//! | [`second_partial`] | `x, y: T` | [`HyperDual<T>`] | `(g, ∂x, ∂y, ∂x∂y)` |
//! | [`third_partial`] | `x, y, z: T` | [`HyperHyperDual<T>`] | [`ThirdPartials`] |
//! | [`forward_gradient`] | `SVector<T, N>` | [`DualSVec<T, N>`] | [`ValueGradient`] |
//! | [`jacobian`] | `SVector<T, N>` | [`DualSVec<T, N>`] | [`ValueJacobian`] |
//! | [`forward_hessian`] | `SVector<T, N>` | [`Dual2SVec<T, N>`] | [`ValueGradientHessian`] |
//! | [`forward_diaghessian`] | `SVector<T, N>` | [`Dual2<T>`] | [`ValueGradientDiagHessian`] |
//!
//! `T` is any [`Real`](typeflux_core::Real), including the dual numbers
//! themselves, which is how these functions nest; [`lift`] brings a captured
//! outer variable into an inner [`derivative`].
//!
//! Inside a generic function `T: Real` gives access to the math methods
//! (`sin`, `exp`, `powi`, ...). A closure works on concrete dual numbers, so
//! its methods come from the [`DualNum`] trait, which must be in scope:
//! `use typeflux_ad::DualNum;`.
//!
//! The crate root re-exports every function here. The names say the mode
//! where another mode computes the same thing: [`forward_gradient`] beside
//! reverse mode's [`gradient`](crate::gradient), which differentiates
//! tensors and models; [`forward_hessian`] and [`forward_diaghessian`]
//! beside forward over reverse's [`mixed::hessian`](crate::mixed::hessian)
//! and [`mixed::diaghessian`](crate::mixed::diaghessian).

mod lift;
mod partial;
mod scalar;
mod vector;

pub use lift::lift;
pub use num_dual::{Dual, Dual2, Dual2SVec, Dual3, DualNum, DualSVec, HyperDual, HyperHyperDual};
pub use partial::{ThirdPartials, partial, second_partial, third_partial};
pub use scalar::{derivative, second_derivative, third_derivative, value_and_derivative};
pub use vector::{
    ValueGradient, ValueGradientDiagHessian, ValueGradientHessian, ValueJacobian,
    forward_diaghessian, forward_gradient, forward_hessian, jacobian,
};
