//! Tied layers and weights: one layer, or one tensor, at several places of
//! a model, trained as one parameter.
//!
//! [`Tied::new`] makes a handle to a layer or a tensor, and each clone of
//! the handle is another place of the same value. Flux's `Chain(m, m)`:
//!
//! ```
//! use typeflux_ad::reverse::{gradient, model};
//! use typeflux_core::functor::named_tensors;
//! use typeflux_core::prelude::*;
//! use typeflux_nn::optim::{Descent, Rule};
//! use typeflux_nn::prelude::*;
//!
//! let shared = Tied::new(Dense::<2, 2, Identity, f64>::new(tanh));
//! let mut chain = Chain((shared.clone(), shared));
//! // One weight and one bias, under the first path that reaches them.
//! let names: Vec<_> = named_tensors::<f64>(&chain).into_iter().map(|t| t.name).collect();
//! assert_eq!(names, ["0.weight", "0.bias"]);
//!
//! let x = Batch::<2, f64>::from_fn((Const, 3), |[i, j]| (i + j) as f64 / 4.0);
//! let y = Batch::<2, f64>::zeros_with((Const, 3));
//! let grad = gradient(|m| mse(m.forward(&x), &y), model(&chain));
//! // The gradient has the model's ties: one gradient, at both places.
//! assert!(Tied::ptr_eq(&grad.0.0, &grad.0.1));
//!
//! let mut opt = Descent::new(0.1).setup(&chain);
//! let before = mse(chain.forward(&x), &y).item();
//! opt.update(&mut chain, &grad);
//! assert!(mse(chain.forward(&x), &y).item() < before);
//! // The step changed the one layer both places hold.
//! assert!(Tied::ptr_eq(&chain.0.0, &chain.0.1));
//! ```
//!
//! What a tie means for each part of typeflux (see [`Tied`] for why a tie
//! is a handle, not the identity of the data):
//! - the forward pass runs the one layer at each place;
//! - the gradient (typeflux-ad's `gradient` of the model) holds one
//!   gradient for the tied value, the sum of the gradients of its places,
//!   in one handle at every place;
//! - an optimiser keeps one state for it and updates it once; it is named
//!   by the first path that reaches it, where
//!   [`freeze`](crate::optim::Optimiser::freeze) finds it;
//! - a weight file (see [`io`](crate::io)) stores it once, under the first
//!   path that reaches it, and loading writes it into the one value, so
//!   the tie holds; a file without it is refused, as for any missing
//!   tensor;
//! - [`fmap`](typeflux_core::functor::fmap) maps it once, and the new
//!   model is tied where the old one was.
//!
//! A single tensor can be tied too, where a layer is generic over its
//! weight's type, as [`Dense`](crate::Dense) and
//! [`Embedding`](crate::Embedding) are: two layers with the same weight and
//! biases of their own.
//!
//! ```
//! use typeflux_ad::reverse::{gradient, model};
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let weight = Tied::new(Matrix::<3, 3, f64>::from_fn((Const, Const), |[i, j]| (i + 2 * j) as f64 / 10.0));
//! let encode = Dense::<3, 3, Identity, f64>::new(tanh).with_weight(weight.clone());
//! let decode = Dense::<3, 3, Identity, f64>::new(identity).with_weight(weight);
//! let chain = Chain((encode, decode));
//!
//! let x = Batch::<3, f64>::ones_with((Const, 2));
//! let grad = gradient(|m| m.forward(&x).square().sum(), model(&chain));
//! assert!(Tied::ptr_eq(&grad.0.0.weight, &grad.0.1.weight));
//! ```
//!
//! State a layer records in its forward pass ([`BatchNorm`](crate::BatchNorm)'s
//! running statistics) is recorded by each place on its own, from the value
//! before the step, and the gradient keeps what the first place recorded:
//! a tied `BatchNorm` moves its statistics once per step, by its first
//! place's batch, where an untied layer used twice in one loss moves them
//! twice.
//!
//! Not supported, and compile errors: tracing a tied model in place
//! ([`Descent::step`](crate::optim::Descent::step), which steps each
//! parameter during the backward pass, as soon as its gradient is known,
//! before the other places of a tie have added theirs), and moving a tied
//! model to another device or element type (each place would be copied on
//! its own): tie a layer after moving it.
//!
//! ```compile_fail
//! use typeflux_core::prelude::*;
//! use typeflux_nn::optim::Descent;
//! use typeflux_nn::prelude::*;
//!
//! let shared = Tied::new(Dense::<2, 2>::new(tanh));
//! let mut chain = Chain((shared.clone(), shared));
//! let x = Batch::<2>::ones_with((Const, 3));
//! Descent::new(0.1).step(&mut chain, |m| mse(m.forward(&x), &x));
//! ```

use crate::layer::Layer;
pub use typeflux_core::functor::Tied;

/// A tied layer runs the layer it holds.
impl<X, L: Layer<X>> Layer<X> for Tied<L> {
    type Output = L::Output;

    #[inline]
    fn forward(&self, x: X) -> L::Output {
        self.read().forward(x)
    }
}
