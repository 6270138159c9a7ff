//! Rules that act on each column as a whole: softmax, its logarithm, and
//! the cross-entropy of logits, each one pass forwards and one backwards.

use crate::reverse::pullback::Pullback;
use crate::reverse::rules::reduce::GradientPullback;
use typeflux_core::{Device, Element, Kernels, Shape, Tensor};

/// `y = softmax(x)` over each column, or `y = logsoftmax(x)` when `log`:
/// keeps `y`, from which `x̄ = y ⊙ (ȳ - Σ ȳ ⊙ y)` (or `ȳ - e^y · Σ ȳ`).
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::softmax};
/// use typeflux_core::prelude::*;
///
/// let x: Vector<2, f64> = Tensor::from_array([0.0, 0.0]);
/// let (y, back) = softmax::softmax(x, false);
/// assert_eq!(y.to_vec(), vec![0.5, 0.5]);
/// let dx = back.pullback(Tensor::from_array([1.0, 0.0]));
/// assert_eq!(dx.to_vec(), vec![0.25, -0.25]);
/// ```
#[inline]
pub fn softmax<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
    log: bool,
) -> (Tensor<S, E, D>, SoftmaxPullback<S, E, D>) {
    let y = x.softmax_columns(log);
    (y.clone(), SoftmaxPullback { y, log })
}

/// The pullback of [`softmax`]: keeps the output.
#[derive(Clone, Debug)]
pub struct SoftmaxPullback<S: Shape, E: Element, D: Device> {
    y: Tensor<S, E, D>,
    log: bool,
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<S, E, D>> for SoftmaxPullback<S, E, D> {
    type Grads = Tensor<S, E, D>;

    #[inline]
    #[track_caller]
    fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        self.y.softmax_columns_pullback(&dy, self.log)
    }
}

/// `l = -scale · Σ y · logsoftmax(x)`, the sum over the columns of the
/// logits `x` against the targets `y` (a constant), in one pass that also
/// computes the gradient, which the pullback keeps ([`GradientPullback`]):
/// `x̄ = l̄ · scale · (softmax(x) · Σ y - y)` per column. Finite for every
/// finite logit: a target of 0 contributes nothing, however small its
/// probability.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::softmax};
/// use typeflux_core::prelude::*;
///
/// let x: Vector<2, f64> = Tensor::from_array([1.0e308, -1.0e308]);
/// let y: Vector<2, f64> = Tensor::from_array([1.0, 0.0]);
/// let (l, back) = softmax::logit_cross_entropy(x, &y, 1.0);
/// assert_eq!(l.item(), 0.0);
/// assert_eq!(back.pullback(Tensor::scalar(1.0)).to_vec(), vec![0.0, 0.0]);
/// ```
#[inline]
#[track_caller]
pub fn logit_cross_entropy<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
    y: &Tensor<S, E, D>,
    scale: E,
) -> (Tensor<(), E, D>, GradientPullback<S, E, D>) {
    let (loss, grad) = x.logit_cross_entropy(y, scale);
    (
        Tensor::full_on((), loss, x.device()),
        GradientPullback::new(grad),
    )
}
