//! A step of gradient descent folded into the backward pass.
//!
//! [`descend`] traces a model borrowed mutably: the function receives it
//! traced as for [`gradient`](super::gradient), but each parameter's slot
//! is the parameter itself ([`StepSlot`]), which takes `p -= η · ∂L/∂p` as
//! soon as its gradient arrives. No gradient is stored for the model, and a
//! dense layer's weight is stepped by its weight-gradient product itself
//! (`W += −η · δ·xᵀ`, one pass over `W`): the layer rule hands the weight's
//! cotangent on as its factors ([`OuterProduct`](super::OuterProduct)), after it has computed the
//! input's gradient with the weight of the forward pass.

use super::node::{Backward, Leaf, Product};
use super::slots::Accumulate;
use super::traced::Traced;
use typeflux_core::functor::{Root, Trace, TraceLeaf};
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// The leaf kind of [`descend`]: a parameter borrowed mutably becomes a
/// traced copy, and its slot steps the parameter by `-eta` times what
/// arrives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Descend {
    eta: f64,
}

impl Descend {
    /// Descent with learning rate `eta`.
    #[inline]
    pub fn new(eta: f64) -> Self {
        Descend { eta }
    }
}

/// The slot of a parameter under [`Descend`]: the parameter, stepped by
/// `scale` times each gradient that arrives.
#[derive(Debug)]
pub struct StepSlot<'a, S: Shape, E: Element, D: Kernels<E>> {
    param: &'a mut Tensor<S, E, D>,
    scale: f64,
}

impl<'a, P, S: Shape, E: Element, D: Kernels<E>> TraceLeaf<&'a mut Tensor<S, E, D>, P> for Descend {
    type Traced = Traced<Tensor<S, E, D>, Leaf<P>>;
    type Slot = StepSlot<'a, S, E, D>;
    type Grad = ();

    /// A copy of the parameter (a large CPU buffer is shared, not copied,
    /// until the step writes it; by then the copies are gone).
    #[inline]
    fn trace(&self, param: &'a mut Tensor<S, E, D>) -> (Self::Traced, Self::Slot) {
        let traced = Traced::new(param.clone(), Leaf::new());
        (
            traced,
            StepSlot {
                param,
                scale: -self.eta,
            },
        )
    }

    #[inline]
    fn grad(_: Self::Slot) {}
}

impl<S: Shape, E: Element, D: Kernels<E>> Accumulate<Tensor<S, E, D>> for StepSlot<'_, S, E, D> {
    #[inline]
    #[track_caller]
    fn accumulate(&mut self, grad: Tensor<S, E, D>) {
        let scale = E::from_f64(self.scale).expect("an f64 converts to every element type");
        self.param.axpy(scale, &grad);
    }

    #[inline]
    fn accumulate_product<P>(&mut self, product: P)
    where
        P: Product<Value = Tensor<S, E, D>>,
    {
        product.add_scaled(self.param, self.scale);
    }
}

/// One step of gradient descent with learning rate `eta` on `model`, the
/// update folded into the backward pass: `f` receives the model with its
/// parameters traced, exactly as for [`gradient`](super::gradient), and its
/// result's backward pass steps each parameter as its gradient arrives.
/// Returns the loss, computed before the step.
///
/// It leaves the model as [`gradient`](super::gradient) followed by
/// `p -= η · g` would, up to rounding (a dense layer's weight gets
/// `W + (−η · δ·xᵀ)` from its product), without holding a gradient for the
/// whole model and with one pass less over each weight.
///
/// ```
/// use typeflux_ad::reverse::{descend, gradient, model};
/// use typeflux_core::functor::Functor;
/// use typeflux_core::prelude::*;
///
/// #[derive(Clone, Debug, Functor)]
/// struct Line<W = Vector<2, f64>> {
///     w: W,
/// }
///
/// let x: Vector<2, f64> = Tensor::from_array([3.0, 4.0]);
/// let mut line = Line { w: Tensor::from_array([1.0, 1.0]) };
/// let g = gradient(|m| m.w.dot(&x).square().sum(), model(&line));
/// let loss = descend(&mut line, 0.01, |m| m.w.dot(&x).square().sum());
/// assert_eq!(loss, 49.0);
/// assert_eq!(line.w, Tensor::from_array([1.0, 1.0]) - &(g.w * 0.01));
/// ```
#[inline]
pub fn descend<'a, M, E, D, B>(
    model: &'a mut M,
    eta: f64,
    f: impl FnOnce(<&'a mut M as Trace<Descend, Root>>::Traced) -> Traced<Tensor<(), E, D>, B>,
) -> E
where
    &'a mut M: Trace<Descend, Root>,
    E: Element,
    D: Kernels<E>,
    B: Backward<Tensor<(), E, D>, <&'a mut M as Trace<Descend, Root>>::Slots>,
{
    let (traced, mut slots) = model.trace(&Descend::new(eta));
    let (value, back) = f(traced).into_parts();
    let loss = value.item();
    back.backward(Tensor::full_on((), E::one(), value.device()), &mut slots);
    loss
}
