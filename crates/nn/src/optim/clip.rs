//! Clipping each element of the gradient.

use super::select::clamp;
use super::{Rule, Trainable};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// Each element of the gradient clipped to `[-δ, δ]`, Optimisers.jl's
/// `ClipGrad(δ = 10)`: `Δ = clamp(g, -δ, δ)`. It takes no step of its own;
/// put it in front of a rule in an
/// [`OptimiserChain`](super::OptimiserChain).
///
/// An element that is infinite becomes NaN, not `±δ`: the clamp is
/// written with the device's arithmetic, which has no comparison.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{ClipGrad, Descent, OptimiserChain, Rule};
///
/// let mut x = Vector::<3, f64>::zeros();
/// let mut opt = OptimiserChain((ClipGrad::new(0.5), Descent::new(1.0))).setup(&x);
/// opt.update(&mut x, &Vector::from_array([-2.0, 0.25, 9.0]));
/// assert_eq!(x.to_vec(), [0.5, -0.25, -0.5]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipGrad {
    /// The bound `δ`.
    pub delta: f64,
}

impl ClipGrad {
    /// Clipping to `[-delta, delta]`.
    pub fn new(delta: f64) -> Self {
        ClipGrad { delta }
    }
}

impl Default for ClipGrad {
    /// Optimisers.jl's default, `δ = 10`.
    fn default() -> Self {
        ClipGrad::new(10.0)
    }
}

impl Rule for ClipGrad {
    type State<M: Functor> = ();

    fn init<M: Functor + Clone>(&self, _: &M) {}

    fn apply<M: Functor>(
        &self,
        (): &mut (),
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        trainable.walk::<M, _>(grad, &mut Clip(self.delta));
        ControlFlow::Continue(())
    }
}

/// [`ClipGrad`] at each parameter.
struct Clip(f64);

impl Visitor for Clip {
    type Access = Mut;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, g: &mut Tensor<S, E, D>) {
        *g = clamp(g, self.0);
    }
}
