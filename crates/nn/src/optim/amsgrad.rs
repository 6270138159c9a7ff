//! AMSGrad: Adam with a second moment that never decreases.

use super::select::maximum;
use super::{Rule, Trainable, filled, lit};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// AMSGrad, Optimisers.jl's `AMSGrad(η = 0.001, β = (0.9, 0.999), ϵ = 1e-8)`:
/// Adam that divides by the largest second moment seen so far, without
/// bias correction. The moments start at `ϵ`, and at each step
///
/// ```text
/// m = β₁·m + (1 - β₁)·g
/// v = β₂·v + (1 - β₂)·g²
/// v̂ = max(v̂, v)
/// p = p - η·m / (√v̂ + ϵ)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AMSGrad {
    /// The learning rate `η`.
    pub eta: f64,
    /// The decay rates `(β₁, β₂)` of the first and second moments.
    pub beta: (f64, f64),
    /// `ϵ`, which keeps the step finite.
    pub epsilon: f64,
}

impl AMSGrad {
    /// AMSGrad with learning rate `eta` and the default `β = (0.9, 0.999)`,
    /// `ϵ = 1e-8`.
    pub fn new(eta: f64) -> Self {
        AMSGrad {
            eta,
            beta: (0.9, 0.999),
            epsilon: 1e-8,
        }
    }

    /// The same rule with decay rates `beta`.
    #[must_use]
    pub fn beta(self, beta: (f64, f64)) -> Self {
        AMSGrad { beta, ..self }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        AMSGrad { epsilon, ..self }
    }
}

impl Default for AMSGrad {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.9, 0.999)`, `ϵ = 1e-8`.
    fn default() -> Self {
        AMSGrad::new(0.001)
    }
}

/// The state of [`AMSGrad`] for a model of type `M`: three tensors per
/// parameter, all starting at `ϵ`.
#[derive(Clone, Debug)]
pub struct AMSGradState<M> {
    /// The first moment.
    pub m: M,
    /// The second moment.
    pub v: M,
    /// The largest second moment so far.
    pub v_max: M,
}

impl Rule for AMSGrad {
    type State<M: Functor> = AMSGradState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> AMSGradState<M> {
        AMSGradState {
            m: filled(model, self.epsilon),
            v: filled(model, self.epsilon),
            v_max: filled(model, self.epsilon),
        }
    }

    fn apply<M: Functor>(
        &self,
        state: &mut AMSGradState<M>,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        let AMSGradState { m, v, v_max } = state;
        trainable.walk::<M, _>((grad, m, v, v_max), &mut Step(*self));
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// One step of [`AMSGrad`] at each parameter.
struct Step(AMSGrad);

impl Visitor for Step {
    type Access = (Mut, Mut, Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, m, v, v_max): (
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
        ),
    ) {
        let AMSGrad { eta, beta, epsilon } = self.0;
        super::adam::moments(g, m, v, beta);
        *v_max = maximum(v_max, v);
        let mut denominator = v_max.sqrt();
        denominator += lit::<E>(epsilon);
        let mut change = &*m * lit::<E>(eta);
        change /= &denominator;
        *g = change;
    }
}
