//! Plain gradient descent.

use super::{Rule, lit};
use crate::layer::Descend;
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

impl Descent {
    /// One training step of `model` on the input `x`, with the update folded
    /// into the backward pass ([`Descend`]): forward, then `loss` on the
    /// output (returning the loss, or anything else, and the gradient with
    /// respect to the output), then backward, stepping each parameter as soon
    /// as its gradient is known. Returns what `loss` returned first.
    ///
    /// It leaves the model as `pullback`, the same loss gradient and
    /// [`update`](super::Optimiser::update) with this rule would, up to
    /// rounding (a dense layer's weight gets `W + (−η · δ · xᵀ)` from its
    /// product instead of `W + (−η) · (δ · xᵀ)`), without holding a
    /// gradient for the whole model and with one pass less over each weight.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::optim::{Descent, Rule};
    /// use typeflux_nn::prelude::*;
    ///
    /// let model = Chain((Dense::<4, 8>::new(relu), Dense::<8, 3>::new(identity)));
    /// let x = Batch::<4>::from_fn((Const, 5), |[i, j]| (i + j) as f32 / 8.0);
    /// let y = Batch::<3>::from_fn((Const, 5), |[i, j]| f32::from(u8::from(i == j % 3)));
    ///
    /// // The same step both ways.
    /// let mut fused = model.clone();
    /// let loss = Descent::new(0.1).step(&mut fused, &x, |scores| {
    ///     logitcrossentropy.value_and_gradient(&scores, &y)
    /// });
    ///
    /// let mut separate = model.clone();
    /// let (scores, back) = separate.pullback(&x);
    /// let (same_loss, dscores) = logitcrossentropy.value_and_gradient(&scores, &y);
    /// let (grad, ()) = back(dscores);
    /// Descent::new(0.1).setup(&separate).update(&mut separate, &grad);
    ///
    /// assert_eq!(loss, same_loss);
    /// let (a, b) = (fused.0.0.weight.to_vec(), separate.0.0.weight.to_vec());
    /// assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-6));
    /// ```
    #[inline]
    pub fn step<X, M: Descend<X>, R>(
        &self,
        model: &mut M,
        x: X,
        loss: impl FnOnce(M::Output) -> (R, M::Output),
    ) -> R {
        model.descend(x, self.eta, loss).0
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
