//! `Chain`: layers applied one after another, and composition.

use crate::layer::{Descend, Differentiable, Layer};
use typeflux_core::functor::{Access, Functor, Mapper, Of, Path, Rebuild, Visitor};
use typeflux_core::{Device, ToDevice};

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
/// A chain of [`Differentiable`] members is differentiable; its gradient is a
/// chain of its members' gradients. Closures run forwards only (see
/// [`Layer`]).
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

/// `first.descend(x, eta, |y| second.descend(y, eta, |y| … last.descend(y,
/// eta, rest)))` over the listed members.
macro_rules! nested_descend {
    ($x:expr, $eta:ident, $rest:ident; $last:ident) => {
        $last.descend($x, $eta, $rest)
    };
    ($x:expr, $eta:ident, $rest:ident; $first:ident $($more:ident)+) => {
        $first.descend($x, $eta, move |y| nested_descend!(y, $eta, $rest; $($more)+))
    };
}

/// The `Layer` and `Differentiable` impls for chains of every length up to
/// the given list, built one member at a time. Member `Li` maps `Y(i-1)` to
/// `Yi`, the chain's input being `X`; the backward pass visits the members
/// in the reversed list.
macro_rules! chain {
    (@impl [$($L:ident $In:ident $Y:ident $i:tt)*] [$($R:ident)*] $Last:ident) => {
        impl<X, L0, Y0 $(, $L, $Y)*> Layer<X> for Chain<(L0, $($L,)*)>
        where
            L0: Layer<X, Output = Y0>,
            $($L: Layer<$In, Output = $Y>,)*
        {
            type Output = $Last;

            #[inline(always)]
            fn forward(&self, x: X) -> $Last {
                let x = self.0.0.forward(x);
                $(let x = self.0.$i.forward(x);)*
                x
            }
        }

        impl<X, L0, Y0 $(, $L, $Y)*> Differentiable<X> for Chain<(L0, $($L,)*)>
        where
            L0: Differentiable<X, Output = Y0>,
            $($L: Differentiable<$In, Output = $Y, InputGradient = $In>,)*
        {
            type InputGradient = L0::InputGradient;

            /// Each member's pullback is bound to a variable named after its
            /// type, then replaced by the gradient it returns.
            #[inline(always)]
            #[allow(non_snake_case)]
            fn pullback(
                &self,
                x: X,
            ) -> ($Last, impl FnOnce($Last) -> (Self, L0::InputGradient)) {
                let (x, L0) = self.0.0.pullback(x);
                $(let (x, $L) = self.0.$i.pullback(x);)*
                (x, move |dy| {
                    $(let ($R, dy) = $R(dy);)*
                    let (L0, dx) = L0(dy);
                    (Chain((L0, $($L,)*)), dx)
                })
            }
        }

        impl<X, L0, Y0 $(, $L, $Y)*> Descend<X> for Chain<(L0, $($L,)*)>
        where
            L0: Descend<X, Output = Y0>,
            $($L: Descend<$In, Output = $Y, InputGradient = $In>,)*
        {
            /// Each member descends inside the closure its predecessor hands
            /// the rest of the model, so each holds only its own borrow.
            #[inline(always)]
            #[allow(non_snake_case)]
            fn descend<R>(
                &mut self,
                x: X,
                eta: f64,
                rest: impl FnOnce($Last) -> (R, $Last),
            ) -> (R, L0::InputGradient) {
                let (L0, $($L,)*) = &mut self.0;
                nested_descend!(x, eta, rest; L0 $($L)*)
            }
        }
    };
    // Emits the impl for the members gathered so far, then takes the next.
    ([$($done:tt)*] [$($R:ident)*] $Prev:ident; $L:ident $Y:ident $i:tt $(, $($rest:tt)*)?) => {
        chain!(@impl [$($done)* $L $Prev $Y $i] [$L $($R)*] $Y);
        chain!([$($done)* $L $Prev $Y $i] [$L $($R)*] $Y; $($($rest)*)?);
    };
    ([$($done:tt)*] [$($R:ident)*] $Prev:ident;) => {};
}

chain!(@impl [] [] Y0);
chain!(
    [] [] Y0;
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
    fn map<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self {
        Chain(self.0.map(path, mapper))
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
