//! Plain gradient descent.

use super::{Rule, lit};
use typeflux_core::functor::{Functor, Mut, Path, Ref, Visitor, walk};
use typeflux_core::{Device, Element, Shape, Tensor};

/// Gradient descent with learning rate `eta`: `p -= η · g` for every
/// parameter `p` and its gradient `g`. Optimisers.jl's `Descent(η = 0.1)`.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{Descent, Rule};
/// use typeflux_nn::prelude::*;
///
/// let mut layer = Dense::<1, 1, Identity, f64>::new(identity).init(ones);
/// let mut grad = layer.clone();
/// grad.weight = Matrix::from_array([[2.0]]);
/// grad.bias = None; // no gradient for the bias: it is left alone
///
/// let mut opt = Descent::new(0.1).setup(&layer);
/// opt.update(&mut layer, &grad);
/// assert_eq!(layer.weight[[0, 0]], 1.0 - 0.1 * 2.0);
/// assert_eq!(layer.bias.unwrap()[0], 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Descent {
    /// The learning rate `η`.
    pub eta: f64,
}

impl Descent {
    /// Descent with learning rate `eta`.
    pub fn new(eta: f64) -> Self {
        Descent { eta }
    }
}

impl Default for Descent {
    /// Optimisers.jl's default, `η = 0.1`.
    fn default() -> Self {
        Descent::new(0.1)
    }
}

impl Rule for Descent {
    type State<M: Functor> = ();

    fn init<M: Functor + Clone>(&self, _: &M) {}

    fn apply<M: Functor>(&self, (): &mut (), model: &mut M, grad: &M) {
        walk::<M, _>((model, grad), &mut Step { eta: self.eta });
    }
}

/// One step of [`Descent`] at each parameter.
struct Step {
    eta: f64,
}

impl Visitor for Step {
    type Access = (Mut, Ref);

    fn tensor<S: Shape, E: Element, D: Device>(
        &mut self,
        _: &Path,
        (p, g): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        p.axpy(lit(-self.eta), g);
    }
}
