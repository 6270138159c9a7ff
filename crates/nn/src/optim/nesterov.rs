//! Gradient descent with Nesterov momentum.

use super::{Rule, Trainable, lit, zeroed};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// Gradient descent with Nesterov momentum, Optimisers.jl's
/// `Nesterov(η = 0.001, ρ = 0.9)`: a velocity `v` per parameter, starting at
/// zero, and at each step
///
/// ```text
/// p = p - (-ρ²·v + (1 + ρ)·η·g)    with the velocity before the step
/// v = ρ·v - η·g
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nesterov {
    /// The learning rate `η`.
    pub eta: f64,
    /// The momentum `ρ`.
    pub rho: f64,
}

impl Nesterov {
    /// Nesterov momentum with learning rate `eta` and momentum `rho`.
    pub fn new(eta: f64, rho: f64) -> Self {
        Nesterov { eta, rho }
    }
}

impl Default for Nesterov {
    /// Optimisers.jl's defaults, `η = 0.001`, `ρ = 0.9`.
    fn default() -> Self {
        Nesterov::new(0.001, 0.9)
    }
}

impl Rule for Nesterov {
    /// The velocity, one tensor per parameter.
    type State<M: Functor> = M;

    fn init<M: Functor + Clone>(&self, model: &M) -> M {
        zeroed(model)
    }

    fn apply<M: Functor>(
        &self,
        velocity: &mut M,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        trainable.walk::<M, _>((grad, velocity), &mut Step(*self));
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// One step of [`Nesterov`] at each parameter.
struct Step(Nesterov);

impl Visitor for Step {
    type Access = (Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, v): (&mut Tensor<S, E, D>, &mut Tensor<S, E, D>),
    ) {
        let Nesterov { eta, rho } = self.0;
        // The step uses the velocity before it changes.
        let mut change = &*v * lit::<E>(-rho * rho);
        change.axpy(lit((1.0 + rho) * eta), g);
        *v *= lit::<E>(rho);
        v.axpy(lit(-eta), g);
        *g = change;
    }
}
