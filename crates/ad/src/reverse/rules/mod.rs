//! Derivative rules: every differentiable tensor operation of
//! `typeflux-core`, its forward pass next to its pullback.
//!
//! A rule is a function that takes the operands by value, computes the
//! operation with the core tensor method, and returns the value together
//! with a named [`Pullback`](super::Pullback) struct. The struct keeps what
//! the backward pass needs and nothing else: an elementwise operation its
//! derivative, `+` nothing, `C = A·B` both operands (each half of its pullback
//! keeps the other operand). Operands move into the pullback, so keeping one
//! costs no copy; an output that is both returned and kept is cloned once.
//!
//! The rules are generic over shape, element and device: they are written
//! with the core tensor operations and a device's [`Kernels`], so a pullback
//! runs where its tensors live. The exceptions are said where they occur:
//! [`unary::map`] and [`unary::zip_map`] are CPU-only, like the core functions
//! they differentiate, and the pullbacks of `max`, `concat` and `gather` pass
//! through host memory, because the device has no comparison, slicing or
//! scatter kernel.
//!
//! | family | rules |
//! |---|---|
//! | [`arith`] | `+ - * /` of tensors (with broadcasting) and with scalars |
//! | [`unary`] | every operation of core's table (`neg abs square sqrt recip exp ln tanh sin cos atan sigmoid relu ...`) through [`unary::unary`] by [`UnaryOp`](typeflux_core::UnaryOp), [`unary::map`], [`unary::zip_map`] |
//! | [`matmul`] | `matmul matvec t_matmul matmul_t outer vecmat dot` |
//! | [`reduce`] | `sum mean max`, the same along an axis, and the fused `sum_of_squares mean_of_squares` |
//! | [`shape`] | `transpose reshape flatten concat into_batch`, and [`shape::Broadcast`] |
//! | [`gather`] | columns chosen by index (an embedding's lookup) |
//! | [`softmax`] | `softmax logsoftmax` of each column, and the fused [`softmax::logit_cross_entropy`] |
//! | [`activation`] | an activation of core's [`Activation`](typeflux_core::activation::Activation) as a rule |
//! | [`dense`] | the fully connected layer `act(W·x .+ b)` as one rule |
//! | [`dense_chain`] | a chain of such layers that a device ran in one pass, each layer's pullback its part of one backward pass |
//! | [`conv`] | the convolution layer `act(w ⋆ x .+ b)` as one rule, by im2col onto the products |
//! | [`conv_transpose`] | the transposed convolution, the adjoint of [`conv`] in its input, on the same kernels |
//! | [`depthwise`] | the depthwise convolution, each output channel from one input channel |
//! | [`pool`] | the maximum or mean of every window of an image (`maxpool meanpool`, global or not) |
//! | [`jet`] | `lift` to and `part` of core's [`Jet`](typeflux_core::Jet) elements: forward mode inside reverse mode |
//!
//! Rules can be called directly, and are what [`Traced`](super::Traced)
//! values call:
//!
//! ```
//! use typeflux_ad::reverse::{Both, Pullback, rules::matmul};
//! use typeflux_core::prelude::*;
//!
//! let a: Matrix<2, 3> = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
//! let b: Matrix<3, 1> = Tensor::from_array([[1.0], [0.0], [-1.0]]);
//! let (c, back) = matmul::matmul(a.clone(), b.clone());
//! assert_eq!(c, a.matmul(&b));
//!
//! let dc = Matrix::<2, 1>::ones();
//! let (da, db) = back.pullback(dc.clone());
//! assert_eq!(da, dc.matmul_t(&b)); // Ā = C̄·Bᵀ
//! assert_eq!(db, a.t_matmul(&dc)); // B̄ = Aᵀ·C̄
//!
//! // Toward A only (B a constant): keep the left half, drop the right one.
//! let (_, Both(toward_a, _)) = matmul::matmul(a, b.clone());
//! assert_eq!(toward_a.pullback(dc.clone()), dc.matmul_t(&b));
//! ```
//!
//! [`Kernels`]: typeflux_core::Kernels

pub mod activation;
pub mod arith;
pub mod conv;
pub mod conv_transpose;
pub mod dense;
pub mod dense_chain;
pub mod depthwise;
pub mod gather;
pub mod jet;
pub mod matmul;
pub mod pool;
pub mod reduce;
pub mod shape;
pub mod softmax;
pub mod unary;

use typeflux_core::{Element, Kernels, Shape, Tensor};

/// A layer's optional bias split into its value and its node, and whether
/// a gradient is wanted through it: what the layer rules (`dense`, `conv`,
/// `conv_transpose`, `depthwise`) do first with their bias.
#[inline(always)]
pub(crate) fn split_bias<T, B: crate::reverse::node::Node>(
    b: Option<crate::reverse::traced::Traced<T, B>>,
) -> (Option<T>, Option<B>, bool) {
    match b.map(crate::reverse::traced::Traced::into_parts) {
        Some((bias, node)) => {
            let wanted = node.active();
            (Some(bias), Some(node), wanted)
        }
        None => (None, None, false),
    }
}

/// Copies `x` to the host, computes the elements of a tensor of `shape`
/// there, and uploads them to `x`'s device: for the pullbacks that need a
/// comparison or a slice, which the device kernels do not provide.
fn on_host<S: Shape, S2: Shape, E: Element, D: Kernels<E>>(
    x: &Tensor<S, E, D>,
    shape: S2,
    f: impl FnOnce(Vec<E>) -> Vec<E>,
) -> Tensor<S2, E, D> {
    let host = f(x.to_vec());
    debug_assert_eq!(host.len(), shape.num_elements());
    Tensor::from_parts(shape, x.device().upload(&host), x.device().clone())
}

/// The element count `n` as an element, for means.
fn count<E: Element>(n: usize) -> E {
    E::from_usize(n).expect("an element count converts to every element type")
}

/// Index of the largest element, the first of equals: the same choice as the
/// device's `max` kernel.
fn argmax<E: Element>(mut xs: impl Iterator<Item = (usize, E)>) -> Option<usize> {
    let (mut best, mut max) = xs.next()?;
    for (i, x) in xs {
        if x > max {
            best = i;
            max = x;
        }
    }
    Some(best)
}
