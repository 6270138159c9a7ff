//! Traced values: a value together with its backward pass.

use super::node::{Combine, Constant, Either, Node};
use super::pullback::Both;
use typeflux_core::functor::{Tied, Trace, TraceLeaf};
use typeflux_core::{Device, Element, Shape, Tensor};

/// A value `V` (a tensor; scalars are `Tensor<()>`) together with the
/// backward pass `B` that leads from its cotangent to the inputs it was
/// computed from.
///
/// A function differentiated by [`gradient`](super::gradient) receives its
/// inputs as traced values and computes with them as with tensors: the
/// operators (`+ - * /` with traced values, tensors, broadcast vectors and
/// scalars) and the methods mirror the core tensor ones. Each operation
/// calls its [rule](super::rules) and extends `B` by the rule's pullback, so
/// `B`'s type spells out the computation (see [`Node`]).
///
/// Operations take traced values by value, and their values move into the
/// pullbacks that need them. To use a value twice, [`clone`](Clone::clone)
/// it: the clone copies the value and the backward pass, and the backward
/// pass of the original computation then runs once per use (the gradients
/// add up, so the result is right, but the work is done twice). Prefer
/// single-use forms: `d.square()` rather than `d.clone() * d`.
///
/// ```
/// use typeflux_ad::reverse::gradient;
/// use typeflux_core::prelude::*;
///
/// let x: Vector<2> = Tensor::from_array([1.0, 2.0]);
/// // x ⊙ x, written with a clone, and x², written once: the same gradient.
/// let g_twice = gradient(|x| (x.clone() * x).sum(), &x);
/// let g_once = gradient(|x| x.square().sum(), &x);
/// assert_eq!(g_twice, g_once);
/// assert_eq!(g_once.to_vec(), vec![2.0, 4.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Traced<V, B> {
    value: V,
    back: B,
}

/// A traced value inside a structure that is traced again (a traced model
/// cast to another element type): what the leaf kind makes of it.
impl<K, P, V, B> Trace<K, P> for Traced<V, B>
where
    K: TraceLeaf<Traced<V, B>, P>,
{
    type Traced = K::Traced;
    type Slots = K::Slot;
    type Grads = K::Grad;

    #[inline]
    fn trace(self, kind: &K) -> (K::Traced, K::Slot) {
        kind.trace(self)
    }

    #[inline]
    fn grads(slots: K::Slot) -> K::Grad {
        K::grad(slots)
    }
}

impl<V, B> Traced<V, B> {
    /// A traced value from its parts; [`apply`](Self::apply) builds one from
    /// a rule.
    #[inline(always)]
    pub fn new(value: V, back: B) -> Self {
        Traced { value, back }
    }

    /// The same value as a constant: gradients stop here.
    #[inline(always)]
    pub fn detach(self) -> Traced<V, Constant> {
        Traced::constant(self.value)
    }

    /// The value as computed on the first of two paths chosen at run time;
    /// the other path ends in [`right`](Self::right), and both then have one
    /// type.
    ///
    /// ```
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::prelude::*;
    ///
    /// let x: Vector<2> = Tensor::from_array([0.0, 2.0]);
    /// for smooth in [true, false] {
    ///     let g = gradient(
    ///         |x| if smooth { x.exp().sum().left() } else { x.square().mean().right() },
    ///         &x,
    ///     );
    ///     let expected = if smooth { x.exp() } else { x.clone() };
    ///     assert_eq!(g, expected);
    /// }
    /// ```
    #[inline(always)]
    pub fn left<R>(self) -> Traced<V, Either<B, R>> {
        Traced::new(self.value, Either::Left(self.back))
    }

    /// The value as computed on the second of two paths chosen at run time
    /// (see [`left`](Self::left)).
    #[inline(always)]
    pub fn right<L>(self) -> Traced<V, Either<L, B>> {
        Traced::new(self.value, Either::Right(self.back))
    }

    /// Applies a unary rule (a function returning a value and its pullback),
    /// such as one from [`rules`](super::rules) or one written for a layer.
    ///
    /// ```
    /// use typeflux_ad::reverse::{gradient, rules::unary};
    /// use typeflux_core::prelude::*;
    ///
    /// let x: Vector<2> = Tensor::from_array([0.0, 1.0]);
    /// let g = gradient(|x| x.apply(unary::exp).sum(), &x);
    /// assert_eq!(g, x.exp());
    ///
    /// // A rule written in place: softsign(x) = x / (1 + |x|), derivative 1 / (1 + |x|)².
    /// let softsign = |x: Vector<2>| {
    ///     let d = x.abs() + 1.0;
    ///     (&x / &d, move |dy: Vector<2>| dy / d.square())
    /// };
    /// let g = gradient(|x| x.apply(softsign).sum(), &x);
    /// assert_eq!(g.to_vec(), vec![1.0, 0.25]);
    /// ```
    #[inline(always)]
    pub fn apply<W, P>(self, rule: impl FnOnce(V) -> (W, P)) -> Traced<W, B::Then<P>>
    where
        B: Node,
    {
        let (value, pullback) = rule(self.value);
        Traced::new(value, self.back.then(pullback))
    }

    /// Applies a binary rule to `self` and `rhs`: a function returning a
    /// value and the [`Both`] pullback of its operands. A constant operand's
    /// half of the pullback is dropped at once.
    #[inline(always)]
    pub fn apply2<V2, B2, W, PL, PR>(
        self,
        rhs: Traced<V2, B2>,
        rule: impl FnOnce(V, V2) -> (W, Both<PL, PR>),
    ) -> Traced<W, B::Join<PL, PR>>
    where
        B: Combine<B2>,
    {
        let (value, pullback) = rule(self.value, rhs.value);
        Traced::new(value, self.back.join(rhs.back, pullback))
    }

    /// The value.
    #[inline(always)]
    pub fn value(&self) -> &V {
        &self.value
    }

    /// The value, dropping the backward pass.
    #[inline(always)]
    pub fn into_value(self) -> V {
        self.value
    }

    /// The value and the backward pass.
    #[inline(always)]
    pub fn into_parts(self) -> (V, B) {
        (self.value, self.back)
    }

    /// The backward pass.
    #[inline(always)]
    pub fn back(&self) -> &B {
        &self.back
    }
}

impl<V> Traced<V, Constant> {
    /// A constant: a value that no input influences.
    ///
    /// ```
    /// use typeflux_ad::reverse::{Traced, gradient};
    /// use typeflux_core::prelude::*;
    ///
    /// let w = Matrix::<1, 2>::ones();
    /// let x: Vector<2> = Tensor::from_array([3.0, 4.0]);
    /// // A constant on the left of a product.
    /// let g = gradient(|x| Traced::constant(w.clone()).matmul(x).sum(), &x);
    /// assert_eq!(g, Vector::ones());
    /// ```
    #[inline(always)]
    pub fn constant(value: V) -> Self {
        Traced::new(value, Constant)
    }
}

/// An operand of a traced operation: a traced value, or a tensor (moved in,
/// or cloned from a reference), which is a constant.
pub trait IntoTraced {
    /// The value.
    type Value;
    /// Its node.
    type Back: Node;

    /// The operand as a traced value.
    fn into_traced(self) -> Traced<Self::Value, Self::Back>;
}

impl<V, B: Node> IntoTraced for Traced<V, B> {
    type Value = V;
    type Back = B;

    #[inline(always)]
    fn into_traced(self) -> Traced<V, B> {
        self
    }
}

impl<S: Shape, E: Element, D: Device> IntoTraced for Tensor<S, E, D> {
    type Value = Tensor<S, E, D>;
    type Back = Constant;

    #[inline(always)]
    fn into_traced(self) -> Traced<Self, Constant> {
        Traced::constant(self)
    }
}

impl<S: Shape, E: Element, D: Device> IntoTraced for &Tensor<S, E, D> {
    type Value = Tensor<S, E, D>;
    type Back = Constant;

    #[inline(always)]
    fn into_traced(self) -> Traced<Tensor<S, E, D>, Constant> {
        Traced::constant(self.clone())
    }
}

impl<V, B: Node> Traced<V, B> {
    /// The plain value when nothing is traced (the node is [`Constant`]),
    /// the traced value otherwise (see [`Node::Finished`]). Layers and
    /// losses return this, so that a plain model on plain data computes
    /// plain tensors.
    #[inline(always)]
    pub fn finish(self) -> B::Finished<V> {
        self.back.finish(self.value)
    }
}

/// A parameter as a layer holds it: a tensor, which counts as a constant,
/// or a traced tensor (inside a [`gradient`](super::gradient) of the
/// model). A layer's forward pass takes its parameters through this, so it
/// is written once for both.
pub trait Param {
    /// The tensor.
    type Value;
    /// Its node: [`Constant`] for a plain tensor.
    type Node: Node;

    /// The parameter as a traced value (a copy: large CPU buffers are
    /// shared, not copied).
    fn traced(&self) -> Traced<Self::Value, Self::Node>;
}

impl<S: Shape, E: Element, D: Device> Param for Tensor<S, E, D> {
    type Value = Tensor<S, E, D>;
    type Node = Constant;

    #[inline(always)]
    fn traced(&self) -> Traced<Self, Constant> {
        Traced::constant(self.clone())
    }
}

/// A tied parameter, such as a weight two layers share, as the value it
/// holds. Inside a [`gradient`](super::gradient) each place receives the
/// traced value instead, and the places' gradients add up.
impl<X: Param> Param for Tied<X> {
    type Value = X::Value;
    type Node = X::Node;

    #[inline]
    fn traced(&self) -> Traced<X::Value, X::Node> {
        self.read().traced()
    }
}

impl<V: Clone, B: Node + Clone> Param for Traced<V, B> {
    type Value = V;
    type Node = B;

    #[inline(always)]
    fn traced(&self) -> Traced<V, B> {
        self.clone()
    }
}

/// An input as a layer takes it: a tensor (owned, or borrowed, which is
/// copied), which counts as data, or a traced tensor.
pub trait Operand<E: Element, D: Device> {
    /// The tensor's shape.
    type Shape: Shape;
    /// Its node: [`Constant`] for data.
    type Node: Node;

    /// The input as a traced value.
    fn operand(self) -> Traced<Tensor<Self::Shape, E, D>, Self::Node>;
}

impl<S: Shape, E: Element, D: Device> Operand<E, D> for Tensor<S, E, D> {
    type Shape = S;
    type Node = Constant;

    #[inline(always)]
    fn operand(self) -> Traced<Self, Constant> {
        Traced::constant(self)
    }
}

impl<S: Shape, E: Element, D: Device> Operand<E, D> for &Tensor<S, E, D> {
    type Shape = S;
    type Node = Constant;

    #[inline(always)]
    fn operand(self) -> Traced<Tensor<S, E, D>, Constant> {
        Traced::constant(self.clone())
    }
}

impl<S: Shape, E: Element, D: Device, B: Node> Operand<E, D> for Traced<Tensor<S, E, D>, B> {
    type Shape = S;
    type Node = B;

    #[inline(always)]
    fn operand(self) -> Self {
        self
    }
}
