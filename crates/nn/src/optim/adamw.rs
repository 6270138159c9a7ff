//! AdamW: Adam with decoupled weight decay.

use super::adam::{self, AdamState};
use super::{Rule, Trainable};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Ref, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// Adam with decoupled weight decay, Optimisers.jl's
/// `AdamW(η = 0.001, β = (0.9, 0.999), λ = 0, ϵ = 1e-8; couple = true)`:
/// the [`Adam`](super::Adam) step, plus a decay of the parameter itself,
/// not added to the gradient (so it does not pass through the moments).
/// With the default `couple = true`, as PyTorch's `AdamW`, the decay is
/// scaled by the learning rate:
///
/// ```text
/// p = p - η · (m̂ / (√v̂ + ϵ) + λ·p)
/// ```
///
/// and with [`couple(false)`](AdamW::couple), closer to the paper,
/// `p = p - η · m̂ / (√v̂ + ϵ) - λ·p`, where `m̂`, `v̂` are Adam's
/// bias-corrected moments and `p` on the right is the parameter before the
/// step. With `λ = 0` it is Adam.
///
/// ```
/// use typeflux_nn::optim::AdamW;
///
/// let rule = AdamW::new(1e-3, (0.9, 0.999), 1e-2).couple(false);
/// assert_eq!((rule.lambda, rule.couple), (1e-2, false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamW {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay rates `(β₁, β₂)` of the first and second moments.
    pub beta: (f64, f64),
    /// The weight decay `λ`, applied as `η·λ` per step, or `λ` when not
    /// coupled.
    pub lambda: f64,
    /// `ϵ`, which keeps the step finite where `v` is zero.
    pub epsilon: f64,
    /// Whether the decay is scaled by the learning rate.
    pub couple: bool,
}

impl AdamW {
    /// AdamW with learning rate `eta`, decay rates `beta` and weight decay
    /// `lambda`; `ϵ = 1e-8`, coupled.
    pub fn new(eta: f64, beta: (f64, f64), lambda: f64) -> Self {
        AdamW {
            eta,
            beta,
            lambda,
            epsilon: 1e-8,
            couple: true,
        }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        AdamW { epsilon, ..self }
    }

    /// The same rule with the decay scaled by the learning rate (`true`, the
    /// default) or not.
    #[must_use]
    pub fn couple(self, couple: bool) -> Self {
        AdamW { couple, ..self }
    }
}

impl Default for AdamW {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.9, 0.999)`, `λ = 0`,
    /// `ϵ = 1e-8`, coupled.
    fn default() -> Self {
        AdamW::new(0.001, (0.9, 0.999), 0.0)
    }
}

impl Rule for AdamW {
    type State<M: Functor> = AdamState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> AdamState<M> {
        adam::init(model, self.beta)
    }

    fn apply<M: Functor>(
        &self,
        state: &mut AdamState<M>,
        model: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        let AdamState { m, v, beta_t } = state;
        let mut at_each = Step {
            rule: *self,
            correction: (1.0 - beta_t.0, 1.0 - beta_t.1),
        };
        trainable.walk::<M, _>((grad, model, m, v), &mut at_each);
        *beta_t = (beta_t.0 * self.beta.0, beta_t.1 * self.beta.1);
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// One AdamW step at each parameter.
struct Step {
    rule: AdamW,
    /// `(1 - β₁ᵗ, 1 - β₂ᵗ)`.
    correction: (f64, f64),
}

impl Visitor for Step {
    type Access = (Mut, Ref, Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, p, m, v): (
            &mut Tensor<S, E, D>,
            &Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
        ),
    ) {
        let AdamW {
            eta,
            beta,
            lambda,
            epsilon,
            couple,
        } = self.rule;
        adam::change(g, m, v, beta, eta, epsilon, self.correction);
        if lambda != 0.0 {
            let decay = if couple { eta * lambda } else { lambda };
            g.axpy(super::lit(decay), p);
        }
    }
}
