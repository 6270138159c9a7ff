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

use super::node::{Backward, Bool, Constant, No, Node, Tracked, Yes};
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
    type Depends = No;

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

/// The value a chain returns: plain when its input is data and no member
/// holds a traced parameter (a plain model on plain data), traced
/// otherwise. A chain nested in another after its first member takes a
/// hole as its input, and returns a traced value through which the outer
/// chain's gradient passes, whether or not its members have parameters.
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

impl<V, N> Choose<V, N> for No {
    type Out = V;

    #[inline(always)]
    fn choose(value: V, _: N) -> V {
        value
    }
}

impl<V, N> Choose<V, N> for Yes {
    type Out = Traced<V, N>;

    #[inline(always)]
    fn choose(value: V, node: N) -> Traced<V, N> {
        Traced::new(value, node)
    }
}

/// Whether a chain's input leads anywhere: [`No`] for data (a
/// [`Constant`] node), [`Yes`] for every tracked node, a
/// [`Hole`](super::Hole) included: the input of a chain nested in another,
/// whose cotangent the outer chain wants although no parameter lies behind
/// it ([`Tracked::Depends`] is [`No`] for a hole).
pub trait Live {
    /// Yes or no.
    type Live: Bool;
}

impl Live for Constant {
    type Live = No;
}

impl<B: Tracked> Live for B {
    type Live = Yes;
}

impl<V, First: Node + Live, Rest: Members> Pick<V> for ChainNode<First, Rest>
where
    <First::Live as Bool>::Or<Rest::Depends>: Choose<V, Self>,
{
    type Out = <<First::Live as Bool>::Or<Rest::Depends> as Choose<V, Self>>::Out;

    #[inline(always)]
    fn pick(self, value: V) -> Self::Out {
        <<First::Live as Bool>::Or<Rest::Depends> as Choose<V, Self>>::choose(value, self)
    }
}

/// The node of a chain over a `Vec` of layers of one type: the node of the
/// chain's input, and each member's node, all of one type `N`, reaching
/// back to the hole it ran on (`X` the value between members). Its backward
/// pass runs the members' last to first, as [`ChainNode`]'s does, in a
/// loop. `S` says where a member's leaves find their slots: [`NoSlots`]
/// for members without parameters, [`OwnSlots`] for the members of a
/// traced `Vec` ([`Elements`](typeflux_core::functor::Elements)).
pub struct RepeatNode<First, N, X, S> {
    first: First,
    nodes: Vec<N>,
    active: bool,
    kinds: PhantomData<fn() -> (X, S)>,
}

/// The members of a [`RepeatNode`] hold no parameters: their backward
/// passes run with no slots but their holes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoSlots;

/// The members of a [`RepeatNode`] are the elements of a traced `Vec` whose
/// slots are at the path `P`: member `i`'s leaves find theirs in entry `i`.
pub struct OwnSlots<P>(PhantomData<fn() -> P>);

impl<First: Node, N: Node, X, S> RepeatNode<First, N, X, S> {
    /// The node of a chain whose input's node is `first` and whose
    /// members' nodes are `nodes`, in order.
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

/// Plain when the chain's input is data and the members hold no traced
/// parameter, as for [`ChainNode`].
impl<V, First: Node + Live, N: Node, S> Pick<V> for RepeatNode<First, N, V, S>
where
    <First::Live as Bool>::Or<N::Depends>: Choose<V, Self>,
{
    type Out = <<First::Live as Bool>::Or<N::Depends> as Choose<V, Self>>::Out;

    #[inline(always)]
    fn pick(self, value: V) -> Self::Out {
        <<First::Live as Bool>::Or<N::Depends> as Choose<V, Self>>::choose(value, self)
    }
}

impl<X, G, First, N> Backward<X, G> for RepeatNode<First, N, X, NoSlots>
where
    for<'hole> N: Backward<X, WithHole<'hole, (), Option<X>>>,
    First: Backward<X, G>,
{
    #[inline]
    fn backward(self, dy: X, grads: &mut G) {
        let mut dy = dy;
        for node in self.nodes.into_iter().rev() {
            let mut hole = None;
            node.backward(dy, &mut WithHole::new(&mut (), &mut hole));
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
    #[inline]
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
