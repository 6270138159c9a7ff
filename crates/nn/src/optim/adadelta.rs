//! AdaDelta: AdaGrad over a window, with no learning rate.

use super::{Rule, Trainable, lit, zeroed};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// AdaDelta, Optimisers.jl's `AdaDelta(ρ = 0.9, ϵ = 1e-8)`: running means
/// `s` of the squared gradient and `d` of the squared step, per parameter,
/// starting at zero; the step's size comes from their ratio, so there is
/// no learning rate. At each step
///
/// ```text
/// s = ρ·s + (1 - ρ)·g²
/// Δ = g·√(d + ϵ) / √(s + ϵ)
/// d = ρ·d + (1 - ρ)·Δ²
/// p = p - Δ
/// ```
///
/// ```
/// use typeflux_nn::optim::AdaDelta;
///
/// assert_eq!(AdaDelta::default(), AdaDelta::new(0.9).epsilon(1e-8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaDelta {
    /// The decay `ρ` of the running means.
    pub rho: f64,
    /// `ϵ`, inside both square roots: it also sets the size of the first
    /// steps, about `√ϵ`.
    pub epsilon: f64,
}

impl AdaDelta {
    /// AdaDelta with decay `rho` and `ϵ = 1e-8`.
    pub fn new(rho: f64) -> Self {
        AdaDelta { rho, epsilon: 1e-8 }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        AdaDelta { epsilon, ..self }
    }
}

impl Default for AdaDelta {
    /// Optimisers.jl's defaults, `ρ = 0.9`, `ϵ = 1e-8`.
    fn default() -> Self {
        AdaDelta::new(0.9)
    }
}

/// The state of [`AdaDelta`] for a model of type `M`.
#[derive(Clone, Debug)]
pub struct AdaDeltaState<M> {
    /// The running mean of the squared gradient, `s`.
    pub grad: M,
    /// The running mean of the squared step, `d`.
    pub step: M,
}

impl Rule for AdaDelta {
    type State<M: Functor> = AdaDeltaState<M>;

    fn init<M: Functor + Clone>(&self, model: &M) -> AdaDeltaState<M> {
        AdaDeltaState {
            grad: zeroed(model),
            step: zeroed(model),
        }
    }

    fn apply<M: Functor>(
        &self,
        state: &mut AdaDeltaState<M>,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        trainable.walk::<M, _>((grad, &mut state.grad, &mut state.step), &mut Step(*self));
        ControlFlow::Continue(())
    }
}

/// One step of [`AdaDelta`] at each parameter.
struct Step(AdaDelta);

impl Visitor for Step {
    type Access = (Mut, Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, s, d): (
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
        ),
    ) {
        let AdaDelta { rho, epsilon } = self.0;
        *s *= lit::<E>(rho);
        s.axpy(lit(1.0 - rho), &g.square());
        // ϵ stays inside both roots: it is what starts the steps.
        *g *= &(&*d + lit::<E>(epsilon)).sqrt();
        *g /= &(&*s + lit::<E>(epsilon)).sqrt();
        *d *= lit::<E>(rho);
        d.axpy(lit(1.0 - rho), &g.square());
    }
}
