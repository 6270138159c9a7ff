//! An activation as a rule of its own: what a layer between two others in a
//! chain applies (`Chain((dense, relu, dense))`).

// A rule's signature names its value and its pullback with all their
// parameters: what a reader of the rule needs.
#![allow(clippy::type_complexity)]

use crate::reverse::pullback::Pullback;
use typeflux_core::activation::Activation;
use typeflux_core::{Device, Element, Kernels, Shape, Tensor};

/// `y = act(x)`, keeping what the activation's pullback needs when `keep`
/// (for an elementwise activation its slopes, for a softmax its output).
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::activation};
/// use typeflux_core::elementwise::Relu;
/// use typeflux_core::prelude::*;
///
/// let x: Vector<3> = Tensor::from_array([-1.0, 0.0, 2.0]);
/// let (y, back) = activation::activate(x, Relu, true);
/// assert_eq!(y.to_vec(), vec![0.0, 0.0, 2.0]);
/// assert_eq!(back.pullback(Vector::<3>::ones()).to_vec(), vec![0.0, 0.0, 1.0]);
/// ```
#[inline]
pub fn activate<S: Shape, E: Element, D: Kernels<E>, A: Activation>(
    mut x: Tensor<S, E, D>,
    activation: A,
    keep: bool,
) -> (Tensor<S, E, D>, ActivationPullback<A, S, E, D>) {
    let kept = activation.activate(&mut x, keep);
    (x, ActivationPullback { activation, kept })
}

/// The pullback of [`activate`].
#[derive(Clone, Debug)]
pub struct ActivationPullback<A, S: Shape, E: Element, D: Device> {
    activation: A,
    kept: Option<Tensor<S, E, D>>,
}

impl<A: Activation, S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<S, E, D>>
    for ActivationPullback<A, S, E, D>
{
    type Grads = Tensor<S, E, D>;

    #[inline]
    #[track_caller]
    fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        self.activation.pullback(self.kept, dy)
    }
}
