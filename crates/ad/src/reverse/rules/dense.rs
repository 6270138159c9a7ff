//! The fully connected layer as one rule: `y = σ(W·x .+ b)` forwards, and
//! backwards `δ = σ'(z) ⊙ ȳ`, `W̄ = δ·xᵀ`, `b̄ = Σ δ` over the batch,
//! `x̄ = Wᵀ·δ`.
//!
//! The rule works for every mix of traced and constant operands, decided
//! twice: by type (an operand whose node is [`Constant`](crate::reverse::Constant)
//! keeps nothing for it, and all three constant give a constant result)
//! and at run time (an input behind an inactive [`Hole`](crate::reverse::Hole),
//! as in a chain run without a gradient, keeps nothing either). The
//! weight's cotangent leaves as the factors `δ` and `x`
//! ([`OuterProduct`]), so that a slot that steps the weight folds the
//! product into the step.

use crate::reverse::node::{Join3, Node, Optional, OuterProduct, Product};
use crate::reverse::pullback::Pullback;
use crate::reverse::traced::Traced;
use typeflux_core::activation::Activation;
use typeflux_core::{Device, Dim, Element, Kernels, MatMul, Shape, Tensor};

/// The weight of a layer from `I` inputs to `O` outputs.
pub type Weight<I, O, E, D> = Tensor<(O, I), E, D>;
/// The bias of a layer with `O` outputs.
pub type Bias<O, E, D> = Tensor<(O,), E, D>;

/// The inputs a layer from `I` to `O` features maps: a vector `(I,)` or a
/// batch `(I, N)`, and the products its rule needs for each.
pub trait Columns<I: Dim, O: Dim>: Shape {
    /// The output shape: `O` features, the same batch.
    type Out: Shape;

    /// `W·x`.
    fn product<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        x: &Tensor<Self, E, D>,
    ) -> Tensor<Self::Out, E, D>;

    /// `z .+ b`, in `z`'s buffer where the device allows.
    fn add_bias<E: Element, D: Kernels<E>>(z: &mut Tensor<Self::Out, E, D>, b: &Bias<O, E, D>);

    /// `δ` summed over the batch.
    fn bias_gradient<E: Element, D: Kernels<E>>(dz: &Tensor<Self::Out, E, D>) -> Bias<O, E, D>;

    /// `Wᵀ·δ`.
    fn input_gradient<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        dz: &Tensor<Self::Out, E, D>,
    ) -> Tensor<Self, E, D>;
}

impl<I: Dim, O: Dim> Columns<I, O> for (I,) {
    type Out = (O,);

    #[inline(always)]
    fn product<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        x: &Tensor<(I,), E, D>,
    ) -> Tensor<(O,), E, D> {
        w.matmul(x)
    }

    #[inline(always)]
    fn add_bias<E: Element, D: Kernels<E>>(z: &mut Tensor<(O,), E, D>, b: &Bias<O, E, D>) {
        *z += b;
    }

    #[inline(always)]
    fn bias_gradient<E: Element, D: Kernels<E>>(dz: &Tensor<(O,), E, D>) -> Bias<O, E, D> {
        dz.clone()
    }

    #[inline(always)]
    fn input_gradient<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        dz: &Tensor<(O,), E, D>,
    ) -> Tensor<(I,), E, D> {
        dz.vecmat(w)
    }
}

impl<I: Dim, O: Dim, N: Dim> Columns<I, O> for (I, N) {
    type Out = (O, N);

    #[inline(always)]
    fn product<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        x: &Tensor<(I, N), E, D>,
    ) -> Tensor<(O, N), E, D> {
        w.matmul(x)
    }

    #[inline(always)]
    fn add_bias<E: Element, D: Kernels<E>>(z: &mut Tensor<(O, N), E, D>, b: &Bias<O, E, D>) {
        *z += b;
    }

    #[inline(always)]
    fn bias_gradient<E: Element, D: Kernels<E>>(dz: &Tensor<(O, N), E, D>) -> Bias<O, E, D> {
        dz.sum_along::<1>()
    }

    #[inline(always)]
    fn input_gradient<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        dz: &Tensor<(O, N), E, D>,
    ) -> Tensor<(I, N), E, D> {
        w.t_matmul(dz)
    }
}

/// `δ · xᵀ` for a batch.
impl<I: Dim, O: Dim, N: Dim, E: Element, D: Kernels<E>> Product
    for OuterProduct<Tensor<(O, N), E, D>, Tensor<(I, N), E, D>>
{
    type Value = Weight<I, O, E, D>;

    #[inline]
    fn value(self) -> Weight<I, O, E, D> {
        self.a.matmul_t(&self.b)
    }

    #[inline]
    fn add_scaled(self, w: &mut Weight<I, O, E, D>, scale: f64) {
        w.add_matmul_t(element(scale), &self.a, &self.b);
    }
}

/// `δ · xᵀ` for one sample.
impl<I: Dim, O: Dim, E: Element, D: Kernels<E>> Product
    for OuterProduct<Tensor<(O,), E, D>, Tensor<(I,), E, D>>
{
    type Value = Weight<I, O, E, D>;

    #[inline]
    fn value(self) -> Weight<I, O, E, D> {
        self.a.outer(&self.b)
    }

    #[inline]
    fn add_scaled(self, w: &mut Weight<I, O, E, D>, scale: f64) {
        w.add_outer(element(scale), &self.a, &self.b);
    }
}

/// An `f64` as an element.
#[inline(always)]
fn element<E: Element>(x: f64) -> E {
    E::from_f64(x).expect("an f64 converts to every element type")
}

/// The node of [`dense`]'s result, for operands whose nodes are `BW`
/// (weight), `BB` (bias, absent or not) and `BX` (input).
pub type DenseNode<A, I, O, S, E, D, BW, BB, BX> =
    <BW as Join3<<Option<BB> as Optional>::Node, BX>>::Out<DensePullback<A, I, O, S, E, D>>;

/// `y = act(W·x .+ b)`, the layer forward, keeping what the backward pass
/// needs of the operands whose gradients are wanted (the weight for `x̄`,
/// the input for `W̄`, the activation's slopes for any).
///
/// ```
/// use typeflux_ad::reverse::{Traced, gradient, rules::dense};
/// use typeflux_core::elementwise::Tanh;
/// use typeflux_core::prelude::*;
///
/// let w: Matrix<2, 3, f64> = Tensor::from_array([[0.1, 0.2, 0.3], [-0.4, 0.5, -0.6]]);
/// let b: Vector<2, f64> = Tensor::from_array([0.05, -0.05]);
/// let x: Vector<3, f64> = Tensor::from_array([1.0, -2.0, 0.5]);
/// let (dw, db) = gradient(
///     |(w, b)| dense::dense(w, Some(b), Traced::constant(x.clone()), Tanh).sum(),
///     (&w, &b),
/// );
/// // The same with the separate rules.
/// let (dw2, db2) = gradient(|(w, b)| (w.matmul(&x) + b).tanh().sum(), (&w, &b));
/// assert!((dw - dw2).iter().all(|d| d.abs() < 1e-15));
/// assert!((db - db2).iter().all(|d| d.abs() < 1e-15));
/// ```
#[allow(clippy::type_complexity)]
#[inline]
#[track_caller]
pub fn dense<I, O, S, E, D, A, BW, BB, BX>(
    w: Traced<Weight<I, O, E, D>, BW>,
    b: Option<Traced<Bias<O, E, D>, BB>>,
    x: Traced<Tensor<S, E, D>, BX>,
    activation: A,
) -> Traced<Tensor<S::Out, E, D>, DenseNode<A, I, O, S, E, D, BW, BB, BX>>
where
    I: Dim,
    O: Dim,
    S: Columns<I, O>,
    E: Element,
    D: Kernels<E>,
    A: Activation,
    BW: Node + Join3<<Option<BB> as Optional>::Node, BX>,
    BB: Node,
    BX: Node,
    Option<BB>: Optional,
{
    let (w, w_node) = w.into_parts();
    let (x, x_node) = x.into_parts();
    let (bias, bias_node) = match b.map(Traced::into_parts) {
        Some((bias, node)) => (Some(bias), Some(node)),
        None => (None, None),
    };
    let want_w = w_node.active();
    let want_x = x_node.active();
    let want_b = bias_node.as_ref().is_some_and(Node::active);

    let mut z = S::product(&w, &x);
    if let Some(bias) = &bias {
        S::add_bias(&mut z, bias);
    }
    let kept = activation.activate(&mut z, want_w || want_x || want_b);
    let pullback = DensePullback {
        activation,
        kept,
        w: want_x.then_some(w),
        x: want_w.then_some(x),
        bias: want_b,
    };
    Traced::new(z, w_node.join3(bias_node.into_node(), x_node, pullback))
}

/// The pullback of [`dense`]: the activation's pullback, then the
/// gradients of the operands it kept for.
#[derive(Clone, Debug)]
pub struct DensePullback<A, I: Dim, O: Dim, S: Columns<I, O>, E: Element, D: Device> {
    activation: A,
    kept: Option<Tensor<S::Out, E, D>>,
    /// The weight, for `x̄`; only when the input's gradient is wanted.
    w: Option<Weight<I, O, E, D>>,
    /// The input, for `W̄`; only when the weight's gradient is wanted.
    x: Option<Tensor<S, E, D>>,
    bias: bool,
}

impl<A, I, O, S, E, D> Pullback<Tensor<S::Out, E, D>> for DensePullback<A, I, O, S, E, D>
where
    A: Activation,
    I: Dim,
    O: Dim,
    S: Columns<I, O>,
    E: Element,
    D: Kernels<E>,
{
    type Grads = (
        Option<OuterProduct<Tensor<S::Out, E, D>, Tensor<S, E, D>>>,
        Option<Bias<O, E, D>>,
        Option<Tensor<S, E, D>>,
    );

    /// `x̄ = Wᵀ·δ` first, with the weight of the forward pass, which is then
    /// dropped before the weight's own slot sees its cotangent.
    #[inline]
    fn pullback(self, dy: Tensor<S::Out, E, D>) -> Self::Grads {
        let dz = self.activation.pullback(self.kept, dy);
        let dx = self.w.map(|w| S::input_gradient(&w, &dz));
        let db = self.bias.then(|| S::bias_gradient(&dz));
        let dw = self.x.map(|x| OuterProduct { a: dz, b: x });
        (dw, db, dx)
    }
}
