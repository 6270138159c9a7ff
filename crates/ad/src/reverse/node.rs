//! Backward nodes: the composed backward pass of a traced value, as a type.
//!
//! A traced value carries a node describing how its cotangent reaches the
//! inputs. A [`Leaf`] adds it to an input's gradient slot, [`Then`] runs one
//! pullback and hands the result on, [`Join`] runs a binary pullback and
//! hands one result to each operand's node, and [`Constant`] drops it. Every
//! node is a plain struct holding its pullback and its children by value, so
//! the backward pass of `sum((x - y)²)` is the value
//! `Then(sum, Then(square, Join(sub, Leaf<x>, Leaf<y>)))`: no tape, no boxing,
//! and the compiler sees (and inlines) the whole pass.

use super::fill::Cotangent;
use super::lazy::Settle;
use super::pullback::{Both, Pullback};
use super::slots::{Accumulate, Locate};
use core::fmt;
use core::marker::PhantomData;

/// A backward pass: takes the cotangent `dy` of a traced value and adds the
/// gradients it leads to into the slots `G` of the inputs.
///
/// `G` is chosen by the caller of the backward pass (a
/// [`gradient`](super::gradient) call), not by the node, so code that builds
/// traced values never names it; a helper function that returns a traced
/// value states the bound for a `G` of its own (see [`Tracks`]).
pub trait Backward<Dy, G> {
    /// Runs the backward pass.
    fn backward(self, dy: Dy, grads: &mut G);

    /// Runs the backward pass from a cotangent with every element equal (see
    /// [`Fill`](super::Fill)); by default it becomes a tensor first.
    #[inline]
    fn backward_fill(self, dy: Dy::Fill, grads: &mut G)
    where
        Self: Sized,
        Dy: Cotangent,
    {
        self.backward(Dy::from_fill(dy), grads);
    }
}

/// A node that depends on an input: every node except [`Constant`].
///
/// The distinction is what lets an operation with one constant operand keep
/// only the half of its pullback that leads to the other one.
pub trait Tracked {}

/// A node that depends on an input and runs a backward pass from a cotangent
/// of `V` into the slots `G`: the bound a helper function states for the
/// traced values it takes and returns.
///
/// ```
/// use typeflux_ad::reverse::{Traced, Tracks, gradient};
/// use typeflux_core::prelude::*;
///
/// /// `W*x .+ b`, differentiable in `W` and `b` (`x` is data).
/// fn predict<G>(
///     w: Traced<Matrix<2, 3>, impl Tracks<Matrix<2, 3>, G>>,
///     b: Traced<Vector<2>, impl Tracks<Vector<2>, G>>,
///     x: &Vector<3>,
/// ) -> Traced<Vector<2>, impl Tracks<Vector<2>, G>> {
///     w.matmul(x) + b
/// }
///
/// let (w, b) = (Matrix::<2, 3>::ones(), Vector::<2>::zeros());
/// let x = Tensor::from_array([1.0, 2.0, 3.0]);
/// let (dw, db) = gradient(|(w, b)| predict(w, b, &x).sum(), (&w, &b));
/// assert_eq!(dw, Tensor::from_array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]));
/// assert_eq!(db, Vector::ones());
/// ```
pub trait Tracks<V, G>: Settle<V, Settled: Tracked + Backward<V, G>> {}

impl<V, G, B: Settle<V, Settled: Tracked + Backward<V, G>>> Tracks<V, G> for B {}

/// The node of a value that does not depend on any input: its backward pass
/// does nothing, and the operations that combine it with a tracked value keep
/// only the pullback toward that value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Constant;

impl<Dy, G> Backward<Dy, G> for Constant {
    #[inline(always)]
    fn backward(self, _: Dy, _: &mut G) {}

    #[inline(always)]
    fn backward_fill(self, _: Dy::Fill, _: &mut G)
    where
        Dy: Cotangent,
    {
    }
}

/// The node of an input: adds its cotangent to the gradient slot at the
/// type-level path `P` (see [`Step`](super::Step)).
pub struct Leaf<P>(PhantomData<fn() -> P>);

impl<P> Leaf<P> {
    /// The leaf at path `P`.
    #[inline(always)]
    pub fn new() -> Self {
        Leaf(PhantomData)
    }
}

impl<P> Default for Leaf<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> Clone for Leaf<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Leaf<P> {}

impl<P> fmt::Debug for Leaf<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Leaf<{}>", core::any::type_name::<P>())
    }
}

impl<P> Tracked for Leaf<P> {}

impl<Dy, G, P: Locate<G>> Backward<Dy, G> for Leaf<P>
where
    P::Target: Accumulate<Dy>,
{
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        P::locate(grads).accumulate(dy);
    }
}

/// A pullback followed by the backward pass of the operand it leads to.
#[derive(Clone, Debug)]
pub struct Then<P, B> {
    pullback: P,
    next: B,
}

impl<P, B> Tracked for Then<P, B> {}

impl<Dy, G, P: Pullback<Dy>, B: Backward<P::Grads, G>> Backward<Dy, G> for Then<P, B> {
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        self.pullback.pullback_into(dy, self.next, grads);
    }

    #[inline(always)]
    fn backward_fill(self, dy: Dy::Fill, grads: &mut G)
    where
        Dy: Cotangent,
    {
        self.next.backward(self.pullback.pullback_fill(dy), grads);
    }
}

/// A binary pullback followed by the backward passes of both operands, the
/// left one first.
#[derive(Clone, Debug)]
pub struct Join<P, L, R> {
    pullback: P,
    lhs: L,
    rhs: R,
}

impl<P, L, R> Tracked for Join<P, L, R> {}

impl<Dy, G, P, L, R, GL, GR> Backward<Dy, G> for Join<P, L, R>
where
    P: Pullback<Dy, Grads = (GL, GR)>,
    L: Backward<GL, G>,
    R: Backward<GR, G>,
{
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        let (dl, dr) = self.pullback.pullback(dy);
        self.lhs.backward(dl, grads);
        self.rhs.backward(dr, grads);
    }

    #[inline(always)]
    fn backward_fill(self, dy: Dy::Fill, grads: &mut G)
    where
        Dy: Cotangent,
    {
        let (dl, dr) = self.pullback.pullback_fill(dy);
        self.lhs.backward(dl, grads);
        self.rhs.backward(dr, grads);
    }
}

/// The node of a value computed on one of two paths chosen at run time:
/// the backward pass of whichever path was taken. It gives the two branches
/// of an `if` or a `match` one type (see [`Traced::left`](super::Traced::left)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Either<L, R> {
    /// The first path.
    Left(L),
    /// The second path.
    Right(R),
}

impl<L, R> Tracked for Either<L, R> {}

impl<Dy, G, L: Backward<Dy, G>, R: Backward<Dy, G>> Backward<Dy, G> for Either<L, R> {
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        match self {
            Either::Left(l) => l.backward(dy, grads),
            Either::Right(r) => r.backward(dy, grads),
        }
    }

    #[inline(always)]
    fn backward_fill(self, dy: Dy::Fill, grads: &mut G)
    where
        Dy: Cotangent,
    {
        match self {
            Either::Left(l) => l.backward_fill(dy, grads),
            Either::Right(r) => r.backward_fill(dy, grads),
        }
    }
}

/// Extends a node by a unary pullback: a tracked node becomes
/// [`Then`]`<P, Self>`, a [`Constant`] stays constant (the pullback is
/// dropped at once).
pub trait Node: Sized {
    /// The node after the pullback `P`.
    type Then<P>;

    /// Appends `pullback`.
    fn then<P>(self, pullback: P) -> Self::Then<P>;
}

impl Node for Constant {
    type Then<P> = Constant;

    #[inline(always)]
    fn then<P>(self, _: P) -> Constant {
        Constant
    }
}

impl<B: Tracked> Node for B {
    type Then<P> = Then<P, B>;

    #[inline(always)]
    fn then<P>(self, pullback: P) -> Then<P, B> {
        Then {
            pullback,
            next: self,
        }
    }
}

/// Joins the nodes of two operands under a binary pullback `Both<PL, PR>`,
/// keeping only the halves that lead to tracked operands.
///
/// | left | right | node |
/// |---|---|---|
/// | tracked | tracked | [`Join`]`<Both<PL, PR>, L, R>` |
/// | tracked | [`Constant`] | [`Then`]`<PL, L>` |
/// | [`Constant`] | tracked | [`Then`]`<PR, R>` |
/// | [`Constant`] | [`Constant`] | [`Constant`] |
pub trait Combine<R>: Sized {
    /// The joined node.
    type Join<PL, PR>;

    /// Joins `self` (the left operand's node) and `rhs`.
    fn join<PL, PR>(self, rhs: R, pullback: Both<PL, PR>) -> Self::Join<PL, PR>;
}

impl<L: Tracked, R: Tracked> Combine<R> for L {
    type Join<PL, PR> = Join<Both<PL, PR>, L, R>;

    #[inline(always)]
    fn join<PL, PR>(self, rhs: R, pullback: Both<PL, PR>) -> Self::Join<PL, PR> {
        Join {
            pullback,
            lhs: self,
            rhs,
        }
    }
}

impl<L: Tracked> Combine<Constant> for L {
    type Join<PL, PR> = Then<PL, L>;

    #[inline(always)]
    fn join<PL, PR>(self, _: Constant, Both(lhs, _): Both<PL, PR>) -> Then<PL, L> {
        Then {
            pullback: lhs,
            next: self,
        }
    }
}

impl<R: Tracked> Combine<R> for Constant {
    type Join<PL, PR> = Then<PR, R>;

    #[inline(always)]
    fn join<PL, PR>(self, rhs: R, Both(_, pullback): Both<PL, PR>) -> Then<PR, R> {
        Then {
            pullback,
            next: rhs,
        }
    }
}

impl Combine<Constant> for Constant {
    type Join<PL, PR> = Constant;

    #[inline(always)]
    fn join<PL, PR>(self, _: Constant, _: Both<PL, PR>) -> Constant {
        Constant
    }
}
