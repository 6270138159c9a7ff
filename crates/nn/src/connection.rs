//! Layers whose branches are joined by a connection: Flux's
//! `SkipConnection`, `Parallel` and `Maxout`, and the connections
//! themselves.
//!
//! A connection combines the outputs of several branches into one:
//! [`Plus`] (Flux's `+`), [`Times`] (`.*`), [`Max`] (elementwise maximum,
//! as `Maxout` takes it) and [`Vcat`] (`vcat`: features stacked, the total
//! checked by the type checker). Each is a zero-sized value with a method
//! generic over what it joins, so one connection serves plain evaluation
//! and differentiation; a connection of your own is a type that implements
//! [`Connection`] the same way (a Rust closure cannot be generic over its
//! arguments, and a branch's output has another type when the model is
//! traced).
//!
//! Each branch runs on the layer's input behind a hole (see
//! [`isolate`](crate::isolate)): it receives a `Traced<Tensor<…>, Hole>`,
//! as a member of a chain after its first does, and the input's own
//! backward pass runs once however many branches use it.

use crate::chain::Link;
use crate::isolate::{Behind, Isolated, Split, isolate};
use crate::layer::Layer;
use core::ops::{Add, Mul};
use typeflux_ad::reverse::rules::shape::ConcatLhs;
use typeflux_ad::reverse::rules::shape::ConcatRhs;
use typeflux_ad::reverse::rules::unary::UnaryPullback;
use typeflux_ad::reverse::{ChainNode, Combine, IntoTraced, Member, Node, Pick, Traced};
use typeflux_core::functor::Functor;
use typeflux_core::ops::AddsUpTo;
use typeflux_core::{Const, Dim, Element, Kernels, Shape, Tensor};

/// A way of joining the outputs `Ys` (a tuple) of a layer's branches into
/// one value.
///
/// ```
/// use typeflux_ad::reverse::{IntoTraced, Traced};
/// use typeflux_nn::connection::Connection;
/// use core::ops::Sub;
///
/// /// `a - b`: the branch's output less the input, for a `SkipConnection`.
/// #[derive(Clone, Copy, Debug)]
/// struct Minus;
///
/// impl<A: IntoTraced, B: IntoTraced> Connection<(A, B)> for Minus
/// where
///     Traced<A::Value, A::Back>: Sub<Traced<B::Value, B::Back>>,
/// {
///     type Output = <Traced<A::Value, A::Back> as Sub<Traced<B::Value, B::Back>>>::Output;
///
///     fn connect(&self, (a, b): (A, B)) -> Self::Output {
///         a.into_traced() - b.into_traced()
///     }
/// }
/// ```
pub trait Connection<Ys> {
    /// The joined value.
    type Output;

    /// Joins the branches' outputs.
    fn connect(&self, ys: Ys) -> Self::Output;
}

/// The sum of the branches' outputs, Flux's `+`: `SkipConnection(layer, +)`
/// is a residual block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Plus;

/// The elementwise product of the branches' outputs, Flux's `.*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Times;

/// The elementwise maximum of the branches' outputs, as Flux's `Maxout`
/// takes it: `max(a, b) = b + relu(a - b)`, so where the two are equal the
/// gradient goes to `b`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Max;

/// Two branches' features stacked, the first's on top, Flux's `vcat`: `N`
/// is their total, checked by the type checker. Three or more branches are
/// stacked by nesting, since Rust cannot add sizes in a type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Vcat<const N: usize>;

impl<A: IntoTraced, B: IntoTraced> Connection<(A, B)> for Plus
where
    Traced<A::Value, A::Back>: Add<Traced<B::Value, B::Back>>,
{
    type Output = <Traced<A::Value, A::Back> as Add<Traced<B::Value, B::Back>>>::Output;

    #[inline]
    #[track_caller]
    fn connect(&self, (a, b): (A, B)) -> Self::Output {
        a.into_traced() + b.into_traced()
    }
}

impl<A: IntoTraced, B: IntoTraced> Connection<(A, B)> for Times
where
    Traced<A::Value, A::Back>: Mul<Traced<B::Value, B::Back>>,
{
    type Output = <Traced<A::Value, A::Back> as Mul<Traced<B::Value, B::Back>>>::Output;

    #[inline]
    #[track_caller]
    fn connect(&self, (a, b): (A, B)) -> Self::Output {
        a.into_traced() * b.into_traced()
    }
}

/// The node of `a - b` for operands `A` and `B` of the value `T`.
type Gap<A, B, T> = <<A as IntoTraced>::Back as Combine<<B as IntoTraced>::Back>>::Join<
    typeflux_ad::reverse::rules::arith::SubLhs<T, T>,
    typeflux_ad::reverse::rules::arith::SubRhs<T, T>,
>;

/// The node of `relu(a - b)`.
type Rise<A, B, S, E, D> = <Gap<A, B, Tensor<S, E, D>> as Node>::Then<UnaryPullback<S, E, D>>;

impl<A, B, S, E, D> Connection<(A, B)> for Max
where
    A: IntoTraced<Value = Tensor<S, E, D>>,
    B: IntoTraced<Value = Tensor<S, E, D>>,
    S: Shape,
    E: Element,
    D: Kernels<E>,
    A::Back: Combine<B::Back>,
    B::Back: Clone + Combine<Rise<A, B, S, E, D>>,
{
    type Output = <Traced<Tensor<S, E, D>, B::Back> as Add<
        Traced<Tensor<S, E, D>, Rise<A, B, S, E, D>>,
    >>::Output;

    #[inline]
    #[track_caller]
    fn connect(&self, (a, b): (A, B)) -> Self::Output {
        let b = b.into_traced();
        b.clone() + (a.into_traced() - b).relu()
    }
}

/// `Rhs` stacked under `self` into `N` features, [`Vcat`]'s join: a batch
/// over a batch, or a vector over a vector.
pub trait Concat<Rhs, const N: usize> {
    /// The stacked value.
    type Output;

    /// `[self; rhs]`.
    fn vcat(self, rhs: Rhs) -> Self::Output;
}

impl<const P: usize, const Q: usize, const N: usize, C: Dim, E: Element, D: Kernels<E>, BA, BB>
    Concat<Traced<Tensor<(Const<Q>, C), E, D>, BB>, N> for Traced<Tensor<(Const<P>, C), E, D>, BA>
where
    BB: Node,
    BA: Combine<BB>,
    Const<P>: AddsUpTo<Const<Q>, Const<N>>,
{
    type Output = Traced<Tensor<(Const<N>, C), E, D>, BA::Join<ConcatLhs<P>, ConcatRhs<P, Q>>>;

    #[inline]
    #[track_caller]
    fn vcat(self, rhs: Traced<Tensor<(Const<Q>, C), E, D>, BB>) -> Self::Output {
        self.concat(rhs)
    }
}

impl<const P: usize, const Q: usize, const N: usize, E: Element, D: Kernels<E>, BA, BB>
    Concat<Traced<Tensor<(Const<Q>,), E, D>, BB>, N> for Traced<Tensor<(Const<P>,), E, D>, BA>
where
    BB: Node,
    BA: Combine<BB>,
    Const<P>: AddsUpTo<Const<Q>, Const<N>>,
{
    type Output = Traced<Tensor<(Const<N>,), E, D>, BA::Join<ConcatLhs<P>, ConcatRhs<P, Q>>>;

    #[inline]
    fn vcat(self, rhs: Traced<Tensor<(Const<Q>,), E, D>, BB>) -> Self::Output {
        self.concat(rhs)
    }
}

impl<const N: usize, A: IntoTraced, B: IntoTraced> Connection<(A, B)> for Vcat<N>
where
    Traced<A::Value, A::Back>: Concat<Traced<B::Value, B::Back>, N>,
{
    type Output = <Traced<A::Value, A::Back> as Concat<Traced<B::Value, B::Back>, N>>::Output;

    #[inline]
    #[track_caller]
    fn connect(&self, (a, b): (A, B)) -> Self::Output {
        a.into_traced().vcat(b.into_traced())
    }
}

/// `Plus`, `Times` and `Max` over three to eight outputs: the first two
/// joined, then each further one joined to the result.
macro_rules! folded_connection {
    ($connection:ident) => {
        folded_connection!(@impls $connection
            (Y0 y0, Y1 y1) Y2 y2;
            (Y0 y0, Y1 y1, Y2 y2) Y3 y3;
            (Y0 y0, Y1 y1, Y2 y2, Y3 y3) Y4 y4;
            (Y0 y0, Y1 y1, Y2 y2, Y3 y3, Y4 y4) Y5 y5;
            (Y0 y0, Y1 y1, Y2 y2, Y3 y3, Y4 y4, Y5 y5) Y6 y6;
            (Y0 y0, Y1 y1, Y2 y2, Y3 y3, Y4 y4, Y5 y5, Y6 y6) Y7 y7;
        );
    };
    (@impls $connection:ident $(($($Y:ident $y:ident),+) $Last:ident $last:ident;)*) => {$(
        impl<$($Y,)+ $Last> Connection<($($Y,)+ $Last)> for $connection
        where
            $connection: Connection<($($Y,)+)>,
            $connection: Connection<(<$connection as Connection<($($Y,)+)>>::Output, $Last)>,
        {
            type Output = <$connection as Connection<(
                <$connection as Connection<($($Y,)+)>>::Output,
                $Last,
            )>>::Output;

            #[inline]
            #[track_caller]
            fn connect(&self, ($($y,)+ $last): ($($Y,)+ $Last)) -> Self::Output {
                self.connect((self.connect(($($y,)+)), $last))
            }
        }
    )*};
}

folded_connection!(Plus);
folded_connection!(Times);
folded_connection!(Max);

/// `connection(layers(x), x)`, Flux's `SkipConnection`: with [`Plus`], a
/// residual block `x + f(x)`.
///
/// ```
/// use typeflux_ad::reverse::{gradient, model};
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// // Flux's `SkipConnection(Dense(2 => 2, relu), +)`.
/// let block = SkipConnection::new(Dense::<2, 2>::new(relu).init(zeros), Plus);
/// let x = Batch::<2>::from_fn((Const, 3), |[i, j]| (i + j) as f32);
/// assert_eq!(block.forward(&x), x); // a zero layer adds nothing
///
/// let y = Batch::<2>::zeros_with((Const, 3));
/// let g = gradient(|m| mse(m.forward(&x), &y), model(&block));
/// assert_eq!(g.layers.weight.shape(), (Const::<2>, Const::<2>));
/// ```
///
/// The layer's output and the input must fit the connection: the same
/// shape for [`Plus`], or features that add up for [`Vcat`] (Flux's
/// `SkipConnection(Dense(2 => 3), vcat)` gives 3 + 2 features).
#[derive(Clone, Debug, Default, PartialEq, Functor)]
pub struct SkipConnection<L, C> {
    /// The layer (or chain) whose output is joined with the input.
    pub layers: L,
    /// How they are joined: `connection((layers(x), x))`.
    #[functor(skip)]
    pub connection: C,
}

impl<L, C> SkipConnection<L, C> {
    /// Flux's `SkipConnection(layers, connection)`.
    pub fn new(layers: L, connection: C) -> Self {
        SkipConnection { layers, connection }
    }
}

impl<X, L, C> Layer<X> for SkipConnection<L, C>
where
    X: Split,
    Behind<X>: Clone,
    L: Layer<Behind<X>>,
    C: Connection<(L::Output, Behind<X>)>,
    C::Output: Link,
    ChainNode<X::Node, (Member<<C::Output as Link>::Node, X::Value>,)>:
        Pick<<C::Output as Link>::Value>,
{
    type Output = Isolated<X, C::Output>;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        isolate(x, |h| {
            self.connection.connect((self.layers.forward(h.clone()), h))
        })
    }
}

/// The same input through every layer of a tuple, the outputs joined by a
/// connection: Flux's `Parallel(connection, layers...)`, for 2 to 8
/// layers.
///
/// ```
/// use typeflux_ad::reverse::{gradient, model};
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// // Flux's `Parallel(vcat, Dense(1 => 2), Dense(1 => 3))`: 2 + 3 features.
/// let both = Parallel::new(Vcat::<5>, (Dense::<1, 2>::new(tanh), Dense::<1, 3>::new(relu)));
/// let x = Batch::<1>::ones_with((Const, 4));
/// assert_eq!(both.forward(&x).shape(), (Const::<5>, 4));
///
/// // Flux's `Parallel(+, Dense(3 => 2), Dense(3 => 2))`, in a chain.
/// let net = Chain((
///     Parallel::new(Plus, (Dense::<3, 2>::new(tanh), Dense::<3, 2>::new(identity))),
///     Dense::<2, 1>::new(identity),
/// ));
/// let (x, y) = (Batch::<3>::ones_with((Const, 4)), Batch::<1>::zeros_with((Const, 4)));
/// let g = gradient(|m| mse(m.forward(&x), &y), model(&net));
/// assert_eq!(g.0.0.layers.1.weight.shape(), (Const::<2>, Const::<3>));
/// ```
///
/// The layers' paths in a weight file are `layers.0.weight`,
/// `layers.1.weight`, ..., as Flux names them. A tuple input is not taken
/// apart: every layer receives the whole input.
#[derive(Clone, Debug, Default, PartialEq, Functor)]
pub struct Parallel<C, T> {
    /// How the outputs are joined.
    #[functor(skip)]
    pub connection: C,
    /// The layers, a tuple.
    pub layers: T,
}

impl<C, T> Parallel<C, T> {
    /// Flux's `Parallel(connection, layers...)`, the layers as a tuple.
    pub fn new(connection: C, layers: T) -> Self {
        Parallel { connection, layers }
    }
}

/// Flux's `Maxout`: the elementwise maximum of the outputs of its layers,
/// each given the same input; a [`Parallel`] whose connection is [`Max`].
pub type Maxout<T> = Parallel<Max, T>;

impl<T> Parallel<Max, T> {
    /// Flux's `Maxout(layers...)`, the layers as a tuple of 2 to 8.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// let m = Maxout::maxout((Dense::<2, 3>::new(identity), Dense::<2, 3>::new(identity)));
    /// let x = Batch::<2>::ones_with((Const, 5));
    /// let (a, b) = (m.layers.0.forward(&x), m.layers.1.forward(&x));
    /// let y = m.forward(&x);
    /// for ((y, a), b) in y.iter().zip(a.iter()).zip(b.iter()) {
    ///     assert_eq!(*y, a.max(*b));
    /// }
    /// ```
    pub fn maxout(layers: T) -> Self {
        Parallel {
            connection: Max,
            layers,
        }
    }
}

/// The `Layer` impls of `Parallel` over tuples of the listed lengths.
macro_rules! parallel {
    ($(($($L:ident $i:tt),+) $LastL:ident $last:tt;)*) => {$(
        impl<X, C, $($L,)+ $LastL> Layer<X> for Parallel<C, ($($L,)+ $LastL)>
        where
            X: Split,
            Behind<X>: Clone,
            $($L: Layer<Behind<X>>,)+
            $LastL: Layer<Behind<X>>,
            C: Connection<($($L::Output,)+ $LastL::Output)>,
            C::Output: Link,
            ChainNode<X::Node, (Member<<C::Output as Link>::Node, X::Value>,)>:
                Pick<<C::Output as Link>::Value>,
        {
            type Output = Isolated<X, C::Output>;

            #[inline]
            #[track_caller]
            fn forward(&self, x: X) -> Self::Output {
                isolate(x, |h| {
                    let ys = ($(self.layers.$i.forward(h.clone()),)+ self.layers.$last.forward(h));
                    self.connection.connect(ys)
                })
            }
        }
    )*};
}

parallel! {
    (L0 0) L1 1;
    (L0 0, L1 1) L2 2;
    (L0 0, L1 1, L2 2) L3 3;
    (L0 0, L1 1, L2 2, L3 3) L4 4;
    (L0 0, L1 1, L2 2, L3 3, L4 4) L5 5;
    (L0 0, L1 1, L2 2, L3 3, L4 4, L5 5) L6 6;
    (L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6) L7 7;
}
