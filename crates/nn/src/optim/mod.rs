//! Optimisers with the names, hyperparameters and defaults of Optimisers.jl.
//!
//! An optimisation *rule* holds the hyperparameters. [`Rule::setup`] builds
//! its state for a model (Optimisers.jl's `setup(rule, model)`): a velocity
//! or moment for every parameter, made by one [`fmap_with`] over the model,
//! so it has the model's own type. [`Optimiser::update`] then walks the
//! model, its gradient and the state side by side (Optimisers.jl's
//! `update!(state, model, grad)`); the gradient has the model's type too, as
//! [`gradient`](typeflux_ad::reverse::gradient) of the model returns it.
//! A parameter that is absent (a layer built with `bias(false)`) is passed
//! over, and so is one whose gradient is `None`. A
//! [`Tied`](crate::tied::Tied) layer or tensor has one state and is
//! stepped once, with its one gradient, the sum of its places'.
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
//! # The rules
//! Each rule turns the gradient `g` of a parameter `p` into the step `Δ`,
//! and the parameter becomes `p - Δ` (Optimisers.jl's `apply!`). Moments
//! start at zero unless said otherwise; `t` counts steps from 1, and
//! `m̂ = m / (1 - β₁ᵗ)`, `v̂ = v / (1 - β₂ᵗ)` are the bias-corrected moments.
//!
//! | rule | defaults | state and step |
//! |------|----------|----------------|
//! | [`Descent`] | `η = 0.1` | `Δ = η·g` |
//! | [`Momentum`] | `η = 0.01, ρ = 0.9` | `v = ρ·v + η·g`, `Δ = v` |
//! | [`Nesterov`] | `η = 0.001, ρ = 0.9` | `Δ = -ρ²·v + (1 + ρ)·η·g`, then `v = ρ·v - η·g` |
//! | [`RMSProp`] | `η = 0.001, ρ = 0.9, ϵ = 1e-8` | `s = ρ·s + (1 - ρ)·g²`, `Δ = η·g / (√s + ϵ)`; centred: `√(s - c²)` with `c = ρ·c + (1 - ρ)·g` |
//! | [`Adam`] | `η = 0.001, β = (0.9, 0.999), ϵ = 1e-8` | `m = β₁·m + (1 - β₁)·g`, `v = β₂·v + (1 - β₂)·g²`, `Δ = η·m̂ / (√v̂ + ϵ)` |
//! | [`AdamW`] | `λ = 0`, else as Adam | `Δ = η·(m̂ / (√v̂ + ϵ) + λ·p)`; with `couple(false)`: `η·m̂ / (√v̂ + ϵ) + λ·p` |
//! | [`RAdam`] | as Adam | Adam's step times the rectification `r(t)`, or `η·m̂` while `ρ(t) ≤ 4` |
//! | [`AdaMax`] | as Adam | `u = max(β₂·u, abs(g))`, `Δ = η / (1 - β₁ᵗ) · m / (u + ϵ)` |
//! | [`OAdam`] | `β = (0.5, 0.9)`, else as Adam | `a = η·m̂ / (√v̂ + ϵ)`, `Δ = 2·a - a_before` |
//! | [`AdaGrad`] | `η = 0.1, ϵ = 1e-8` | `s = s + g²` from `s = ϵ`, `Δ = η·g / (√s + ϵ)` |
//! | [`AdaDelta`] | `ρ = 0.9, ϵ = 1e-8` | `s = ρ·s + (1 - ρ)·g²`, `Δ = g·√(d + ϵ) / √(s + ϵ)`, `d = ρ·d + (1 - ρ)·Δ²` |
//! | [`AMSGrad`] | as Adam | moments from `ϵ`, `v̂ = max(v̂, v)`, `Δ = η·m / (√v̂ + ϵ)` |
//! | [`NAdam`] | as Adam | `Δ = η·(β₁·m / (1 - β₁ᵗ⁺¹) + (1 - β₁)·g / (1 - β₁ᵗ)) / (√(β₂·v / (1 - β₂ᵗ)) + ϵ)` |
//! | [`AdaBelief`] | `ϵ = 1e-16`, else as Adam | `s = β₂·s + (1 - β₂)·(g - m)² + ϵ`, `Δ = η·m̂ / (√ŝ + ϵ)` |
//! | [`Lion`] | `η = 0.001, β = (0.9, 0.999)` | `Δ = η·sign(β₁·m + (1 - β₁)·g)`, then `m = β₂·m + (1 - β₂)·g` |
//! | [`Rprop`] | `η = 0.001, ℓ = (0.5, 1.2), Γ = (1e-6, 50)` | step sizes grow by `ℓ₂` (to `Γ₂`) while `g` keeps its sign, shrink by `ℓ₁` (to `Γ₁`) when it flips; `Δ = step·sign(g)` |
//!
//! And the rules that transform the gradient for the next one, made to be
//! put in an [`OptimiserChain`]: [`ClipGrad`] (`Δ = clamp(g, -δ, δ)`),
//! [`ClipNorm`] (the whole gradient scaled to norm at most `ω`),
//! [`WeightDecay`] (`Δ = g + λ·p`), [`SignDecay`] (`Δ = g + λ·sign(p)`),
//! and [`AccumGrad`] (the mean of `n` gradients, every `n`-th step).
//!
//! # Composing, freezing, adjusting
//! [`OptimiserChain`] applies rules in order, each to what the one before
//! made of the gradient, as Optimisers.jl's does.
//! [`Optimiser::freeze`] and [`Optimiser::thaw`] stop and restart the
//! training of a subtree of the model, named by its path (`"0"`,
//! `"0.weight"`), as Optimisers.jl's `freeze!` and `thaw!`.
//! [`Optimiser::adjust`] sets the learning rate of a running optimiser
//! (Optimisers.jl's `adjust!`), and the [`schedule`]s give it one for each
//! step.
//!
//! Every step is written with the tensor operations of
//! [`typeflux_core::Device`] (`axpy`, scalar and elementwise
//! arithmetic, the elementwise table's `sqrt`, `sign`, `abs` and `relu`),
//! so the same rules update tensors on any device, in any element type.
//! Hyperparameters are `f64` and are converted to the element type at each
//! step.

mod accum;
mod adabelief;
mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod adamw;
mod amsgrad;
mod chain;
mod clip;
mod clipnorm;
mod decay;
mod descent;
mod lion;
mod momentum;
mod nadam;
mod nesterov;
mod oadam;
mod radam;
mod rmsprop;
mod rprop;
pub mod schedule;
mod select;
mod trainable;

pub use accum::{AccumGrad, AccumGradState};
pub use adabelief::AdaBelief;
pub use adadelta::{AdaDelta, AdaDeltaState};
pub use adagrad::AdaGrad;
pub use adam::{Adam, AdamState};
pub use adamax::AdaMax;
pub use adamw::AdamW;
pub use amsgrad::{AMSGrad, AMSGradState};
pub use chain::OptimiserChain;
pub use clip::ClipGrad;
pub use clipnorm::ClipNorm;
pub use decay::{SignDecay, WeightDecay};
pub use descent::Descent;
pub use lion::Lion;
pub use momentum::Momentum;
pub use nadam::NAdam;
pub use nesterov::Nesterov;
pub use oadam::{OAdam, OAdamState};
pub use radam::{RAdam, RAdamState};
pub use rmsprop::{RMSProp, RMSPropState};
pub use rprop::{Rprop, RpropState};
pub use trainable::Trainable;

use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mapper, Mut, Path, Ref, Visitor, deep_clone, fmap_with};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// An optimisation rule: the hyperparameters, how to build the state a model
/// needs, and what one step makes of the gradient.
///
/// Write `rule.setup(&model)` to get an [`Optimiser`], and call its
/// [`update`](Optimiser::update) after each gradient.
pub trait Rule: Sized {
    /// What the rule keeps between steps for a model of type `M`: nothing
    /// for [`Descent`], a velocity of the model's type for [`Momentum`].
    type State<M: Functor>;

    /// The state before the first step, for `model`.
    fn init<M: Functor + Clone>(&self, model: &M) -> Self::State<M>;

    /// Turns `grad`, a value of the model's own type, in place into the
    /// step `Δ` the model takes, `model - Δ`, and advances `state`:
    /// Optimisers.jl's `apply!`. Only the parameters `trainable` walks are
    /// changed, in `grad` and in `state`.
    ///
    /// Returns `Break` when no step is to be taken this time ([`AccumGrad`]
    /// between its updates): an [`OptimiserChain`] then stops there, and
    /// the model is left as it is.
    fn apply<M: Functor>(
        &self,
        state: &mut Self::State<M>,
        model: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()>;

    /// One step of `model` given its gradient `grad`: a copy of the
    /// gradient (zero at frozen parameters) goes through
    /// [`apply`](Rule::apply) and is subtracted from the trainable
    /// parameters. A rule that can step the model directly overrides it.
    fn update<M: Functor + Clone>(
        &self,
        state: &mut Self::State<M>,
        model: &mut M,
        grad: &M,
        trainable: &Trainable,
    ) {
        let mut change = deep_clone(grad);
        trainable.zero_frozen(&mut change);
        if self
            .apply(state, model, &mut change, trainable)
            .is_continue()
        {
            trainable.walk::<M, _>((model, &change), &mut Subtract);
        }
    }

    /// Sets the learning rate `η` to `eta`, in every rule that has one (all
    /// the members of an [`OptimiserChain`]): Optimisers.jl's
    /// `adjust(rule, eta)`. A rule without a learning rate ([`ClipGrad`],
    /// [`AdaDelta`]) keeps this default, which changes nothing.
    fn adjust(&mut self, eta: f64) {
        let _ = eta;
    }

    /// The rule together with its state for `model`: Optimisers.jl's
    /// `setup(rule, model)`.
    fn setup<M: Functor + Clone>(self, model: &M) -> Optimiser<Self, M> {
        Optimiser {
            state: self.init(model),
            trainable: Trainable::of(model),
            rule: self,
        }
    }
}

/// A rule with its state for one model type, built by [`Rule::setup`] or
/// [`setup`].
pub struct Optimiser<R: Rule, M: Functor> {
    /// The hyperparameters. They may be changed between steps, as
    /// Optimisers.jl's `adjust!` does: `opt.rule.beta = (0.8, 0.99)`, or
    /// [`adjust`](Optimiser::adjust) for the learning rate.
    pub rule: R,
    state: R::State<M>,
    trainable: Trainable,
}

impl<R: Rule, M: Functor> Optimiser<R, M> {
    /// Changes `model` by one step of the rule, given `grad`, the gradient
    /// of the loss with respect to `model`: Optimisers.jl's
    /// `update!(state, model, grad)`. Frozen parameters are left alone (see
    /// [`freeze`](Optimiser::freeze)). State that the model keeps but does
    /// not train (a `BatchNorm`'s running statistics) is taken from `grad`,
    /// which holds what the forward pass recorded (see [`crate::state`]).
    ///
    /// # Panics
    /// When a tensor of `grad` has another runtime shape than the same
    /// tensor of `model`.
    pub fn update(&mut self, model: &mut M, grad: &M)
    where
        M: Clone,
    {
        self.rule
            .update(&mut self.state, model, grad, &self.trainable);
        crate::state::take_state(model, grad);
    }

    /// The state: velocities, moments, step counts.
    pub fn state(&self) -> &R::State<M> {
        &self.state
    }

    /// Sets the learning rate of the rule, of every rule of a chain, for
    /// the steps to come: Optimisers.jl's `adjust!(state, eta)`. Other
    /// hyperparameters are fields of [`rule`](Optimiser::rule), to be
    /// assigned. A [`schedule`] gives a learning rate for each step:
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::optim::schedule::{Schedule, WarmupCosine};
    /// use typeflux_nn::optim::{Descent, Rule};
    ///
    /// let mut x = Vector::<1, f64>::from_array([1.0]);
    /// let mut opt = Descent::new(0.0).setup(&x);
    /// let schedule = WarmupCosine::new(0.1, 0.001, 5, 100);
    /// for (t, eta) in schedule.iter().take(100).enumerate() {
    ///     opt.adjust(eta);
    ///     let grad = &x * 2.0; // of x²
    ///     opt.update(&mut x, &grad);
    ///     assert_eq!(opt.rule.eta, schedule.at(t + 1));
    /// }
    /// assert!(x[0].abs() < 1e-3);
    /// ```
    pub fn adjust(&mut self, eta: f64) {
        self.rule.adjust(eta);
    }

    /// Stops training the parameters at `path` and below it, `"0"` for the
    /// first layer of a chain, `"0.bias"` for its bias (the names
    /// [`named_tensors`](typeflux_core::functor::named_tensors) gives), `""`
    /// for the whole model: Optimisers.jl's `freeze!`. A frozen parameter
    /// is not changed by [`update`](Optimiser::update), to the bit, and its
    /// state (velocity, moments) is kept as it is, until it is
    /// [`thaw`](Optimiser::thaw)ed. Step counts are the optimiser's, not a
    /// parameter's: they go on while a parameter is frozen.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::optim::{Descent, Rule};
    /// use typeflux_nn::prelude::*;
    ///
    /// let first = Dense::<2, 2, Identity, f64>::new(identity);
    /// let mut chain = Chain((first, Dense::<2, 1, Identity, f64>::new(identity)));
    /// let mut opt = Descent::new(0.1).setup(&chain);
    /// opt.freeze("0");
    /// let before = chain.clone();
    /// let grad = chain.clone(); // any gradient
    /// opt.update(&mut chain, &grad);
    /// let Chain((first, second)) = &chain;
    /// assert_eq!(first.weight.to_vec(), before.0.0.weight.to_vec());
    /// assert_ne!(second.weight.to_vec(), before.0.1.weight.to_vec());
    /// ```
    ///
    /// # Panics
    /// When no parameter of the model is at or below `path`; the message
    /// lists the model's parameters.
    pub fn freeze(&mut self, path: &str) {
        self.trainable.freeze(path);
    }

    /// Trains the parameters at `path` and below it again, those frozen by
    /// [`freeze`](Optimiser::freeze) at `path`, above it or below it:
    /// Optimisers.jl's `thaw!`. `""` thaws the whole model.
    ///
    /// # Panics
    /// When no parameter of the model is at or below `path`.
    pub fn thaw(&mut self, path: &str) {
        self.trainable.thaw(path);
    }

    /// Which parameters a step reaches.
    pub fn trainable(&self) -> &Trainable {
        &self.trainable
    }
}

/// A copy of the rule and its state. The state is cloned with `clone`, so
/// where the model has [`Tied`](crate::tied::Tied) nodes, the copy's state
/// holds new handles to the same tied moments: stepping one optimiser then
/// moves the other's state of those parameters too.
impl<R: Rule + Clone, M: Functor> Clone for Optimiser<R, M>
where
    R::State<M>: Clone,
{
    fn clone(&self) -> Self {
        Optimiser {
            rule: self.rule.clone(),
            state: self.state.clone(),
            trainable: self.trainable.clone(),
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
            .field("trainable", &self.trainable)
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
    filled(model, 0.0)
}

/// A copy of `model` whose tensors hold `value` everywhere, as
/// Optimisers.jl's `onevalue(value, x)`: [`AdaGrad`]'s sums start at `ϵ`.
pub fn filled<M: Functor + Clone>(model: &M, value: f64) -> M {
    fmap_with(&mut Fill(value), model.clone())
}

/// The mapper behind [`filled`].
struct Fill(f64);

impl Mapper for Fill {
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        tensor: Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        if self.0 == 0.0 {
            tensor.zeros_like()
        } else {
            tensor.full_like(lit(self.0))
        }
    }
}

/// `p -= Δ` at each parameter: the end of a step.
struct Subtract;

impl Visitor for Subtract {
    type Access = (Mut, Ref);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (p, change): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        *p -= change;
    }
}

/// `E` from an `f64` hyperparameter.
#[inline]
fn lit<E: Element>(x: f64) -> E {
    E::from_f64(x).expect("an f64 hyperparameter converts to every element type")
}
