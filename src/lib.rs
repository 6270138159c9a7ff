//! typeflux: automatic differentiation and neural networks where every feature
//! size is a type.
//!
//! This facade re-exports the workspace's crates; most programs need only
//! `use typeflux::prelude::*;`.
//!
//! | crate | what it holds |
//! |---|---|
//! | [`typeflux_core`] | dims, shapes, [`Tensor`], CPU kernels, functor traversal |
//! | [`ad`] | forward mode (dual numbers), reverse mode (pullbacks), mixed modes |
//! | [`nn`] | layers, `Chain`, activations, losses, optimisers, weight files |
//! | [`gpu`] | the GPU device |
//!
//! ```
//! use typeflux::prelude::*;
//!
//! fn f<T: Real>(x: T) -> T {
//!     x * x * 3.0 + x * 2.0 + 1.0
//! }
//! fn df<T: Real>(x: T) -> T {
//!     derivative(f, x)
//! }
//! assert_eq!(df(2.0), 14.0);
//! assert_eq!(derivative(df, 2.0), 6.0);
//! ```
#![warn(missing_docs)]

pub use typeflux_ad as ad;
pub use typeflux_core::*;
pub use typeflux_gpu as gpu;
pub use typeflux_nn as nn;

/// The names most programs need: tensors, derivatives, layers, losses,
/// optimisers and traversal.
pub mod prelude {
    pub use typeflux_ad::{
        DualNum, Grads, Traced, Var, derivative, gradient, lift, params, partial, pullback,
        second_derivative, second_partial, third_derivative, value_and_derivative,
        value_and_gradient,
    };
    pub use typeflux_core::functor::{Functor, children, fmap, functor};
    pub use typeflux_core::prelude::*;
    pub use typeflux_nn::prelude::*;
    pub use typeflux_nn::{Adam, AdamW, Descent, Momentum, Nesterov, Optimiser, Rule, setup};
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
