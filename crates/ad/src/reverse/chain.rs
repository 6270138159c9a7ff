//! The backward pass of a chain of layers: the members' backward passes side
//! by side, joined by holes.
//!
//! A chain (typeflux-nn's `Chain`) runs its first member on the chain's
//! input as it comes, and every later member on the previous output with a
//! [`Hole`](super::Hole) for its node. Each member's node then reaches back
//! only to its hole, and the chain's node is one [`ChainNode`] holding them
//! all: its backward pass runs the last member's, collects what arrives at
//! its hole, hands that to the member before, and so on, and ends with the
//! first member's, which leads on to the chain's input. However many
//! members a chain has, it adds one level to the type of its backward pass,
//! not one per member.

use super::node::{Backward, Bool, Hole, Node, Tracked};
use super::slots::{Locate, WithHole};
use super::traced::Traced;
use core::fmt;
use core::marker::PhantomData;

/// A member of a chain after the first: its node, reaching back to a hole
/// whose value is an `X`.
pub struct Member<N, X> {
    node: N,
    input: PhantomData<fn() -> X>,
}

impl<N, X> Member<N, X> {
    /// The member whose output's node is `node`, its input an `X`.
    #[inline(always)]
    pub fn new(node: N) -> Self {
        Member {
            node,
            input: PhantomData,
        }
    }
}

impl<N: Clone, X> Clone for Member<N, X> {
    fn clone(&self) -> Self {
        Member::new(self.node.clone())
    }
}

impl<N: fmt::Debug, X> fmt::Debug for Member<N, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Member").field(&self.node).finish()
    }
}

/// The members after the first, as a tuple of [`Member`]s: whether any
/// leads to a parameter, by type and at run time.
pub trait Members {
    /// Whether an input's leaf lies behind any member's node.
    type Depends: Bool;

    /// Whether a gradient is wanted through any member.
    fn active(&self) -> bool;
}

/// The node of a chain: the first member's node, which leads on to the
/// chain's input, and the later members', each reaching back to the
/// [`Hole`](super::Hole) its member ran on.
#[derive(Clone, Debug)]
pub struct ChainNode<First, Rest> {
    first: First,
    rest: Rest,
    active: bool,
}

impl<First: Node, Rest: Members> ChainNode<First, Rest> {
    /// The node of a chain whose first member's node is `first` and whose
    /// later members are `rest`.
    #[inline(always)]
    pub fn new(first: First, rest: Rest) -> Self {
        let active = first.active() || rest.active();
        ChainNode {
            first,
            rest,
            active,
        }
    }
}

impl<First: Node, Rest: Members> Tracked for ChainNode<First, Rest> {
    type Depends = <First::Depends as Bool>::Or<Rest::Depends>;

    #[inline(always)]
    fn active(&self) -> bool {
        self.active
    }
}

impl Members for () {
    type Depends = super::node::No;

    #[inline(always)]
    fn active(&self) -> bool {
        false
    }
}

impl<Dy, G, First: Backward<Dy, G>> Backward<Dy, G> for ChainNode<First, ()> {
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        self.first.backward(dy, grads);
    }
}

/// `Members` and `Backward` for chains whose later members are the listed
/// ones, `Ni` the node of member `i` and `Xi` its input; the backward pass
/// visits them in the reversed list, each cotangent's type that of the
/// member's output (the next member's input, or the chain's output).
macro_rules! chain_nodes {
    ($(($($N:ident $X:ident $i:tt),+) reversed ($($RN:ident $RX:ident $Dy:ident $ri:tt),+);)+) => {$(
        impl<$($N: Node, $X),+> Members for ($(Member<$N, $X>,)+) {
            type Depends = chain_nodes!(@or $($N)+);

            #[inline(always)]
            fn active(&self) -> bool {
                false $(|| self.$i.node.active())+
            }
        }

        #[allow(non_camel_case_types)]
        impl<Dy, G, First, $($N, $X),+> Backward<Dy, G>
            for ChainNode<First, ($(Member<$N, $X>,)+)>
        where
            $(for<'hole> $RN: Backward<$Dy, WithHole<'hole, G, Option<$RX>>>,)+
            First: Backward<chain_nodes!(@first $($X)+), G>,
        {
            #[inline(always)]
            fn backward(self, dy: Dy, grads: &mut G) {
                let rest = self.rest;
                $(
                    let mut hole: Option<$RX> = None;
                    rest.$ri.node.backward(dy, &mut WithHole::new(grads, &mut hole));
                    let Some(dy) = hole else { return };
                )+
                self.first.backward(dy, grads);
            }
        }
    )+};
    (@or $N:ident) => { $N::Depends };
    (@or $N:ident $($more:ident)+) => { <$N::Depends as Bool>::Or<chain_nodes!(@or $($more)+)> };
    (@first $X:ident $($more:ident)*) => { $X };
}

chain_nodes! {
    (N1 X1 0) reversed (N1 X1 Dy 0);
    (N1 X1 0, N2 X2 1) reversed (N2 X2 Dy 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2) reversed (N3 X3 Dy 2, N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3)
        reversed (N4 X4 Dy 3, N3 X3 X4 2, N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4)
        reversed (N5 X5 Dy 4, N4 X4 X5 3, N3 X3 X4 2, N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5)
        reversed (N6 X6 Dy 5, N5 X5 X6 4, N4 X4 X5 3, N3 X3 X4 2, N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5, N7 X7 6)
        reversed (N7 X7 Dy 6, N6 X6 X7 5, N5 X5 X6 4, N4 X4 X5 3, N3 X3 X4 2, N2 X2 X3 1,
                  N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5, N7 X7 6, N8 X8 7)
        reversed (N8 X8 Dy 7, N7 X7 X8 6, N6 X6 X7 5, N5 X5 X6 4, N4 X4 X5 3, N3 X3 X4 2,
                  N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5, N7 X7 6, N8 X8 7, N9 X9 8)
        reversed (N9 X9 Dy 8, N8 X8 X9 7, N7 X7 X8 6, N6 X6 X7 5, N5 X5 X6 4, N4 X4 X5 3,
                  N3 X3 X4 2, N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5, N7 X7 6, N8 X8 7, N9 X9 8,
     N10 X10 9)
        reversed (N10 X10 Dy 9, N9 X9 X10 8, N8 X8 X9 7, N7 X7 X8 6, N6 X6 X7 5,
                  N5 X5 X6 4, N4 X4 X5 3, N3 X3 X4 2, N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5, N7 X7 6, N8 X8 7, N9 X9 8,
     N10 X10 9, N11 X11 10)
        reversed (N11 X11 Dy 10, N10 X10 X11 9, N9 X9 X10 8, N8 X8 X9 7, N7 X7 X8 6,
                  N6 X6 X7 5, N5 X5 X6 4, N4 X4 X5 3, N3 X3 X4 2, N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5, N7 X7 6, N8 X8 7, N9 X9 8,
     N10 X10 9, N11 X11 10, N12 X12 11)
        reversed (N12 X12 Dy 11, N11 X11 X12 10, N10 X10 X11 9, N9 X9 X10 8, N8 X8 X9 7,
                  N7 X7 X8 6, N6 X6 X7 5, N5 X5 X6 4, N4 X4 X5 3, N3 X3 X4 2, N2 X2 X3 1,
                  N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5, N7 X7 6, N8 X8 7, N9 X9 8,
     N10 X10 9, N11 X11 10, N12 X12 11, N13 X13 12)
        reversed (N13 X13 Dy 12, N12 X12 X13 11, N11 X11 X12 10, N10 X10 X11 9,
                  N9 X9 X10 8, N8 X8 X9 7, N7 X7 X8 6, N6 X6 X7 5, N5 X5 X6 4, N4 X4 X5 3,
                  N3 X3 X4 2, N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5, N7 X7 6, N8 X8 7, N9 X9 8,
     N10 X10 9, N11 X11 10, N12 X12 11, N13 X13 12, N14 X14 13)
        reversed (N14 X14 Dy 13, N13 X13 X14 12, N12 X12 X13 11, N11 X11 X12 10,
                  N10 X10 X11 9, N9 X9 X10 8, N8 X8 X9 7, N7 X7 X8 6, N6 X6 X7 5,
                  N5 X5 X6 4, N4 X4 X5 3, N3 X3 X4 2, N2 X2 X3 1, N1 X1 X2 0);
    (N1 X1 0, N2 X2 1, N3 X3 2, N4 X4 3, N5 X5 4, N6 X6 5, N7 X7 6, N8 X8 7, N9 X9 8,
     N10 X10 9, N11 X11 10, N12 X12 11, N13 X13 12, N14 X14 13, N15 X15 14)
        reversed (N15 X15 Dy 14, N14 X14 X15 13, N13 X13 X14 12, N12 X12 X13 11,
                  N11 X11 X12 10, N10 X10 X11 9, N9 X9 X10 8, N8 X8 X9 7, N7 X7 X8 6,
                  N6 X6 X7 5, N5 X5 X6 4, N4 X4 X5 3, N3 X3 X4 2, N2 X2 X3 1,
                  N1 X1 X2 0);
}

/// The value a chain returns: plain when its input is plain and no
/// parameter lies behind its node (a plain model on plain data), traced
/// otherwise. A chain inside another runs on a traced input behind a
/// [`Hole`](super::Hole) (when it is not the first member), so it stays
/// traced even without parameters, and the outer chain's backward pass runs
/// through it.
pub trait Pick<V>: Sized {
    /// The plain or the traced value.
    type Out;

    /// `value` with this node, or alone.
    fn pick(self, value: V) -> Self::Out;
}

/// What [`Pick`] chooses between, by a node's [`Depends`](Tracked::Depends).
pub trait Choose<V, N> {
    /// The plain or the traced value.
    type Out;

    /// `value` with `node`, or alone.
    fn choose(value: V, node: N) -> Self::Out;
}

impl<V, N> Choose<V, N> for super::node::No {
    type Out = V;

    #[inline(always)]
    fn choose(value: V, _: N) -> V {
        value
    }
}

impl<V, N> Choose<V, N> for super::node::Yes {
    type Out = Traced<V, N>;

    #[inline(always)]
    fn choose(value: V, node: N) -> Traced<V, N> {
        Traced::new(value, node)
    }
}

/// Whether a chain's value stays traced: its first member's node leads
/// somewhere (a leaf, or the hole of the chain around it), or a parameter
/// lies behind a later member.
type Traces<First, Rest> = <<First as Node>::Leads as Bool>::Or<<Rest as Members>::Depends>;

impl<V, First: Node, Rest: Members> Pick<V> for ChainNode<First, Rest>
where
    Traces<First, Rest>: Choose<V, Self>,
{
    type Out = <Traces<First, Rest> as Choose<V, Self>>::Out;

    #[inline(always)]
    fn pick(self, value: V) -> Self::Out {
        <Traces<First, Rest> as Choose<V, Self>>::choose(value, self)
    }
}

/// A loop's node: the node the loop started from (a chain's input), and
/// one node per step, all of one type `N`, each reaching back to the
/// [`Hole`](super::Hole) its step ran on (`X` the value passed from step to
/// step). A loop of any length is one node, and its backward pass runs the
/// steps' last to first in a loop, not a recursion: neither its type's depth
/// nor its stack depth grows with the number of steps.
///
/// Two kinds of loop share it, told apart by `S`, which says where a step's
/// leaves find their slots: [`Shared`] for [`Traced::fold`] (what a step
/// captures is differentiated as usual, the uses' gradients adding up) and
/// for a chain over a `Vec` of layers without traced parameters;
/// [`OwnSlots`] for the members of a traced `Vec`
/// ([`Elements`](typeflux_core::functor::Elements)), each with slots of its
/// own.
pub struct RepeatNode<First, N, X, S> {
    first: First,
    nodes: Vec<N>,
    active: bool,
    kinds: PhantomData<fn() -> (X, S)>,
}

/// The steps of a [`RepeatNode`] find their leaves' slots in the gradient
/// of the whole computation, as any other node does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shared;

/// The steps of a [`RepeatNode`] are the elements of a traced `Vec` whose
/// slots are at the path `P`: step `i`'s leaves find theirs in entry `i`.
pub struct OwnSlots<P>(PhantomData<fn() -> P>);

impl<First: Node, N: Node, X, S> RepeatNode<First, N, X, S> {
    /// The node of a loop that started from `first` and whose steps'
    /// nodes are `nodes`, in order.
    #[inline]
    pub fn new(first: First, nodes: Vec<N>) -> Self {
        let active = first.active() || nodes.iter().any(Node::active);
        RepeatNode {
            first,
            nodes,
            active,
            kinds: PhantomData,
        }
    }
}

impl<First: Clone, N: Clone, X, S> Clone for RepeatNode<First, N, X, S> {
    fn clone(&self) -> Self {
        RepeatNode {
            first: self.first.clone(),
            nodes: self.nodes.clone(),
            active: self.active,
            kinds: PhantomData,
        }
    }
}

impl<First: fmt::Debug, N: fmt::Debug, X, S> fmt::Debug for RepeatNode<First, N, X, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RepeatNode")
            .field("first", &self.first)
            .field("nodes", &self.nodes)
            .finish()
    }
}

impl<First: Node, N: Node, X, S> Tracked for RepeatNode<First, N, X, S> {
    type Depends = <First::Depends as Bool>::Or<N::Depends>;

    #[inline(always)]
    fn active(&self) -> bool {
        self.active
    }
}

/// Whether a loop's value stays traced: as for [`ChainNode`], its start
/// leads somewhere or a parameter lies behind its steps.
type LoopTraces<First, N> = <<First as Node>::Leads as Bool>::Or<<N as Node>::Depends>;

/// Plain when the chain's input is data and the members hold no traced
/// parameter, as for [`ChainNode`].
impl<V, First: Node, N: Node, S> Pick<V> for RepeatNode<First, N, V, S>
where
    LoopTraces<First, N>: Choose<V, Self>,
{
    type Out = <LoopTraces<First, N> as Choose<V, Self>>::Out;

    #[inline(always)]
    fn pick(self, value: V) -> Self::Out {
        <LoopTraces<First, N> as Choose<V, Self>>::choose(value, self)
    }
}

impl<X, G, First, N> Backward<X, G> for RepeatNode<First, N, X, Shared>
where
    for<'hole> N: Backward<X, WithHole<'hole, G, Option<X>>>,
    First: Backward<X, G>,
{
    fn backward(self, dy: X, grads: &mut G) {
        let mut dy = dy;
        for node in self.nodes.into_iter().rev() {
            let mut hole = None;
            node.backward(dy, &mut WithHole::new(grads, &mut hole));
            let Some(dx) = hole else { return };
            dy = dx;
        }
        self.first.backward(dy, grads);
    }
}

impl<X, G, First, N, P, S> Backward<X, G> for RepeatNode<First, N, X, OwnSlots<P>>
where
    P: Locate<G, Target = Vec<S>>,
    for<'hole> N: Backward<X, WithHole<'hole, S, Option<X>>>,
    First: Backward<X, G>,
{
    fn backward(self, dy: X, grads: &mut G) {
        let mut dy = dy;
        let slots = P::locate(grads);
        assert_eq!(
            slots.len(),
            self.nodes.len(),
            "a chain over a Vec: its traced members and their slots differ in number"
        );
        for (node, own) in self.nodes.into_iter().zip(slots.iter_mut()).rev() {
            let mut hole = None;
            node.backward(dy, &mut WithHole::new(own, &mut hole));
            let Some(dx) = hole else { return };
            dy = dx;
        }
        self.first.backward(dy, grads);
    }
}

impl<V, B: Node> Traced<V, B> {
    /// Runs `step` once per item of `items`, each time on the previous
    /// result: a loop whose length is known only at run time, traced as one
    /// node ([`RepeatNode`]) however many steps it takes.
    ///
    /// `step` receives the running value traced on a [`Hole`](super::Hole)
    /// and returns the next value, of the same type, with the same backward
    /// pass type at every step. What it captures (a traced weight, cloned
    /// into each step) is differentiated as usual; the gradients of its
    /// uses add up.
    ///
    /// ```
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::prelude::*;
    ///
    /// // x ← tanh(w · x), 300 times, with one weight w: an unrolled
    /// // recurrence, differentiated with respect to w and the start x.
    /// let w: Matrix<2, 2, f64> = Tensor::from_array([[0.5, -0.3], [0.2, 0.4]]);
    /// let x: Vector<2, f64> = Tensor::from_array([1.0, -1.0]);
    /// let (gw, gx) = gradient(
    ///     |(w, x)| x.fold(0..300, |x, _| w.clone().matmul(x).tanh()).sum(),
    ///     (&w, &x),
    /// );
    /// assert!(gw.iter().chain(gx.iter()).all(|g| g.is_finite()));
    /// ```
    pub fn fold<I, N>(
        self,
        items: I,
        mut step: impl FnMut(Traced<V, Hole>, I::Item) -> Traced<V, N>,
    ) -> Traced<V, RepeatNode<B, N, V, Shared>>
    where
        I: IntoIterator,
        N: Node,
    {
        let (mut value, first) = self.into_parts();
        let mut active = first.active();
        let items = items.into_iter();
        let mut steps = Vec::with_capacity(items.size_hint().0);
        for item in items {
            let (next, node) = step(Traced::new(value, Hole::new(active)), item).into_parts();
            active |= node.active();
            steps.push(node);
            value = next;
        }
        Traced::new(
            value,
            RepeatNode {
                first,
                nodes: steps,
                active,
                kinds: PhantomData,
            },
        )
    }
}
