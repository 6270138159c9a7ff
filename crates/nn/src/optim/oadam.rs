//! OAdam: optimistic Adam.

use super::adam::{self, AdamState};
use super::{Rule, Trainable, lit, zeroed};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// Optimistic Adam, Optimisers.jl's `OAdam(η = 0.001, β = (0.5, 0.9),
/// ϵ = 1e-8)`, for adversarial training: Adam's step `a = η·m̂ / (√v̂ + ϵ)`
/// taken twice, less the step before it:
///
/// ```text
/// p = p - (2·a - a_before)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OAdam {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay rates `(β₁, β₂)` of the first and second moments.
    pub beta: (f64, f64),
    /// `ϵ`, which keeps the step finite.
    pub epsilon: f64,
}

impl OAdam {
    /// OAdam with learning rate `eta` and the default `β = (0.5, 0.9)`,
    /// `ϵ = 1e-8`.
    pub fn new(eta: f64) -> Self {
        OAdam {
            eta,
            beta: (0.5, 0.9),
            epsilon: 1e-8,
        }
    }

    /// The same rule with decay rates `beta`.
    #[must_use]
    pub fn beta(self, beta: (f64, f64)) -> Self {
        OAdam { beta, ..self }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        OAdam { epsilon, ..self }
    }
}

impl Default for OAdam {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.5, 0.9)`, `ϵ = 1e-8`.
    fn default() -> Self {
        OAdam::new(0.001)
    }
}

/// The state of [`OAdam`] for a model of type `M`.
#[derive(Clone, Debug)]
pub struct OAdamState<M> {
    /// Adam's moments and `βᵗ`.
    pub moments: AdamState<M>,
    /// Adam's step of the step before, `a_before`, one tensor per
    /// parameter, zero at first.
    pub term: M,
}

impl Rule for OAdam {
    type State<M: Functor> = OAdamState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> OAdamState<M> {
        OAdamState {
            moments: adam::init(model, self.beta),
            term: zeroed(model),
        }
    }

    fn apply<M: Functor>(
        &self,
        state: &mut OAdamState<M>,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        let AdamState { m, v, beta_t } = &mut state.moments;
        let mut at_each = Step {
            rule: *self,
            correction: (1.0 - beta_t.0, 1.0 - beta_t.1),
        };
        trainable.walk::<M, _>((grad, m, v, &mut state.term), &mut at_each);
        *beta_t = (beta_t.0 * self.beta.0, beta_t.1 * self.beta.1);
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// One step of [`OAdam`] at each parameter.
struct Step {
    rule: OAdam,
    /// `(1 - β₁ᵗ, 1 - β₂ᵗ)`.
    correction: (f64, f64),
}

impl Visitor for Step {
    type Access = (Mut, Mut, Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, m, v, term): (
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
        ),
    ) {
        let OAdam { eta, beta, epsilon } = self.rule;
        adam::moments(g, m, v, beta);
        let step = adam::corrected(m, v, eta, epsilon, self.correction);
        let mut change = &step * lit::<E>(2.0);
        change -= &*term;
        *term = step;
        *g = change;
    }
}
