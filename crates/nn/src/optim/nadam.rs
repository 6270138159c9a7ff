//! NAdam: Adam with Nesterov momentum.

use super::adam::{self, AdamState};
use super::{Rule, Trainable, lit};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// NAdam, Optimisers.jl's `NAdam(η = 0.001, β = (0.9, 0.999), ϵ = 1e-8)`:
/// Adam whose first moment looks one step ahead, as Nesterov momentum
/// does. With Adam's moments, starting at zero, at step `t`
///
/// ```text
/// m = β₁·m + (1 - β₁)·g
/// v = β₂·v + (1 - β₂)·g²
/// p = p - η · (β₁·m / (1 - β₁ᵗ⁺¹) + (1 - β₁)·g / (1 - β₁ᵗ)) / (√(β₂·v / (1 - β₂ᵗ)) + ϵ)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NAdam {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay rates `(β₁, β₂)` of the first and second moments.
    pub beta: (f64, f64),
    /// `ϵ`, which keeps the step finite.
    pub epsilon: f64,
}

impl NAdam {
    /// NAdam with learning rate `eta` and the default `β = (0.9, 0.999)`,
    /// `ϵ = 1e-8`.
    pub fn new(eta: f64) -> Self {
        NAdam {
            eta,
            beta: (0.9, 0.999),
            epsilon: 1e-8,
        }
    }

    /// The same rule with decay rates `beta`.
    #[must_use]
    pub fn beta(self, beta: (f64, f64)) -> Self {
        NAdam { beta, ..self }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        NAdam { epsilon, ..self }
    }
}

impl Default for NAdam {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.9, 0.999)`, `ϵ = 1e-8`.
    fn default() -> Self {
        NAdam::new(0.001)
    }
}

impl Rule for NAdam {
    type State<M: Functor> = AdamState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> AdamState<M> {
        adam::init(model, self.beta)
    }

    fn apply<M: Functor>(
        &self,
        state: &mut AdamState<M>,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        let AdamState { m, v, beta_t } = state;
        let mut at_each = Step {
            rule: *self,
            beta_t: *beta_t,
        };
        trainable.walk::<M, _>((grad, m, v), &mut at_each);
        *beta_t = (beta_t.0 * self.beta.0, beta_t.1 * self.beta.1);
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// One step of [`NAdam`] at each parameter.
struct Step {
    rule: NAdam,
    /// `(β₁ᵗ, β₂ᵗ)`.
    beta_t: (f64, f64),
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
        let NAdam { eta, beta, epsilon } = self.rule;
        let (b1t, b2t) = self.beta_t;
        adam::moments(g, m, v, beta);
        let mut numerator = &*m * lit::<E>(beta.0 / (1.0 - beta.0 * b1t));
        numerator.axpy(lit((1.0 - beta.0) / (1.0 - b1t)), g);
        let mut denominator = (&*v * lit::<E>(beta.1 / (1.0 - b2t))).sqrt();
        denominator += lit::<E>(epsilon);
        numerator /= &denominator;
        numerator *= lit::<E>(eta);
        *g = numerator;
    }
}
