//! AdamW: Adam with decoupled weight decay.

use super::Rule;
use super::adam::{self, Adam, AdamState};
use typeflux_core::functor::Functor;

/// Adam with decoupled weight decay, Optimisers.jl's
/// `AdamW(η = 0.001, β = (0.9, 0.999), λ = 0, ϵ = 1e-8)` (with its default
/// `couple = true`, as PyTorch's `AdamW`): the [`Adam`] step, plus a decay of
/// the parameter itself by `η·λ`, not added to the gradient (so it does not
/// pass through the moments):
///
/// ```text
/// p = p - η · (m̂ / (√v̂ + ϵ) + λ·p)
/// ```
///
/// where `m̂`, `v̂` are Adam's bias-corrected moments and `p` on the right is
/// the parameter before the step. With `λ = 0` it is [`Adam`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamW {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay rates `(β₁, β₂)` of the first and second moments.
    pub beta: (f64, f64),
    /// The weight decay `λ`, applied as `η·λ` per step.
    pub lambda: f64,
    /// `ϵ`, which keeps the step finite where `v` is zero.
    pub epsilon: f64,
}

impl AdamW {
    /// AdamW with learning rate `eta`, decay rates `beta` and weight decay
    /// `lambda`; `ϵ = 1e-8`.
    pub fn new(eta: f64, beta: (f64, f64), lambda: f64) -> Self {
        AdamW {
            eta,
            beta,
            lambda,
            epsilon: 1e-8,
        }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        AdamW { epsilon, ..self }
    }

    fn adam(&self) -> Adam {
        Adam {
            eta: self.eta,
            beta: self.beta,
            epsilon: self.epsilon,
        }
    }
}

impl Default for AdamW {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.9, 0.999)`, `λ = 0`,
    /// `ϵ = 1e-8`.
    fn default() -> Self {
        AdamW::new(0.001, (0.9, 0.999), 0.0)
    }
}

impl Rule for AdamW {
    type State<M: Functor> = AdamState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> AdamState<M> {
        adam::init(model, self.beta)
    }

    fn apply<M: Functor>(&self, state: &mut AdamState<M>, model: &mut M, grad: &M) {
        adam::step(state, model, grad, self.adam(), self.eta * self.lambda);
    }
}
