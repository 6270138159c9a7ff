//! Elementwise maxima, minima and clamping, from the device's arithmetic.
//!
//! A device has no comparison kernel, but the table's `sign` and `relu`
//! give one: `relu(sign(a - b))` is exactly 1 where `a > b` and 0
//! elsewhere. Picking with such a mask (`a·(1 - m) + b·m`) is exact for
//! finite numbers, where `b + relu(a - b)` would round; an infinite number
//! that is not picked gives NaN (`∞·0`).

use super::lit;
use typeflux_core::{BinaryOp, Element, Kernels, Shape, Tensor, UnaryOp};

/// 1 where `x > 0`, 0 elsewhere (NaN where `x` is NaN).
pub(super) fn positive<S: Shape, E: Element, D: Kernels<E>>(
    x: &Tensor<S, E, D>,
) -> Tensor<S, E, D> {
    let mut mask = x.sign();
    mask.unary_assign(UnaryOp::Relu);
    mask
}

/// `x·(1 - mask) + y·mask`: `y` where the mask is 1, `x` where it is 0.
fn pick<S: Shape, E: Element, D: Kernels<E>>(
    x: &Tensor<S, E, D>,
    y: &Tensor<S, E, D>,
    mask: &Tensor<S, E, D>,
) -> Tensor<S, E, D> {
    let keep = mask.scalar_op_left(BinaryOp::Sub, E::one());
    x * &keep + y * mask
}

/// The larger of `x` and `y` at each element.
pub(super) fn maximum<S: Shape, E: Element, D: Kernels<E>>(
    x: &Tensor<S, E, D>,
    y: &Tensor<S, E, D>,
) -> Tensor<S, E, D> {
    pick(x, y, &positive(&(y - x)))
}

/// The smaller of each element of `x` and `c`.
pub(super) fn min_scalar<S: Shape, E: Element, D: Kernels<E>>(
    x: &Tensor<S, E, D>,
    c: f64,
) -> Tensor<S, E, D> {
    let above = positive(&(x - lit::<E>(c)));
    pick(x, &x.full_like(lit(c)), &above)
}

/// The larger of each element of `x` and `c`.
pub(super) fn max_scalar<S: Shape, E: Element, D: Kernels<E>>(
    x: &Tensor<S, E, D>,
    c: f64,
) -> Tensor<S, E, D> {
    let below = positive(&-(x - lit::<E>(c)));
    pick(x, &x.full_like(lit(c)), &below)
}

/// Each element of `x` clamped to `[-delta, delta]`.
pub(super) fn clamp<S: Shape, E: Element, D: Kernels<E>>(
    x: &Tensor<S, E, D>,
    delta: f64,
) -> Tensor<S, E, D> {
    min_scalar(&max_scalar(x, -delta), delta)
}
