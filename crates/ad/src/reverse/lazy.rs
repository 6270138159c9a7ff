//! Deferred operations: a square that waits to see whether a sum follows.
//!
//! `(x - y).square().sum()` written eagerly stores `(x - y)²` only for the
//! sum to read it once. [`Traced::square`](super::Traced::square) instead
//! returns its input under a [`Lazy`] node; a following `sum` or `mean`
//! computes `Σ x²` in one pass ([`rules::reduce::sum_of_squares`]), and
//! any other use applies the square first ([`Settle`]). Either way the
//! backward pass is the one an eager square and sum would build, so only the
//! speed differs.
//!
//! [`rules::reduce::sum_of_squares`]: super::rules::reduce::sum_of_squares

use super::node::Node;
use super::rules::reduce::{self, MeanPullback, SumPullback};
use super::rules::unary::{self, SquarePullback};
use core::marker::PhantomData;
use typeflux_core::{Device, Element, Scalar, Shape, Tensor};

/// A node whose last operation `Op` is still to be applied: the traced value
/// holds that operation's *input*, and [`Settle`] applies it when the value
/// is used. Only [`square`](super::Traced::square) makes one.
#[derive(Clone, Debug)]
pub struct Lazy<Op, B> {
    next: B,
    op: PhantomData<fn() -> Op>,
}

impl<Op, B> Lazy<Op, B> {
    /// The operation `Op` deferred after the node `next`.
    #[inline(always)]
    pub fn new(next: B) -> Self {
        Lazy {
            next,
            op: PhantomData,
        }
    }
}

/// The deferred square of [`Traced::square`](super::Traced::square).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Square;

/// Brings a traced value up to date: a [`Lazy`] node applies its deferred
/// operation to the value; every other node (every [`Node`]) is settled
/// already and hands the value on unchanged.
///
/// Methods of [`Traced`](super::Traced) settle their operands before they
/// compute, so code meets this trait only in the bounds of generic helpers,
/// through [`Tracks`](super::Tracks).
pub trait Settle<V>: Sized {
    /// The node once settled.
    type Settled;

    /// The settled value and node.
    fn settle(self, value: V) -> (V, Self::Settled);

    /// A reduction `r` of the settled value, with its pullback after the
    /// settled node; a deferred square reduces `x²` without storing it.
    #[inline(always)]
    fn settle_reduce<R: Reducer<V>>(
        self,
        value: V,
        r: R,
    ) -> (R::Out, <Self::Settled as Node>::Then<R::Pullback>)
    where
        Self::Settled: Node,
    {
        let (value, back) = self.settle(value);
        let (out, pullback) = r.reduce(value);
        (out, back.then(pullback))
    }
}

impl<V, B: Node> Settle<V> for B {
    type Settled = B;

    #[inline(always)]
    fn settle(self, value: V) -> (V, B) {
        (value, self)
    }
}

impl<S: Shape, E: Element, D: Device, B: Node> Settle<Tensor<S, E, D>> for Lazy<Square, B> {
    type Settled = B::Then<SquarePullback<S, E, D>>;

    #[inline(always)]
    fn settle(self, x: Tensor<S, E, D>) -> (Tensor<S, E, D>, Self::Settled) {
        let (y, pullback) = unary::square(x);
        (y, self.next.then(pullback))
    }

    /// `r` of `x²` in one pass; the square's pullback keeps `x`.
    #[inline(always)]
    fn settle_reduce<R: Reducer<Tensor<S, E, D>>>(
        self,
        x: Tensor<S, E, D>,
        r: R,
    ) -> (R::Out, <Self::Settled as Node>::Then<R::Pullback>)
    where
        Self::Settled: Node,
    {
        let (out, pullback) = r.reduce_squares(&x);
        (
            out,
            self.next.then(SquarePullback::keeping(x)).then(pullback),
        )
    }
}

/// A reduction of a value `V` to a scalar, as a rule: the sum or the mean.
pub trait Reducer<V> {
    /// The reduced value.
    type Out;
    /// Its pullback.
    type Pullback;

    /// The reduction of `x`, and its pullback.
    fn reduce(self, x: V) -> (Self::Out, Self::Pullback);

    /// The reduction of `x²`, elementwise, without storing `x²`, and the
    /// pullback of the reduction (toward `x²`).
    fn reduce_squares(self, x: &V) -> (Self::Out, Self::Pullback);
}

/// The sum of all elements, as a [`Reducer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sum;

/// The mean of all elements, as a [`Reducer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mean;

impl<S: Shape, E: Element, D: Device> Reducer<Tensor<S, E, D>> for Sum {
    type Out = Scalar<E, D>;
    type Pullback = SumPullback<S, D>;

    #[inline(always)]
    fn reduce(self, x: Tensor<S, E, D>) -> (Scalar<E, D>, SumPullback<S, D>) {
        reduce::sum(x)
    }

    #[inline(always)]
    fn reduce_squares(self, x: &Tensor<S, E, D>) -> (Scalar<E, D>, SumPullback<S, D>) {
        reduce::sum_of_squares(x)
    }
}

impl<S: Shape, E: Element, D: Device> Reducer<Tensor<S, E, D>> for Mean {
    type Out = Scalar<E, D>;
    type Pullback = MeanPullback<S, D>;

    #[inline(always)]
    fn reduce(self, x: Tensor<S, E, D>) -> (Scalar<E, D>, MeanPullback<S, D>) {
        reduce::mean(x)
    }

    #[inline(always)]
    fn reduce_squares(self, x: &Tensor<S, E, D>) -> (Scalar<E, D>, MeanPullback<S, D>) {
        reduce::mean_of_squares(x)
    }
}
