//! Optimisers with the names and meanings of Optimisers.jl: [`Descent`],
//! [`Momentum`], [`Nesterov`], [`Adam`] and [`AdamW`], and [`ClipNorm`],
//! which clips the gradient by its norm before another rule's step.
//!
//! An optimisation *rule* holds the hyperparameters. [`Rule::setup`] builds
//! its state for a model (Optimisers.jl's `setup(rule, model)`): a velocity
//! or moment for every parameter, made by one [`fmap_with`] over the model,
//! so it has the model's own type. [`Optimiser::update`] then walks the
//! model, its gradient and the state side by side (Optimisers.jl's
//! `update!(state, model, grad)`); the gradient has the model's type too, as
//! [`gradient`](typeflux_ad::reverse::gradient) of the model returns it.
//! A parameter that is absent (a layer built with `bias(false)`) is passed
//! over, and so is one whose gradient is `None`.
//!
//! ```
//! use typeflux_ad::reverse::{gradient, model};
//! use typeflux_core::prelude::*;
//! use typeflux_nn::optim::{Adam, Rule};
//! use typeflux_nn::prelude::*;
//!
//! let mut chain = Chain((Dense::<2, 3>::new(tanh), Dense::<3, 1>::new(identity)));
//! let mut opt = Adam::new(0.01).setup(&chain);
//!
//! let x = Batch::<2>::from_fn((Const, 4), |[i, j]| (i + j) as f32);
//! let y = Batch::<1>::from_fn((Const, 4), |[_, j]| j as f32);
//! let before = mse(chain.forward(&x), &y).item();
//! for _ in 0..50 {
//!     let grad = gradient(|m| mse(m.forward(&x), &y), model(&chain));
//!     opt.update(&mut chain, &grad);
//! }
//! assert!(mse(chain.forward(&x), &y).item() < before);
//! ```
//!
//! Every step is written with the tensor operations of
//! [`typeflux_core::Device`] (`axpy`, scalar and elementwise
//! arithmetic), so the same rules update tensors on any device, in any
//! element type. Hyperparameters are `f64` and are converted to the element
//! type at each step.

mod adam;
mod adamw;
mod clipnorm;
mod descent;
mod momentum;
mod nesterov;

pub use adam::{Adam, AdamState};
pub use adamw::AdamW;
pub use clipnorm::{ClipNorm, ClipNormState};
pub use descent::Descent;
pub use momentum::Momentum;
pub use nesterov::Nesterov;

use typeflux_core::functor::{Functor, Mapper, Path, fmap_with};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// An optimisation rule: the hyperparameters, how to build the state a model
/// needs, and how one step changes the model.
///
/// Write `rule.setup(&model)` to get an [`Optimiser`], and call its
/// [`update`](Optimiser::update) after each gradient.
pub trait Rule: Sized {
    /// What the rule keeps between steps for a model of type `M`: nothing
    /// for [`Descent`], a velocity of the model's type for [`Momentum`].
    type State<M: Functor>;

    /// The state before the first step, for `model`.
    fn init<M: Functor + Clone>(&self, model: &M) -> Self::State<M>;

    /// One step: changes `model` in place by `grad`, a value of the model's
    /// own type, and advances `state`.
    fn apply<M: Functor>(&self, state: &mut Self::State<M>, model: &mut M, grad: &M);

    /// The rule together with its state for `model`: Optimisers.jl's
    /// `setup(rule, model)`.
    fn setup<M: Functor + Clone>(self, model: &M) -> Optimiser<Self, M> {
        Optimiser {
            state: self.init(model),
            rule: self,
        }
    }
}

/// A rule with its state for one model type, built by [`Rule::setup`] or
/// [`setup`].
pub struct Optimiser<R: Rule, M: Functor> {
    /// The hyperparameters. They may be changed between steps, as
    /// Optimisers.jl's `adjust!` does: `opt.rule.eta = 1e-4`.
    pub rule: R,
    state: R::State<M>,
}

impl<R: Rule, M: Functor> Optimiser<R, M> {
    /// Changes `model` by one step of the rule, given `grad`, the gradient
    /// of the loss with respect to `model`: Optimisers.jl's
    /// `update!(state, model, grad)`. State that the model keeps but does
    /// not train (a `BatchNorm`'s running statistics) is taken from `grad`,
    /// which holds what the forward pass recorded (see [`crate::state`]).
    ///
    /// # Panics
    /// When a tensor of `grad` has another runtime shape than the same
    /// tensor of `model`.
    pub fn update(&mut self, model: &mut M, grad: &M) {
        self.rule.apply(&mut self.state, model, grad);
        crate::state::take_state(model, grad);
    }

    /// The state: velocities, moments, step counts.
    pub fn state(&self) -> &R::State<M> {
        &self.state
    }
}

impl<R: Rule + Clone, M: Functor> Clone for Optimiser<R, M>
where
    R::State<M>: Clone,
{
    fn clone(&self) -> Self {
        Optimiser {
            rule: self.rule.clone(),
            state: self.state.clone(),
        }
    }
}

impl<R: Rule + core::fmt::Debug, M: Functor> core::fmt::Debug for Optimiser<R, M>
where
    R::State<M>: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Optimiser")
            .field("rule", &self.rule)
            .field("state", &self.state)
            .finish()
    }
}

/// Optimisers.jl's `setup(rule, model)`: the same as `rule.setup(model)`.
pub fn setup<R: Rule, M: Functor + Clone>(rule: R, model: &M) -> Optimiser<R, M> {
    rule.setup(model)
}

/// A copy of `model` whose tensors are all zero: the starting velocity or
/// moment of a rule. Leaves that are not tensors are copied as they are.
pub fn zeroed<M: Functor + Clone>(model: &M) -> M {
    fmap_with(&mut Zeros, model.clone())
}

/// The mapper behind [`zeroed`].
struct Zeros;

impl Mapper for Zeros {
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        tensor: Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        tensor.zeros_like()
    }
}

/// `E` from an `f64` hyperparameter.
#[inline]
fn lit<E: Element>(x: f64) -> E {
    E::from_f64(x).expect("an f64 hyperparameter converts to every element type")
}
