//! AdaGrad: steps scaled by the sum of all squared gradients so far.

use super::{Rule, Trainable, filled, lit};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// AdaGrad, Optimisers.jl's `AdaGrad(η = 0.1, ϵ = 1e-8)`: a sum `s` of the
/// squared gradients per parameter, starting at `ϵ`, and at each step
///
/// ```text
/// s = s + g²
/// p = p - η·g / (√s + ϵ)
/// ```
///
/// ```
/// use typeflux_nn::optim::AdaGrad;
///
/// assert_eq!(AdaGrad::default(), AdaGrad::new(0.1).epsilon(1e-8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaGrad {
    /// The learning rate `η`.
    pub eta: f64,
    /// `ϵ`, the start of the sums and a guard of the division.
    pub epsilon: f64,
}

impl AdaGrad {
    /// AdaGrad with learning rate `eta` and `ϵ = 1e-8`.
    pub fn new(eta: f64) -> Self {
        AdaGrad { eta, epsilon: 1e-8 }
    }

    /// The same rule with `epsilon`.
    #[must_use]
    pub fn epsilon(self, epsilon: f64) -> Self {
        AdaGrad { epsilon, ..self }
    }
}

impl Default for AdaGrad {
    /// Optimisers.jl's defaults, `η = 0.1`, `ϵ = 1e-8`.
    fn default() -> Self {
        AdaGrad::new(0.1)
    }
}

impl Rule for AdaGrad {
    /// The sums of the squared gradients, one tensor per parameter.
    type State<M: Functor> = M;

    fn init<M: Functor + Clone>(&self, model: &M) -> M {
        filled(model, self.epsilon)
    }

    fn apply<M: Functor>(
        &self,
        sums: &mut M,
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        trainable.walk::<M, _>((grad, sums), &mut Step(*self));
        ControlFlow::Continue(())
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// One step of [`AdaGrad`] at each parameter.
struct Step(AdaGrad);

impl Visitor for Step {
    type Access = (Mut, Mut);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, sum): (&mut Tensor<S, E, D>, &mut Tensor<S, E, D>),
    ) {
        *sum += &g.square();
        let mut denominator = sum.sqrt();
        denominator += lit::<E>(self.0.epsilon);
        *g *= lit::<E>(self.0.eta);
        *g /= &denominator;
    }
}
