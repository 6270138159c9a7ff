//! The entry points: `pullback`, `gradient`, `value_and_gradient`.

use super::input::{Input, Reverse};
use super::node::Backward;
use super::traced::Traced;
use typeflux_core::{Device, Element, Tensor};

/// The value of `f` at `x`, and its pullback: a function from a cotangent of
/// the value to the gradient with respect to `x` (a vector–Jacobian product).
///
/// `f` runs once, now; the pullback runs the composed backward pass when it
/// is called. The value may have any shape.
///
/// ```
/// use typeflux_ad::reverse::{Traced, pullback};
/// use typeflux_core::{BinaryOp, prelude::*};
///
/// let w: Matrix<2, 3> = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// let x: Vector<3> = Tensor::from_array([0.5, 1.0, 2.0]);
/// let (y, back) = pullback(|x| Traced::constant(w.clone()).matmul(x.tanh()), &x);
/// assert_eq!(y, w.matmul(&x.tanh()));
///
/// // x̄ = (1 - tanh²x) ⊙ Wᵀȳ, and Wᵀ[1, 0] is the first row of W.
/// let dx = back(Tensor::from_array([1.0, 0.0]));
/// let slope = x.tanh().square().scalar_op_left(BinaryOp::Sub, 1.0);
/// assert_eq!(dx, Tensor::from_array([1.0, 2.0, 3.0]) * slope);
/// ```
#[inline]
pub fn pullback<X: Input, V, B: Backward<V, X::Slots>>(
    f: impl FnOnce(X::Traced) -> Traced<V, B>,
    x: X,
) -> (V, impl FnOnce(V) -> X::Grads) {
    let (traced, mut slots) = x.trace(&Reverse::default());
    let (y, back) = f(traced).into_parts();
    let pullback = move |dy: V| {
        back.backward(dy, &mut slots);
        X::grads(slots)
    };
    (y, pullback)
}

/// The value of a scalar function `f` at `x` and its gradient with respect
/// to `x`, in `x`'s shape.
///
/// ```
/// use typeflux_ad::reverse::value_and_gradient;
/// use typeflux_core::prelude::*;
///
/// let x: Vector<3> = Tensor::from_array([1.0, 2.0, 3.0]);
/// let (loss, dx) = value_and_gradient(|x| x.square().mean(), &x);
/// assert_eq!(loss, 14.0 / 3.0);
/// assert_eq!(dx, &x * (2.0 / 3.0));
/// ```
#[inline]
pub fn value_and_gradient<X: Input, E: Element, D: Device, B>(
    f: impl FnOnce(X::Traced) -> Traced<Tensor<(), E, D>, B>,
    x: X,
) -> (E, X::Grads)
where
    B: Backward<Tensor<(), E, D>, X::Slots>,
{
    let (y, back) = pullback(f, x);
    let seed = Tensor::full_on((), E::one(), y.device());
    (y.item(), back(seed))
}

/// The gradient of a scalar function `f` at `x`, in `x`'s shape: a tensor
/// for a tensor, a tuple for a tuple of inputs, [`Grads`](super::Grads) for
/// [`params`](super::params).
///
/// ```
/// use typeflux_ad::reverse::gradient;
/// use typeflux_core::prelude::*;
///
/// // Flux: gradient((x, y) -> sum((x .- y).^2), [2, 1], [2, 0])
/// let x = Tensor::from_array([2.0, 1.0]);
/// let y = Tensor::from_array([2.0, 0.0]);
/// let (gx, gy) = gradient(|(x, y)| (x - y).square().sum(), (&x, &y));
/// assert_eq!(format!("({gx}, {gy})"), "([0, 2], [-0, -2])");
/// ```
///
/// The function must return a scalar; the gradient of anything else is a
/// [`pullback`]:
///
/// ```compile_fail
/// use typeflux_ad::reverse::gradient;
/// use typeflux_core::prelude::*;
///
/// let x = Vector::<2>::ones();
/// let g = gradient(|x| x.square(), &x); // a vector, not a scalar
/// ```
#[inline]
pub fn gradient<X: Input, E: Element, D: Device, B>(
    f: impl FnOnce(X::Traced) -> Traced<Tensor<(), E, D>, B>,
    x: X,
) -> X::Grads
where
    B: Backward<Tensor<(), E, D>, X::Slots>,
{
    value_and_gradient(f, x).1
}
