//! AdaBelief: Adam scaled by the belief in the gradient.

use super::adam::{self, AdamState};
use super::{Rule, Trainable, lit};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// AdaBelief, Optimisers.jl's `AdaBelief(η = 0.001, β = (0.9, 0.999),
/// ϵ = 1e-16)`: Adam whose second moment is of the gradient's distance
/// from its mean `m` (how far the gradient is from what was expected), not
/// of the gradient. Moments start at zero, and at step `t`
///
/// ```text
/// m = β₁·m + (1 - β₁)·g
/// s = β₂·s + (1 - β₂)·(g - m)² + ϵ
/// p = p - η · (m / (1 - β₁ᵗ)) / (√(s / (1 - β₂ᵗ)) + ϵ)
/// ```
///
/// The state is an [`AdamState`] whose `v` holds `s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaBelief {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay rates `(β₁, β₂)` of the first and second moments.
    pub beta: (f64, f64),
    /// `ϵ`, which keeps the step finite.
    pub epsilon: f64,
}

impl AdaBelief {
    /// AdaBelief with learning rate `eta` and the default `β = (0.9, 0.999)`,
    /// `ϵ = 1e-16`.
    pub fn new(eta: f64) -> Self {
        AdaBelief {
            eta,
            beta: (0.9, 0.999),
            epsilon: 1e-16,
        }
    }

    /// The same rule with decay rates `beta`.
    #[must_use]
    pub fn beta(self, beta: (f64, f64)) -> Self {
        AdaBelief { beta, ..self }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        AdaBelief { epsilon, ..self }
    }
}

impl Default for AdaBelief {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.9, 0.999)`, `ϵ = 1e-16`.
    fn default() -> Self {
        AdaBelief::new(0.001)
    }
}

impl Rule for AdaBelief {
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

/// One step of [`AdaBelief`] at each parameter.
struct Step {
    rule: AdaBelief,
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
        let AdaBelief { eta, beta, epsilon } = self.rule;
        *m *= lit::<E>(beta.0);
        m.axpy(lit(1.0 - beta.0), g);
        *v *= lit::<E>(beta.1);
        v.axpy(lit(1.0 - beta.1), &(&*g - &*m).square());
        *v += lit::<E>(epsilon);
        let (b1t, b2t) = self.beta_t;
        *g = adam::corrected(m, v, eta, epsilon, (1.0 - b1t, 1.0 - b2t));
    }
}
