//! `Chain`: layers applied one after another, and composition.

use crate::fused::{ChainRun, DenseLink};
use crate::layer::Layer;
use typeflux_ad::reverse::{ChainNode, Constant, Hole, Member, Node, Pick, Traced};
use typeflux_core::functor::{
    Access, Functor, Mapper, Of, Path, Rebuild, Trace, TraceMut, Visitor,
};
use typeflux_core::{Device, Element, Shape, Tensor, ToDevice};

/// Layers applied one after another, Flux's `Chain`: `Chain((a, b, c))`
/// computes `c(b(a(x)))`. A chain holds a tuple of 1 to 16 members, each a
/// layer, an activation, another chain, or a plain function or closure.
///
/// Each member's output type must be the next member's input type, so a chain
/// whose sizes do not fit does not compile, and the error names the member
/// that cannot take its neighbour's output.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let model = Chain((Dense::<10, 5>::new(sigmoid), Dense::<5, 2>::new(identity), softmax));
/// let x = Batch::<10>::ones_with((Const, 3));
/// let y = model.forward(&x); // 2 × 3
/// for column in y.columns() {
///     assert!((column.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// }
///
/// let m = Chain((|x| x * x, |x| x + 1));
/// assert_eq!(m.forward(5), 26);
/// ```
///
/// A chain is differentiated like any other model: inside a
/// [`gradient`](typeflux_ad::reverse::gradient) of it, its members run on
/// traced values, and its gradient is a chain of its members' gradients.
/// Its backward pass is one node, the members' backward passes side by side
/// ([`ChainNode`]): the first member runs on the chain's input as it comes,
/// every later one on the value before it with a [`Hole`] for its node
/// (so a closure member takes a `Traced<Tensor<…>, Hole>`, plain or not).
/// A chain whose members hold no traced parameter and whose input is plain
/// returns a plain value. A closure in a model that is walked or traced is
/// wrapped in [`Lambda`](crate::Lambda).
///
/// For walks over the model ([`Functor`]), a chain is its tuple: members are
/// named `0`, `1`, ..., so the first layer's weight is `0.weight`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Chain<T>(pub T);

/// `outer ∘ inner`: `inner` first, then `outer`, as Flux's
/// `Dense(5 => 2) ∘ Dense(10 => 5, σ)`. The result is the chain
/// `Chain((inner, outer))`, and differentiable when both are.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let m = compose(Dense::<5, 2>::new(identity), Dense::<10, 5>::new(sigmoid));
/// let y: Vector<2> = m.forward(Vector::<10>::ones());
///
/// let add_one_then_double = compose(|x: i32| 2 * x, |x: i32| x + 1);
/// assert_eq!(add_one_then_double.forward(3), 8);
/// ```
#[inline]
pub fn compose<Outer, Inner>(outer: Outer, inner: Inner) -> Chain<(Inner, Outer)> {
    Chain((inner, outer))
}

/// What a member of a chain returns, as the chain sees it: a plain value
/// and its backward node ([`Constant`] for a plain value).
pub trait Link {
    /// The value.
    type Value: Next;
    /// Its node.
    type Node: Node;

    /// The value and its node.
    fn split(self) -> (Self::Value, Self::Node);
}

/// How a value enters the next member of a chain: a tensor as a traced
/// tensor whose node is a [`Hole`] (which the chain connects to the member
/// before), a number as it is.
pub trait Next {
    /// What the next member receives.
    type Input;

    /// The value as the next member receives it; `active` says whether a
    /// gradient is wanted through it.
    fn next(self, active: bool) -> Self::Input;
}

impl<S: Shape, E: Element, D: Device> Link for Tensor<S, E, D> {
    type Value = Self;
    type Node = Constant;

    #[inline(always)]
    fn split(self) -> (Self, Constant) {
        (self, Constant)
    }
}

impl<S: Shape, E: Element, D: Device, B: Node> Link for Traced<Tensor<S, E, D>, B> {
    type Value = Tensor<S, E, D>;
    type Node = B;

    #[inline(always)]
    fn split(self) -> (Tensor<S, E, D>, B) {
        self.into_parts()
    }
}

impl<S: Shape, E: Element, D: Device> Next for Tensor<S, E, D> {
    type Input = Traced<Self, Hole>;

    #[inline(always)]
    fn next(self, active: bool) -> Traced<Self, Hole> {
        Traced::new(self, Hole::new(active))
    }
}

macro_rules! plain_links {
    ($($t:ty),*) => {$(
        /// A number passes through a chain as it is.
        impl Link for $t {
            type Value = $t;
            type Node = Constant;

            #[inline(always)]
            fn split(self) -> ($t, Constant) {
                (self, Constant)
            }
        }

        impl Next for $t {
            type Input = $t;

            #[inline(always)]
            fn next(self, _: bool) -> $t {
                self
            }
        }
    )*};
}

plain_links!(
    f32, f64, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, bool
);

/// The first member of a chain, taking the chain's input `X` as it comes.
#[diagnostic::on_unimplemented(
    message = "the first member of this `Chain`, `{Self}`, cannot take `{X}` as its input",
    label = "member 0 does not accept `{X}`",
    note = "a chain's input goes to its first member, whose input size must match"
)]
pub trait FirstMember<X> {
    /// What the member returns.
    type Output;

    /// Runs the member.
    fn run(&self, x: X) -> Self::Output;

    /// The member as a link of a chain its device may run in one pass
    /// ([`Layer::dense_link`]).
    fn link(&self) -> Option<&dyn DenseLink>;

    /// Runs the member as part of the chain's `run` ([`Layer::forward_in`]).
    fn run_in(&self, x: X, run: &mut ChainRun<'_>) -> Self::Output;
}

#[diagnostic::do_not_recommend]
impl<X, L: Layer<X>> FirstMember<X> for L {
    type Output = L::Output;

    #[inline(always)]
    fn run(&self, x: X) -> L::Output {
        self.forward(x)
    }

    #[inline(always)]
    fn link(&self) -> Option<&dyn DenseLink> {
        self.dense_link()
    }

    #[inline(always)]
    fn run_in(&self, x: X, run: &mut ChainRun<'_>) -> L::Output {
        self.forward_in(x, run)
    }
}

/// Member `K` of a chain (counting from 0), taking the value `V` that the
/// member before returned (as [`Next`] passes it on).
#[diagnostic::on_unimplemented(
    message = "member {K} of this `Chain`, `{Self}`, cannot take `{V}` as its input",
    label = "member {K} does not accept `{V}`, what the member before it returns",
    note = "in a `Chain`, each member's output is the next member's input, so neighbouring sizes \
            must agree"
)]
pub trait ChainMember<const K: usize, V> {
    /// What the member returns.
    type Output;

    /// Runs the member on `v`, through which a gradient is wanted when
    /// `active`.
    fn run(&self, v: V, active: bool) -> Self::Output;

    /// The member as a link of a chain its device may run in one pass
    /// ([`Layer::dense_link`]).
    fn link(&self) -> Option<&dyn DenseLink>;

    /// [`run`](Self::run) as part of the chain's `run`
    /// ([`Layer::forward_in`]).
    fn run_in(&self, v: V, active: bool, run: &mut ChainRun<'_>) -> Self::Output;
}

#[diagnostic::do_not_recommend]
impl<const K: usize, V: Next, L: Layer<V::Input>> ChainMember<K, V> for L {
    type Output = L::Output;

    #[inline(always)]
    fn run(&self, v: V, active: bool) -> L::Output {
        self.forward(v.next(active))
    }

    #[inline(always)]
    fn link(&self) -> Option<&dyn DenseLink> {
        self.dense_link()
    }

    #[inline(always)]
    fn run_in(&self, v: V, active: bool, run: &mut ChainRun<'_>) -> L::Output {
        self.forward_in(v.next(active), run)
    }
}

/// The `Layer` impls for chains of every length up to the given list, built
/// one member at a time. Member `Li` returns `Yi` from the value of the
/// member before, the first one from the chain's input `X`.
macro_rules! chain {
    (@impl $Y0:ident [$($L:ident $Y:ident $Prev:ident $i:tt)*] $Last:ident) => {
        impl<X, L0, Y0 $(, $L, $Y)*> Layer<X> for Chain<(L0, $($L,)*)>
        where
            L0: FirstMember<X, Output = Y0>,
            Y0: Link,
            $($L: ChainMember<$i, <$Prev as Link>::Value, Output = $Y>, $Y: Link,)*
            ChainNode<Y0::Node, ($(Member<$Y::Node, <$Prev as Link>::Value>,)*)>:
                Pick<<$Last as Link>::Value>,
        {
            type Output = <ChainNode<Y0::Node, ($(Member<$Y::Node, <$Prev as Link>::Value>,)*)>
                as Pick<<$Last as Link>::Value>>::Out;

            /// Each member runs on the value the one before returned, its
            /// node kept aside; the chain's node holds them all. A chain of
            /// `Dense` layers whose device runs it in one pass
            /// ([`fused`](crate::fused)) runs its members as parts of that
            /// pass.
            #[inline(always)]
            #[allow(non_snake_case)]
            fn forward(&self, x: X) -> Self::Output {
                let links = [self.0.0.link() $(, self.0.$i.link())*];
                let mut run = ChainRun::new(&links);
                let (value, $Y0) = self.0.0.run_in(x, &mut run).split();
                $(
                    let active = Node::active(&$Prev);
                    let (value, $Y) = self.0.$i.run_in(value, active, &mut run).split();
                )*
                ChainNode::new($Y0, ($(Member::new($Y),)*)).pick(value)
            }
        }
    };
    ($Y0:ident [$($done:tt)*] $Prev:ident; $L:ident $Y:ident $i:tt $(, $($rest:tt)*)?) => {
        chain!(@impl $Y0 [$($done)* $L $Y $Prev $i] $Y);
        chain!($Y0 [$($done)* $L $Y $Prev $i] $Y; $($($rest)*)?);
    };
    ($Y0:ident [$($done:tt)*] $Prev:ident;) => {};
}

chain!(@impl Y0 [] Y0);
chain!(
    Y0 [] Y0;
    L1 Y1 1, L2 Y2 2, L3 Y3 3, L4 Y4 4, L5 Y5 5, L6 Y6 6, L7 Y7 7, L8 Y8 8,
    L9 Y9 9, L10 Y10 10, L11 Y11 11, L12 Y12 12, L13 Y13 13, L14 Y14 14, L15 Y15 15
);

/// A chain is walked as its tuple, with no path segment of its own.
impl<T: Functor> Functor for Chain<T> {
    type Children = T::Children;
    type ChildRefs<'a>
        = T::ChildRefs<'a>
    where
        Self: 'a;
    type Rest = T::Rest;
    const NAMES: &'static [&'static str] = T::NAMES;

    #[inline]
    fn children(&self) -> Self::ChildRefs<'_> {
        self.0.children()
    }

    #[inline]
    fn into_children(self) -> (Self::Children, Self::Rest) {
        self.0.into_children()
    }

    #[inline]
    fn walk<V: Visitor + ?Sized>(this: Of<'_, V::Access, Self>, path: &mut Path, visitor: &mut V) {
        let members = <V::Access as Access>::project(this, |c| &c.0, |c| &mut c.0);
        T::walk(members, path, visitor);
    }

    #[inline]
    fn map_leaves<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self {
        Chain(self.0.map_leaves(path, mapper))
    }
}

impl<T: Rebuild<C>, C> Rebuild<C> for Chain<T> {
    type Output = Chain<T::Output>;

    #[inline]
    fn rebuild(rest: Self::Rest, children: C) -> Chain<T::Output> {
        Chain(T::rebuild(rest, children))
    }
}

/// A chain on another device: each member copied there.
impl<T: ToDevice<D2>, D2: Device> ToDevice<D2> for Chain<T> {
    type Output = Chain<T::Output>;

    #[inline]
    fn to_device(&self, device: &D2) -> Self::Output {
        Chain(self.0.to_device(device))
    }
}

/// A chain in another precision: each member converted.
impl<T: typeflux_core::ToElement<E2>, E2> typeflux_core::ToElement<E2> for Chain<T> {
    type Output = Chain<T::Output>;

    #[inline]
    fn to_element(&self) -> Self::Output {
        Chain(self.0.to_element())
    }
}

/// A chain is traced as its tuple: the traced chain is a chain of the
/// traced members, and its gradient a chain of their gradients.
impl<K, P, T: Trace<K, P>> Trace<K, P> for Chain<T> {
    type Traced = Chain<T::Traced>;
    type Slots = T::Slots;
    type Grads = Chain<T::Grads>;

    #[inline]
    fn trace(self, kind: &K) -> (Self::Traced, Self::Slots) {
        let (traced, slots) = self.0.trace(kind);
        (Chain(traced), slots)
    }

    #[inline]
    fn grads(slots: T::Slots) -> Self::Grads {
        Chain(T::grads(slots))
    }
}

/// A chain borrowed mutably is traced as its tuple borrowed mutably.
impl<'a, K, P, T: TraceMut<'a, K, P>> TraceMut<'a, K, P> for Chain<T> {
    type Traced = Chain<T::Traced>;
    type Slots = T::Slots;
    type Grads = Chain<T::Grads>;

    #[inline]
    fn trace_mut(&'a mut self, kind: &K) -> (Self::Traced, Self::Slots) {
        let (traced, slots) = self.0.trace_mut(kind);
        (Chain(traced), slots)
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        Chain(T::grads(slots))
    }
}

/// Flux's `activations(c, x)`: the output of every member of `chain` run
/// on `x`, in order, as a tuple whose last element is `chain.forward(x)`,
/// to look inside a model. The outputs are values: a chain whose
/// parameters are traced gives their values too, and is differentiated
/// through [`forward`](Layer::forward).
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::activations;
/// use typeflux_nn::prelude::*;
///
/// let model = Chain((Dense::<3, 4>::new(relu), Dense::<4, 2>::new(identity), softmax));
/// let x = Batch::<3>::ones_with((Const, 5));
/// let (hidden, scores, probabilities) = activations(&model, &x);
/// assert_eq!(hidden.shape(), (Const::<4>, 5));
/// assert_eq!(softmax.forward(scores), probabilities);
/// assert_eq!(probabilities, model.forward(&x));
///
/// assert_eq!(activations(&Chain((|x| x * x, |x| x + 1)), 5), (25, 26));
/// ```
#[inline]
pub fn activations<X, C: Activations<X>>(chain: &C, x: X) -> C::Outputs {
    chain.activations(x)
}

/// A chain that keeps the output of every member: see [`activations`].
pub trait Activations<X> {
    /// The members' outputs, in order, as a tuple.
    type Outputs;

    /// Runs the chain on `x`, keeping every member's output.
    fn activations(&self, x: X) -> Self::Outputs;
}

/// The `Activations` impls for chains of every length up to the given list,
/// built one member at a time as the `Layer` impls are; each output but the
/// last is cloned into the next member (a large buffer is shared).
macro_rules! activations {
    (@impl $Y0:ident [$($L:ident $Y:ident $Prev:ident $i:tt)*]) => {
        impl<X, L0, Y0 $(, $L, $Y)*> Activations<X> for Chain<(L0, $($L,)*)>
        where
            L0: FirstMember<X, Output = Y0>,
            Y0: Link,
            $(
                $L: ChainMember<$i, <$Prev as Link>::Value, Output = $Y>,
                $Y: Link,
                <$Prev as Link>::Value: Clone,
            )*
        {
            type Outputs = (Y0::Value, $(<$Y as Link>::Value,)*);

            #[inline]
            #[allow(non_snake_case)]
            fn activations(&self, x: X) -> Self::Outputs {
                let $Y0 = self.0.0.run(x).split().0;
                $(let $Y = self.0.$i.run($Prev.clone(), false).split().0;)*
                ($Y0, $($Y,)*)
            }
        }
    };
    ($Y0:ident [$($done:tt)*] $Prev:ident; $L:ident $Y:ident $i:tt $(, $($rest:tt)*)?) => {
        activations!(@impl $Y0 [$($done)* $L $Y $Prev $i]);
        activations!($Y0 [$($done)* $L $Y $Prev $i] $Y; $($($rest)*)?);
    };
    ($Y0:ident [$($done:tt)*] $Prev:ident;) => {};
}

activations!(@impl Y0 []);
activations!(
    Y0 [] Y0;
    L1 Y1 1, L2 Y2 2, L3 Y3 3, L4 Y4 4, L5 Y5 5, L6 Y6 6, L7 Y7 7, L8 Y8 8,
    L9 Y9 9, L10 Y10 10, L11 Y11 11, L12 Y12 12, L13 Y13 13, L14 Y14 14, L15 Y15 15
);
