//! Weight decay added to the gradient: L2 and L1 penalties.

use super::{Rule, Trainable, lit};
use core::ops::ControlFlow;
use typeflux_core::functor::{Functor, Mut, Path, Ref, Visitor};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// `λ·p` added to the gradient, Optimisers.jl's `WeightDecay(λ = 5e-4)`:
/// `Δ = g + λ·p`, the gradient of `λ/2·Σ p²` added to the loss (an L2
/// penalty, ridge regression). It takes no step of its own; put it in
/// front of a rule in an [`OptimiserChain`](super::OptimiserChain).
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{Descent, OptimiserChain, Rule, WeightDecay};
///
/// let mut x = Vector::<2, f64>::from_array([1.0, -4.0]);
/// let mut opt = OptimiserChain((WeightDecay::new(0.5), Descent::new(0.1))).setup(&x);
/// opt.update(&mut x, &Vector::zeros());
/// assert_eq!(x.to_vec(), [1.0 - 0.1 * 0.5 * 1.0, -4.0 + 0.1 * 0.5 * 4.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightDecay {
    /// The strength `λ` of the penalty.
    pub lambda: f64,
}

impl WeightDecay {
    /// Weight decay of strength `lambda`.
    pub fn new(lambda: f64) -> Self {
        WeightDecay { lambda }
    }
}

impl Default for WeightDecay {
    /// Optimisers.jl's default, `λ = 5e-4`.
    fn default() -> Self {
        WeightDecay::new(5e-4)
    }
}

impl Rule for WeightDecay {
    type State<M: Functor> = ();

    fn init<M: Functor + Clone>(&self, _: &M) {}

    fn apply<M: Functor>(
        &self,
        (): &mut (),
        model: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        trainable.walk::<M, _>((grad, model), &mut Decay(self.lambda));
        ControlFlow::Continue(())
    }
}

/// `λ·sign(p)` added to the gradient, Optimisers.jl's
/// `SignDecay(λ = 1e-3)`: `Δ = g + λ·sign(p)`, the gradient of `λ·Σ |p|`
/// added to the loss (an L1 penalty, the lasso). It takes no step of its
/// own; put it in front of a rule in an
/// [`OptimiserChain`](super::OptimiserChain).
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{Descent, OptimiserChain, Rule, SignDecay};
///
/// let mut x = Vector::<3, f64>::from_array([2.0, 0.0, -3.0]);
/// let mut opt = OptimiserChain((SignDecay::new(0.5), Descent::new(0.1))).setup(&x);
/// opt.update(&mut x, &Vector::zeros());
/// assert_eq!(x.to_vec(), [2.0 - 0.05, 0.0, -3.0 + 0.05]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignDecay {
    /// The strength `λ` of the penalty.
    pub lambda: f64,
}

impl SignDecay {
    /// Sign decay of strength `lambda`.
    pub fn new(lambda: f64) -> Self {
        SignDecay { lambda }
    }
}

impl Default for SignDecay {
    /// Optimisers.jl's default, `λ = 1e-3`.
    fn default() -> Self {
        SignDecay::new(1e-3)
    }
}

impl Rule for SignDecay {
    type State<M: Functor> = ();

    fn init<M: Functor + Clone>(&self, _: &M) {}

    fn apply<M: Functor>(
        &self,
        (): &mut (),
        model: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        trainable.walk::<M, _>((grad, model), &mut SignOf(self.lambda));
        ControlFlow::Continue(())
    }
}

/// `g += λ·p` at each parameter.
struct Decay(f64);

impl Visitor for Decay {
    type Access = (Mut, Ref);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, p): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        g.axpy(lit(self.0), p);
    }
}

/// `g += λ·sign(p)` at each parameter.
struct SignOf(f64);

impl Visitor for SignOf {
    type Access = (Mut, Ref);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (g, p): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        g.axpy(lit(self.0), &p.sign());
    }
}
