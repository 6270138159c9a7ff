//! AdaMax: Adam with the infinity norm.

use super::adam::{self, AdamState};
use super::select::maximum;
use super::{Rule, Trainable, lit};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// AdaMax, Optimisers.jl's `AdaMax(η = 0.001, β = (0.9, 0.999), ϵ = 1e-8)`,
/// the variant of Adam from the same paper that scales by a running
/// maximum `u` of the gradient's size instead of a mean of its square. The
/// moments start at zero, and at step `t`
///
/// ```text
/// m = β₁·m + (1 - β₁)·g
/// u = max(β₂·u, |g|)
/// p = p - η / (1 - β₁ᵗ) · m / (u + ϵ)
/// ```
///
/// The state is an [`AdamState`] whose `v` holds `u`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaMax {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay rates `(β₁, β₂)` of the first and second moments.
    pub beta: (f64, f64),
    /// `ϵ`, which keeps the step finite.
    pub epsilon: f64,
}

impl AdaMax {
    /// AdaMax with learning rate `eta` and the default `β = (0.9, 0.999)`,
    /// `ϵ = 1e-8`.
    pub fn new(eta: f64) -> Self {
        AdaMax {
            eta,
            beta: (0.9, 0.999),
            epsilon: 1e-8,
        }
    }

    /// The same rule with decay rates `beta`.
    #[must_use]
    pub fn beta(self, beta: (f64, f64)) -> Self {
        AdaMax { beta, ..self }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        AdaMax { epsilon, ..self }
    }
}

impl Default for AdaMax {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.9, 0.999)`, `ϵ = 1e-8`.
    fn default() -> Self {
        AdaMax::new(0.001)
    }
}

impl Rule for AdaMax {
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

/// One step of [`AdaMax`] at each parameter.
struct Step {
    rule: AdaMax,
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
        let AdaMax { eta, beta, epsilon } = self.rule;
        *m *= lit::<E>(beta.0);
        m.axpy(lit(1.0 - beta.0), g);
        *v = maximum(&(&*v * lit::<E>(beta.1)), &g.abs());
        let mut change = &*m / &(&*v + lit::<E>(epsilon));
        change *= lit::<E>(eta / (1.0 - self.beta_t.0));
        *g = change;
    }
}
