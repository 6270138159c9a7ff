//! Running a layer's computation on its input behind a hole, as a
//! [`Chain`](crate::Chain) runs its members.
//!
//! A layer that uses its input more than once ([`SkipConnection`],
//! [`Parallel`], the normalisations) or that chooses its computation at run
//! time ([`Dropout`], [`BatchNorm`]'s modes) runs that computation on the
//! input with a [`Hole`] for its node, and joins the result to the input's
//! own node in one [`ChainNode`]. So the input's backward pass runs once
//! however often the input is used (a clone of a value behind a hole is
//! free), and a computation that depends on no parameter returns a plain
//! value: whether the result is traced is decided by the type of what lies
//! behind it, not by the branch taken.
//!
//! [`SkipConnection`]: crate::SkipConnection
//! [`Parallel`]: crate::Parallel
//! [`Dropout`]: crate::Dropout
//! [`BatchNorm`]: crate::BatchNorm

use crate::chain::Link;
use typeflux_ad::reverse::{ChainNode, Constant, Hole, Member, Node, Pick, Traced};
use typeflux_core::{Device, Element, Shape, Tensor};

/// A layer's input taken apart into its value and its node: a tensor
/// (owned, or borrowed and copied) is data, with a
/// [`Constant`] node; a traced tensor keeps its node.
pub trait Split {
    /// The value.
    type Value;
    /// Its node.
    type Node: Node;

    /// The value and its node.
    fn split(self) -> (Self::Value, Self::Node);
}

impl<S: Shape, E: Element, D: Device> Split for Tensor<S, E, D> {
    type Value = Self;
    type Node = Constant;

    #[inline(always)]
    fn split(self) -> (Self, Constant) {
        (self, Constant)
    }
}

impl<S: Shape, E: Element, D: Device> Split for &Tensor<S, E, D> {
    type Value = Tensor<S, E, D>;
    type Node = Constant;

    #[inline(always)]
    fn split(self) -> (Tensor<S, E, D>, Constant) {
        (self.clone(), Constant)
    }
}

impl<V, B: Node> Split for Traced<V, B> {
    type Value = V;
    type Node = B;

    #[inline(always)]
    fn split(self) -> (V, B) {
        self.into_parts()
    }
}

/// The input `X` behind a hole, as the computation receives it.
pub type Behind<X> = Traced<<X as Split>::Value, Hole>;

/// What [`isolate`] returns for an input `X` and a computation that returns
/// `Y`: plain when no parameter lies behind either, traced otherwise.
pub type Isolated<X, Y> = <ChainNode<
    <X as Split>::Node,
    (Member<<Y as Link>::Node, <X as Split>::Value>,),
> as Pick<<Y as Link>::Value>>::Out;

/// `f` run on `x` behind a hole, its result joined to `x`'s node: the
/// backward pass of `f`'s result runs first and what arrives at the hole
/// goes on to `x`'s node, once.
#[inline(always)]
pub fn isolate<X, Y>(x: X, f: impl FnOnce(Behind<X>) -> Y) -> Isolated<X, Y>
where
    X: Split,
    Y: Link,
    ChainNode<X::Node, (Member<Y::Node, X::Value>,)>: Pick<Y::Value>,
{
    let (value, node) = x.split();
    let (y, inner) = f(Traced::new(value, Hole::new(node.active()))).split();
    ChainNode::new(node, (Member::new(inner),)).pick(y)
}
