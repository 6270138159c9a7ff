//! Tracing: the same structure with each tensor replaced by another value
//! whose type may differ, each leaf knowing its place as a type.
//!
//! Reverse mode differentiates a model by handing the function the model
//! with every tensor *traced* (a value that records where its gradient must
//! go), and collects the gradients into slots shaped like the model. The
//! walk that does this is [`Trace`]: a tensor becomes what the [`TraceLeaf`]
//! `K` makes of it, given its [`Step`] path from the [`Root`]; tuples,
//! `Option`s and structs that derive `Functor` are rebuilt around their
//! traced children. A struct comes back as the *same struct* with other
//! field types, so code that uses its fields by name runs on the traced
//! model unchanged. `#[derive(Functor)]` writes `Trace` for a struct whose
//! children are all bare type parameters (`struct Affine<W, B> { w: W, b: B }`),
//! as only such fields can take another type.
//!
//! The leaf kind `K` is the caller's: typeflux-ad's reverse mode makes a
//! tensor a traced value and a gradient slot; a cast makes it a tensor of
//! another element type.

use crate::{Device, Element, Shape, Tensor};
use core::fmt;
use core::marker::PhantomData;

/// The path of the whole structure: the slots themselves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Root;

/// The path `P` followed by field `I` of the tuple found there.
pub struct Step<P, const I: usize>(PhantomData<fn() -> P>);

impl<P, const I: usize> fmt::Debug for Step<P, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Step<{}, {I}>", core::any::type_name::<P>())
    }
}

/// What a leaf `L` at the path `P` becomes under the leaf kind `Self`, with
/// the slot that collects what comes back for it (a gradient), and what that
/// slot finally gives. The kind is a value handed down the walk, so it may
/// carry settings (a learning rate).
pub trait TraceLeaf<L, P>: Sized {
    /// The traced leaf.
    type Traced;
    /// Its slot.
    type Slot;
    /// What the filled slot gives.
    type Grad;

    /// The traced leaf and its empty slot.
    fn trace(&self, leaf: L) -> (Self::Traced, Self::Slot);

    /// What the filled slot gives.
    fn grad(slot: Self::Slot) -> Self::Grad;
}

/// A structure traced under the leaf kind `K`, its leaves at slots below the
/// path `P`: the same structure with each leaf traced ([`Traced`](Self::Traced)),
/// slots in its shape ([`Slots`](Self::Slots)), and, from filled slots, the
/// structure once more ([`Grads`](Self::Grads): a gradient of the model's own
/// type).
///
/// Implemented for tensors, references (the value is cloned), `Option`s
/// (an absent bias stays absent), tuples of up to 16, `Vec`s (element by
/// element, see [`Elements`]), `f32` and `f64`, the activations, and, by
/// `#[derive(Functor)]`, structs whose children are bare type parameters.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be traced: its parts cannot take traced values",
    label = "cannot be traced",
    note = "`#[derive(Functor)]` makes a struct traceable when each of its children has a bare \
            type parameter as its type (`struct Affine<W, B> {{ w: W, b: B }}`); for a struct \
            with concrete field types, differentiate with respect to `fields(&model)` instead; a \
            closure in a model is wrapped in typeflux-nn's `Lambda`"
)]
pub trait Trace<K, P = Root>: Sized {
    /// The structure with each leaf traced.
    type Traced;
    /// The slots, in the structure's shape.
    type Slots;
    /// The structure rebuilt from the filled slots.
    type Grads;

    /// The traced structure and its empty slots, each leaf traced by `kind`.
    fn trace(self, kind: &K) -> (Self::Traced, Self::Slots);

    /// The structure from the filled slots.
    fn grads(slots: Self::Slots) -> Self::Grads;
}

impl<K, P, S: Shape, E: Element, D: Device> Trace<K, P> for Tensor<S, E, D>
where
    K: TraceLeaf<Tensor<S, E, D>, P>,
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

/// A structure borrowed mutably, traced under the leaf kind `K` below the
/// path `P`: what [`Trace`] is for `&'a mut Self`. Each tensor is handed to
/// the leaf kind as a mutable reference (a step of descent updates it
/// through its slot), and the traced structure holds what the kind makes of
/// it.
///
/// `&mut T` is [`Trace`] through this trait alone, so that a structure
/// whose type is still being inferred is not taken apart by every impl in
/// turn.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be traced in place: its parts cannot take traced values",
    label = "cannot be traced in place",
    note = "`#[derive(Functor)]` makes a struct traceable when each of its children has a bare \
            type parameter as its type; a closure in a model is wrapped in typeflux-nn's `Lambda`"
)]
pub trait TraceMut<'a, K, P = Root>: 'a {
    /// The structure with each leaf traced.
    type Traced;
    /// The slots, in the structure's shape.
    type Slots;
    /// The structure rebuilt from the filled slots.
    type Grads;

    /// The traced structure and its slots, each leaf traced by `kind`.
    fn trace_mut(&'a mut self, kind: &K) -> (Self::Traced, Self::Slots);

    /// The structure from the filled slots.
    fn grads(slots: Self::Slots) -> Self::Grads;
}

impl<'a, K, P, T: TraceMut<'a, K, P>> Trace<K, P> for &'a mut T {
    type Traced = T::Traced;
    type Slots = T::Slots;
    type Grads = T::Grads;

    #[inline]
    fn trace(self, kind: &K) -> (T::Traced, T::Slots) {
        self.trace_mut(kind)
    }

    #[inline]
    fn grads(slots: T::Slots) -> T::Grads {
        T::grads(slots)
    }
}

/// A tensor borrowed mutably: what the leaf kind makes of the reference.
impl<'a, K, P, S: Shape, E: Element, D: Device> TraceMut<'a, K, P> for Tensor<S, E, D>
where
    K: TraceLeaf<&'a mut Tensor<S, E, D>, P>,
{
    type Traced = K::Traced;
    type Slots = K::Slot;
    type Grads = K::Grad;

    #[inline]
    fn trace_mut(&'a mut self, kind: &K) -> (K::Traced, K::Slot) {
        kind.trace(self)
    }

    #[inline]
    fn grads(slots: K::Slot) -> K::Grad {
        K::grad(slots)
    }
}

/// A borrowed structure is cloned, then traced: the caller keeps its own.
impl<K, P, T: Trace<K, P> + Clone> Trace<K, P> for &T {
    type Traced = T::Traced;
    type Slots = T::Slots;
    type Grads = T::Grads;

    #[inline]
    fn trace(self, kind: &K) -> (T::Traced, T::Slots) {
        self.clone().trace(kind)
    }

    #[inline]
    fn grads(slots: T::Slots) -> T::Grads {
        T::grads(slots)
    }
}

macro_rules! scalar_trace {
    ($($f:ty),*) => {$(
        /// A number, traced as a scalar tensor on the CPU; it comes back as
        /// a number.
        impl<K, P> Trace<K, P> for $f
        where
            K: TraceLeaf<Tensor<(), $f, crate::Cpu>, P, Grad = Tensor<(), $f, crate::Cpu>>,
        {
            type Traced = K::Traced;
            type Slots = K::Slot;
            type Grads = $f;

            #[inline]
            fn trace(self, kind: &K) -> (K::Traced, K::Slot) {
                kind.trace(Tensor::scalar(self))
            }

            #[inline]
            fn grads(slots: K::Slot) -> $f {
                K::grad(slots).item()
            }
        }
    )*};
}

scalar_trace!(f32, f64);

/// A present value is traced below the path `Step<P, 0>`; an absent one
/// (a layer without a bias) stays absent, and so does its gradient.
impl<K, P, X: Trace<K, Step<P, 0>>> Trace<K, P> for Option<X> {
    type Traced = Option<X::Traced>;
    type Slots = Option<X::Slots>;
    type Grads = Option<X::Grads>;

    #[inline]
    fn trace(self, kind: &K) -> (Self::Traced, Self::Slots) {
        match self.map(|x| x.trace(kind)) {
            Some((traced, slots)) => (Some(traced), Some(slots)),
            None => (None, None),
        }
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        slots.map(X::grads)
    }
}

/// An `Option` borrowed mutably: its value, if present, borrowed mutably.
impl<'a, K, P, X: TraceMut<'a, K, Step<P, 0>>> TraceMut<'a, K, P> for Option<X> {
    type Traced = Option<X::Traced>;
    type Slots = Option<X::Slots>;
    type Grads = Option<X::Grads>;

    #[inline]
    fn trace_mut(&'a mut self, kind: &K) -> (Self::Traced, Self::Slots) {
        match self.as_mut().map(|x| x.trace_mut(kind)) {
            Some((traced, slots)) => (Some(traced), Some(slots)),
            None => (None, None),
        }
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        slots.map(X::grads)
    }
}

macro_rules! tuple_trace {
    ($(($($X:ident $i:tt),+);)+) => {$(
        impl<K, P, $($X: Trace<K, Step<P, $i>>),+> Trace<K, P> for ($($X,)+) {
            type Traced = ($($X::Traced,)+);
            type Slots = ($($X::Slots,)+);
            type Grads = ($($X::Grads,)+);

            #[inline]
            fn trace(self, kind: &K) -> (Self::Traced, Self::Slots) {
                let parts = ($(self.$i.trace(kind),)+);
                (($(parts.$i.0,)+), ($(parts.$i.1,)+))
            }

            #[inline]
            fn grads(slots: Self::Slots) -> Self::Grads {
                ($($X::grads(slots.$i),)+)
            }
        }

        /// A tuple borrowed mutably: each element borrowed mutably.
        impl<'a, K, P, $($X: TraceMut<'a, K, Step<P, $i>>),+> TraceMut<'a, K, P> for ($($X,)+) {
            type Traced = ($($X::Traced,)+);
            type Slots = ($($X::Slots,)+);
            type Grads = ($($X::Grads,)+);

            #[inline]
            fn trace_mut(&'a mut self, kind: &K) -> (Self::Traced, Self::Slots) {
                let parts = ($(self.$i.trace_mut(kind),)+);
                (($(parts.$i.0,)+), ($(parts.$i.1,)+))
            }

            #[inline]
            fn grads(slots: Self::Slots) -> Self::Grads {
                ($($X::grads(slots.$i),)+)
            }
        }
    )+};
}

tuple_trace! {
    (A 0);
    (A 0, B 1);
    (A 0, B 1, C 2);
    (A 0, B 1, C 2, D 3);
    (A 0, B 1, C 2, D 3, E 4);
    (A 0, B 1, C 2, D 3, E 4, F 5);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, L 10);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, L 10, M 11);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, L 10, M 11, N 12);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, L 10, M 11, N 12, O 13);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, L 10, M 11, N 12, O 13, Q 14);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, L 10, M 11, N 12, O 13, Q 14, R 15);
}

/// The elements of a `Vec`, each traced below a [`Root`] of its own: the
/// elements share one type, so a path that is a type cannot tell them
/// apart. Their slots are a `Vec` at the path `P`, and the `i`-th element's
/// leaves find theirs in its `i`-th entry, which whoever runs their
/// backward passes hands them (typeflux-nn's `Chain` over a `Vec` of
/// layers does).
pub struct Elements<T, P> {
    /// The traced elements, in order.
    pub items: Vec<T>,
    path: PhantomData<fn() -> P>,
}

impl<T, P> Elements<T, P> {
    /// The traced elements `items`, whose slots are at `P`.
    #[inline]
    pub fn new(items: Vec<T>) -> Self {
        Elements {
            items,
            path: PhantomData,
        }
    }
}

impl<T: Clone, P> Clone for Elements<T, P> {
    fn clone(&self) -> Self {
        Elements::new(self.items.clone())
    }
}

impl<T: fmt::Debug, P> fmt::Debug for Elements<T, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Elements").field(&self.items).finish()
    }
}

/// A `Vec` is traced element by element, each into slots of its own (see
/// [`Elements`]); its gradient is the `Vec` of the elements' gradients.
impl<K, P, T: Trace<K, Root>> Trace<K, P> for Vec<T> {
    type Traced = Elements<T::Traced, P>;
    type Slots = Vec<T::Slots>;
    type Grads = Vec<T::Grads>;

    #[inline]
    fn trace(self, kind: &K) -> (Self::Traced, Self::Slots) {
        let (traced, slots) = self.into_iter().map(|x| x.trace(kind)).unzip();
        (Elements::new(traced), slots)
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        slots.into_iter().map(T::grads).collect()
    }
}

/// A `Vec` borrowed mutably: each element borrowed mutably, into slots of
/// its own.
impl<'a, K, P, T: TraceMut<'a, K, Root>> TraceMut<'a, K, P> for Vec<T> {
    type Traced = Elements<T::Traced, P>;
    type Slots = Vec<T::Slots>;
    type Grads = Vec<T::Grads>;

    #[inline]
    fn trace_mut(&'a mut self, kind: &K) -> (Self::Traced, Self::Slots) {
        let (traced, slots) = self.iter_mut().map(|x| x.trace_mut(kind)).unzip();
        (Elements::new(traced), slots)
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        slots.into_iter().map(T::grads).collect()
    }
}
