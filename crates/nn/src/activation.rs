//! Activation functions with Flux's names: `identity`, `sigmoid`, `relu`,
//! `leakyrelu`, `elu`, `gelu`, `swish`, `softplus`, `tanh`, `softmax` and
//! `logsoftmax`.
//!
//! Each is a zero-sized value of one of core's activation types, so that
//! models read as in Flux: `Dense::<10, 5>::new(sigmoid)`,
//! `Chain((dense, softmax))`. The elementwise ones are lines of core's table
//! of operations ([`typeflux_core::elementwise`]), which gives each its
//! value and, from the same definition, its derivative; every operation of
//! that table (`atan`, `abs`, ...) is an activation too. Softmax and its
//! logarithm act on each column. An activation is a [`Layer`] by itself,
//! for plain and traced tensors, on every device, in every element type.
//!
//! ```
//! use typeflux_core::elementwise::scalar;
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! assert_eq!(scalar::sigmoid(0.0), 0.5);
//! assert_eq!(scalar::sigmoid(-1.0e4f32), 0.0); // no overflow in e^(1e4)
//!
//! let p = softmax.forward(Vector::<3>::from_array([1.0e4, 0.0, -1.0e4]));
//! assert_eq!(p.to_vec(), vec![1.0, 0.0, 0.0]);
//! ```

use crate::layer::Layer;
use typeflux_ad::reverse::rules::activation::ActivationPullback;
use typeflux_ad::reverse::{Node, Traced};
pub use typeflux_core::activation::{Activation, Identity, LogSoftmax, Softmax};
pub use typeflux_core::elementwise::{
    Abs, Atan, Cos, Elu, Exp, Gelu, LeakyRelu, Ln, Neg, Recip, Relu, Sigmoid, Sign, Sin, Softplus,
    Sqrt, Square, Swish, Tanh,
};
use typeflux_core::{Element, Kernels, Shape, Tensor};

macro_rules! names {
    ($($(#[$doc:meta])* $name:ident: $Type:ident;)*) => {$(
        $(#[$doc])*
        #[allow(non_upper_case_globals)]
        pub const $name: $Type = $Type;
    )*};
}

names! {
    /// `x`: no activation, Flux's `identity`. Costs nothing, forwards or
    /// backwards, on every device.
    identity: Identity;
    /// `σ(x) = 1 / (1 + e⁻ˣ)`, Flux's `sigmoid` (`σ`).
    sigmoid: Sigmoid;
    /// `max(x, 0)`, Flux's `relu`; its derivative at 0 is 0.
    relu: Relu;
    /// `x` for `x > 0`, `0.01·x` otherwise: Flux's `leakyrelu` with its
    /// default slope.
    leakyrelu: LeakyRelu;
    /// `x` for `x ≥ 0`, `eˣ - 1` otherwise: Flux's `elu` with `α = 1`.
    elu: Elu;
    /// `x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))`: Flux's `gelu`, the tanh
    /// approximation.
    gelu: Gelu;
    /// `x · σ(x)`, Flux's `swish`.
    swish: Swish;
    /// `ln(1 + eˣ)`, Flux's `softplus`.
    softplus: Softplus;
    /// `tanh x`, Flux's `tanh`.
    tanh: Tanh;
    /// `eˣ / Σ eˣ` over each column (the features of one sample), Flux's
    /// `softmax`: each column of the result sums to 1.
    softmax: Softmax;
    /// `x - ln Σ eˣ` over each column, Flux's `logsoftmax`: the logarithm of
    /// [`softmax`], without its rounding to 0.
    logsoftmax: LogSoftmax;
}

/// Every activation is a layer: on a plain tensor it applies in place (a
/// borrowed one is copied first), on a traced one it is the activation's
/// rule.
macro_rules! activation_layers {
    ($($Type:ty),*) => {$(
        impl<S: Shape, E: Element, D: Kernels<E>> Layer<Tensor<S, E, D>> for $Type {
            type Output = Tensor<S, E, D>;

            #[inline]
            fn forward(&self, mut x: Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.activate(&mut x, false);
                x
            }
        }

        impl<'a, S: Shape, E: Element, D: Kernels<E>> Layer<&'a Tensor<S, E, D>> for $Type {
            type Output = Tensor<S, E, D>;

            #[inline]
            fn forward(&self, x: &'a Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.forward(x.clone())
            }
        }

        impl<S: Shape, E: Element, D: Kernels<E>, B: Node> Layer<Traced<Tensor<S, E, D>, B>>
            for $Type
        {
            type Output = Traced<Tensor<S, E, D>, B::Then<ActivationPullback<$Type, S, E, D>>>;

            #[inline]
            fn forward(&self, x: Traced<Tensor<S, E, D>, B>) -> Self::Output {
                x.activate(*self)
            }
        }
    )*};
}

activation_layers!(Identity, Softmax, LogSoftmax);

macro_rules! table_layers {
    ($($(#[$doc:meta])* $Op:ident $name:ident $T:ident |$x:ident| $value:expr;)*) => {
        activation_layers!($(typeflux_core::elementwise::$Op),*);
    };
}

typeflux_core::unary_ops!(table_layers);
