//! Clipping the gradient by its norm.

use super::{Rule, Trainable};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, clip_norm};

/// The gradient scaled down, when its norm (all its tensors taken as one
/// vector, see [`norm`](typeflux_core::functor::norm)) exceeds `ω`, to norm
/// `ω`: Optimisers.jl's `ClipNorm(ω = 10)` over the whole model rather
/// than each array, as Flux's `norm(destructure(g)[1])`. It takes no step
/// of its own; put it in front of a rule in an
/// [`OptimiserChain`](super::OptimiserChain). Frozen parameters do not
/// count towards the norm.
///
/// ```
/// use typeflux_core::functor::norm;
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{ClipNorm, Descent, OptimiserChain, Rule};
///
/// let mut model = (Vector::<2, f64>::zeros(), Vector::<1, f64>::zeros());
/// let grad = (Vector::from_array([30.0, 0.0]), Vector::from_array([40.0])); // norm 50
/// let mut opt = OptimiserChain((ClipNorm::new(1.0), Descent::new(0.1))).setup(&model);
/// opt.update(&mut model, &grad);
/// assert!((norm(&model) - 0.1).abs() < 1e-12); // a step of η · 1
/// ```
///
/// # Panics
/// At a step whose gradient has a norm that is NaN or infinite, as
/// Optimisers.jl's `ClipNorm` throws: no scaling makes it finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipNorm {
    /// The largest norm a gradient goes on with, `ω`.
    pub omega: f64,
}

impl ClipNorm {
    /// Gradients scaled to a norm of at most `omega`.
    pub fn new(omega: f64) -> Self {
        ClipNorm { omega }
    }
}

impl Default for ClipNorm {
    /// Optimisers.jl's default, `ω = 10`.
    fn default() -> Self {
        ClipNorm::new(10.0)
    }
}

impl Rule for ClipNorm {
    type State<M: Functor> = ();

    fn init<M: Functor + Clone>(&self, _: &M) {}

    /// The frozen parameters of `grad` are zero here (see
    /// [`Rule::update`]), so they add nothing to the norm.
    fn apply<M: Functor>(
        &self,
        (): &mut (),
        _: &M,
        grad: &mut M,
        _: &Trainable,
    ) -> ControlFlow<()> {
        let size = clip_norm(grad, self.omega);
        assert!(
            size.is_finite(),
            "ClipNorm: the gradient's norm is {size}, which no scaling makes finite"
        );
        ControlFlow::Continue(())
    }
}
