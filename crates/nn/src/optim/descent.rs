//! Plain gradient descent.

use super::{Rule, Trainable, lit};
use core::ops::ControlFlow;
use typeflux_ad::reverse::{Backward, Descend, Traced, descend};
use typeflux_core::functor::{Functor, Mut, Path, Ref, Trace, Visitor};
use typeflux_core::{Element, Kernels, Scalar, Shape, Tensor};

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
    /// One training step of `model`, the update folded into the backward
    /// pass (see [`descend`]): `loss` receives the model with its parameters
    /// traced, as for `gradient` or [`train`](crate::train()), and each
    /// parameter is stepped as soon as its gradient is known. No gradient is
    /// held for the whole model, and a dense layer's weight is read and
    /// written once, by its weight-gradient product. Returns the loss,
    /// computed before the step.
    ///
    /// It leaves the model as `gradient` and [`update`](super::Optimiser::update)
    /// with this rule would, up to rounding.
    ///
    /// ```
    /// use typeflux_ad::reverse::{gradient, model};
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::optim::{Descent, Rule};
    /// use typeflux_nn::prelude::*;
    ///
    /// let chain = Chain((Dense::<4, 8>::new(relu), Dense::<8, 3>::new(identity)));
    /// let x = Batch::<4>::from_fn((Const, 5), |[i, j]| (i + j) as f32 / 8.0);
    /// let y = Batch::<3>::from_fn((Const, 5), |[i, j]| f32::from(u8::from(i == j % 3)));
    ///
    /// // The same step both ways.
    /// let mut fused = chain.clone();
    /// let loss = Descent::new(0.1).step(&mut fused, |m| logitcrossentropy(m.forward(&x), &y));
    ///
    /// let mut separate = chain.clone();
    /// let g = gradient(|m| logitcrossentropy(m.forward(&x), &y), model(&separate));
    /// Descent::new(0.1).setup(&separate).update(&mut separate, &g);
    ///
    /// assert_eq!(loss, logitcrossentropy(chain.forward(&x), &y).item());
    /// let (a, b) = (fused.0.0.weight.to_vec(), separate.0.0.weight.to_vec());
    /// assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-6));
    /// ```
    #[inline]
    pub fn step<'a, M, E, D, B>(
        &self,
        model: &'a mut M,
        loss: impl FnOnce(<&'a mut M as Trace<Descend>>::Traced) -> Traced<Scalar<E, D>, B>,
    ) -> E
    where
        &'a mut M: Trace<Descend>,
        E: Element,
        D: Kernels<E>,
        B: Backward<Scalar<E, D>, <&'a mut M as Trace<Descend>>::Slots>,
    {
        descend::<M, E, D, B>(model, self.eta, loss)
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

    fn apply<M: Functor>(
        &self,
        (): &mut (),
        _: &M,
        grad: &mut M,
        trainable: &Trainable,
    ) -> ControlFlow<()> {
        trainable.walk::<M, _>(grad, &mut Scale(self.eta));
        ControlFlow::Continue(())
    }

    /// `p -= η·g` in one pass, with no copy of the gradient.
    fn update<M: Functor + Clone>(
        &self,
        (): &mut (),
        model: &mut M,
        grad: &M,
        trainable: &Trainable,
    ) {
        trainable.walk::<M, _>((model, grad), &mut Step { eta: self.eta });
    }

    fn adjust(&mut self, eta: f64) {
        self.eta = eta;
    }
}

/// `Δ = η·g` at each parameter.
struct Scale(f64);

impl Visitor for Scale {
    type Access = Mut;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, g: &mut Tensor<S, E, D>) {
        *g *= lit::<E>(self.0);
    }
}

/// One step of [`Descent`] at each parameter.
struct Step {
    eta: f64,
}

impl Visitor for Step {
    type Access = (Mut, Ref);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (p, g): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        p.axpy(lit(-self.eta), g);
    }
}
