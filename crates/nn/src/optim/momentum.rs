//! Gradient descent with momentum.

use super::{Rule, Trainable, lit, zeroed};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// Gradient descent with momentum, Optimisers.jl's `Momentum(η = 0.01,
/// ρ = 0.9)`: a velocity `v` per parameter, starting at zero, and at each
/// step
///
/// ```text
/// v = ρ·v + η·g
/// p = p - v
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Momentum {
    /// The learning rate `η`.
    pub eta: f64,
    /// The momentum `ρ`: the fraction of the velocity kept at each step.
    pub rho: f64,
}

impl Momentum {
    /// Momentum with learning rate `eta` and momentum `rho`.
    pub fn new(eta: f64, rho: f64) -> Self {
        Momentum { eta, rho }
    }
}

impl Default for Momentum {
    /// Optimisers.jl's defaults, `η = 0.01`, `ρ = 0.9`.
    fn default() -> Self {
        Momentum::new(0.01, 0.9)
    }
}

impl Rule for Momentum {
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

/// One step of [`Momentum`] at each parameter.
struct Step(Momentum);

impl Visitor for Step {
    type Access = (Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, v): (&mut Tensor<S, E, D>, &mut Tensor<S, E, D>),
    ) {
        *v *= lit::<E>(self.0.rho);
        v.axpy(lit(self.0.eta), g);
        g.clone_from(v);
    }
}
