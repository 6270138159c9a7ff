//! Lion: the sign of an interpolated momentum.

use super::{Rule, Trainable, lit, zeroed};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// Lion, Optimisers.jl's `Lion(η = 0.001, β = (0.9, 0.999))`: a momentum
/// `m` per parameter, starting at zero, and a step of size `η` in every
/// coordinate, the sign of `m` and `g` mixed by `β₁`. At each step, as the
/// paper (Chen et al., 2023) writes it:
///
/// ```text
/// p = p - η·sign(β₁·m + (1 - β₁)·g)
/// m = β₂·m + (1 - β₂)·g
/// ```
///
/// ```
/// use typeflux_nn::optim::Lion;
///
/// let rule = Lion::new(3e-4).beta((0.95, 0.98));
/// assert_eq!((rule.eta, rule.beta), (3e-4, (0.95, 0.98)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lion {
    /// The learning rate `η`: the size of every step in every coordinate.
    pub eta: f64,
    /// `β₁` mixes the momentum into the step, `β₂` decays it.
    pub beta: (f64, f64),
}

impl Lion {
    /// Lion with learning rate `eta` and `β = (0.9, 0.999)`.
    pub fn new(eta: f64) -> Self {
        Lion {
            eta,
            beta: (0.9, 0.999),
        }
    }

    /// The same rule with `beta`.
    #[must_use]
    pub fn beta(self, beta: (f64, f64)) -> Self {
        Lion { beta, ..self }
    }
}

impl Default for Lion {
    /// Optimisers.jl's defaults, `η = 0.001`, `β = (0.9, 0.999)`.
    fn default() -> Self {
        Lion::new(0.001)
    }
}

impl Rule for Lion {
    /// The momentum, one tensor per parameter.
    type State<M: Functor> = M;

    fn init<M: Functor + Clone>(&self, model: &M) -> M {
        zeroed(model)
    }

    fn apply<M: Functor>(
        &self,
        momentum: &mut M,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        trainable.walk::<M, _>((grad, momentum), &mut Step(*self));
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// One step of [`Lion`] at each parameter.
struct Step(Lion);

impl Visitor for Step {
    type Access = (Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, m): (&mut Tensor<S, E, D>, &mut Tensor<S, E, D>),
    ) {
        let Lion { eta, beta } = self.0;
        let mut direction = &*m * lit::<E>(beta.0);
        direction.axpy(lit(1.0 - beta.0), g);
        *m *= lit::<E>(beta.1);
        m.axpy(lit(1.0 - beta.1), g);
        *g = direction.sign() * lit::<E>(eta);
    }
}
