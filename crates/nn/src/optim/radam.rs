//! RAdam: rectified Adam.

use super::adam::{self, AdamState};
use super::{Rule, Trainable, lit};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// Rectified Adam, Optimisers.jl's `RAdam(η = 0.001, β = (0.9, 0.999),
/// ϵ = 1e-8)`: Adam whose adaptive step is scaled by how reliable the
/// second moment is yet, and which takes plain momentum steps while it is
/// not. With Adam's moments, `ρ∞ = 2 / (1 - β₂) - 1` and, at step `t`,
/// `ρ = ρ∞ - 2t·β₂ᵗ / (1 - β₂ᵗ)`:
///
/// ```text
/// p = p - η·r·m̂ / (√v̂ + ϵ),  r = √((ρ - 4)(ρ - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρ))   when ρ > 4
/// p = p - η·m̂                                                              otherwise
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RAdam {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay rates `(β₁, β₂)` of the first and second moments.
    pub beta: (f64, f64),
    /// `ϵ`, which keeps the step finite.
    pub epsilon: f64,
}

impl RAdam {
    /// RAdam with learning rate `eta` and the default `β = (0.9, 0.999)`,
    /// `ϵ = 1e-8`.
    pub fn new(eta: f64) -> Self {
        RAdam {
            eta,
            beta: (0.9, 0.999),
            epsilon: 1e-8,
        }
    }

    /// The same rule with decay rates `beta`.
    #[must_use]
    pub fn beta(self, beta: (f64, f64)) -> Self {
        RAdam { beta, ..self }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        RAdam { epsilon, ..self }
    }
}

impl Default for RAdam {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.9, 0.999)`, `ϵ = 1e-8`.
    fn default() -> Self {
        RAdam::new(0.001)
    }
}

/// The state of [`RAdam`] for a model of type `M`.
#[derive(Clone, Debug)]
pub struct RAdamState<M> {
    /// Adam's moments and `βᵗ`.
    pub moments: AdamState<M>,
    /// The number of the coming step, from 1.
    pub t: u32,
}

impl Rule for RAdam {
    type State<M: Functor> = RAdamState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> RAdamState<M> {
        RAdamState {
            moments: adam::init(model, self.beta),
            t: 1,
        }
    }

    fn apply<M: Functor>(
        &self,
        state: &mut RAdamState<M>,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        let AdamState { m, v, beta_t } = &mut state.moments;
        let (b1t, b2t) = *beta_t;
        let rho_inf = 2.0 / (1.0 - self.beta.1) - 1.0;
        let rho = rho_inf - 2.0 * f64::from(state.t) * b2t / (1.0 - b2t);
        // The variance of the adaptive step is finite only past ρ = 4.
        let rectification = (rho > 4.0).then(|| {
            ((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho)).sqrt()
        });
        let mut at_each = Step {
            rule: *self,
            correction: (1.0 - b1t, 1.0 - b2t),
            rectification,
        };
        trainable.walk::<M, _>((grad, m, v), &mut at_each);
        *beta_t = (b1t * self.beta.0, b2t * self.beta.1);
        state.t += 1;
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// One step of [`RAdam`] at each parameter.
struct Step {
    rule: RAdam,
    /// `(1 - β₁ᵗ, 1 - β₂ᵗ)`.
    correction: (f64, f64),
    /// `r`, or `None` for a momentum step.
    rectification: Option<f64>,
}

impl Visitor for Step {
    type Access = (Mut, Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, m, v): (
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
        ),
    ) {
        let RAdam { eta, beta, epsilon } = self.rule;
        adam::moments(g, m, v, beta);
        *g = match self.rectification {
            Some(r) => adam::corrected(m, v, eta * r, epsilon, self.correction),
            None => &*m * lit::<E>(eta / self.correction.0),
        };
    }
}
