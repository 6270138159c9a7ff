//! State that a layer keeps but does not train, such as
//! [`BatchNorm`](crate::BatchNorm)'s running statistics.
//!
//! A [`State`] is a child of its layer, so it is walked with the model, but
//! a walk hands its tensor to the visitor's
//! [`state`](typeflux_core::functor::Visitor::state) method, not to
//! `tensor`: weight files save and load it, optimisers pass it over, and a
//! gradient does not trace it.
//!
//! A layer updates its state while it trains, in the forward pass. Inside
//! a gradient of the model, the traced copy of the model holds a
//! [`Recording`] in its place: what the forward pass sets there comes back
//! in the gradient, whose `State` fields hold the new values (or the old
//! ones, where none were set), and [`Optimiser::update`](crate::Optimiser::update)
//! (and so [`train`](crate::train())) stores them in the model. A model that
//! is not traced cannot change through the `&self` of a forward pass: its
//! `State` keeps its value.

use std::sync::{Arc, Mutex, PoisonError};
use typeflux_ad::reverse::{Descend, Reverse};
use typeflux_core::functor::{
    Access, Functor, Mapper, Mut, Of, Path, Rebuild, Ref, Trace, TraceLeaf, TraceMut, Visitor, walk,
};
use typeflux_core::jet::Lift;
use typeflux_core::{Device, Element, Kernels, Shape, Tensor, ToDevice};

/// A tensor a layer keeps but does not train: saved and loaded with the
/// model's weights, passed over by optimisers and gradients.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State<T>(pub T);

/// The state inside a traced model: it starts from the model's value, and
/// what a forward pass [`set`](Running::set)s comes back in the gradient.
/// Its clones share one value.
#[derive(Clone, Debug)]
pub struct Recording<T>(Arc<Mutex<T>>);

impl<T> Recording<T> {
    fn new(value: T) -> Self {
        Recording(Arc::new(Mutex::new(value)))
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // A value left by a panic elsewhere is still the last one set.
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Reading and setting a layer's state from its forward pass: the model's
/// own [`State`], which a forward pass cannot change, or the
/// [`Recording`] of a traced model, which keeps what is set.
pub trait Running<T> {
    /// The value now.
    fn get(&self) -> T;

    /// Sets the value, where it can be kept.
    fn set(&self, value: T);
}

impl<T: Clone> Running<T> for State<T> {
    #[inline]
    fn get(&self) -> T {
        self.0.clone()
    }

    /// Does nothing: a model that is not traced keeps its state.
    #[inline]
    fn set(&self, _: T) {}
}

impl<T: Clone> Running<T> for Recording<T> {
    #[inline]
    fn get(&self) -> T {
        self.with(|value| value.clone())
    }

    #[inline]
    fn set(&self, value: T) {
        self.with(|kept| *kept = value);
    }
}

/// A walk hands the tensor to the visitor's `state` method, under the
/// state's own path (`running_mean`, not `running_mean.0`). A mapper
/// (`fmap`) leaves it as it is.
impl<S: Shape, E: Element, D: Kernels<E>> Functor for State<Tensor<S, E, D>> {
    type Children = ();
    type ChildRefs<'a>
        = ()
    where
        Self: 'a;
    type Rest = Self;
    const NAMES: &'static [&'static str] = &[];

    #[inline]
    fn children(&self) {}

    #[inline]
    fn into_children(self) -> ((), Self) {
        ((), self)
    }

    #[inline]
    fn walk<V: Visitor + ?Sized>(this: Of<'_, V::Access, Self>, path: &mut Path, visitor: &mut V) {
        let tensor = <V::Access as Access>::project(this, |s| &s.0, |s| &mut s.0);
        visitor.state::<S, E, D>(path, tensor);
    }

    #[inline]
    fn map_leaves<M: Mapper + ?Sized>(self, _: &mut Path, _: &mut M) -> Self {
        self
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> Rebuild<()> for State<Tensor<S, E, D>> {
    type Output = Self;

    #[inline]
    fn rebuild(this: Self, (): ()) -> Self {
        this
    }
}

/// Traced for a gradient, the state is a [`Recording`], and the gradient
/// holds what was recorded.
impl<P, T: Clone> Trace<Reverse, P> for State<T> {
    type Traced = Recording<T>;
    type Slots = Recording<T>;
    type Grads = State<T>;

    #[inline]
    fn trace(self, _: &Reverse) -> (Recording<T>, Recording<T>) {
        let recording = Recording::new(self.0);
        (recording.clone(), recording)
    }

    #[inline]
    fn grads(recording: Recording<T>) -> State<T> {
        State(recording.get())
    }
}

/// A step of descent keeps no gradient to carry the state back in: the
/// traced model holds a copy, and the model's state stays as it is.
impl<'a, P, T: Clone + 'a> TraceMut<'a, Descend, P> for State<T> {
    type Traced = State<T>;
    type Slots = ();
    type Grads = ();

    #[inline]
    fn trace_mut(&'a mut self, _: &Descend) -> (State<T>, ()) {
        (self.clone(), ())
    }

    #[inline]
    fn grads((): ()) {}
}

/// Cast to a jet, the state is lifted with the parameters.
impl<P, S: Shape, E: Element, D: Device, J> Trace<Lift<J>, P> for State<Tensor<S, E, D>>
where
    Lift<J>: TraceLeaf<Tensor<S, E, D>, P, Slot = (), Grad = ()>,
{
    type Traced = State<<Lift<J> as TraceLeaf<Tensor<S, E, D>, P>>::Traced>;
    type Slots = ();
    type Grads = ();

    #[inline]
    fn trace(self, kind: &Lift<J>) -> (Self::Traced, ()) {
        (State(kind.trace(self.0).0), ())
    }

    #[inline]
    fn grads((): ()) {}
}

/// The state on another device.
impl<T: ToDevice<D2>, D2: Device> ToDevice<D2> for State<T> {
    type Output = State<T::Output>;

    #[inline]
    fn to_device(&self, device: &D2) -> Self::Output {
        State(self.0.to_device(device))
    }
}

/// The state in another precision.
impl<T: typeflux_core::ToElement<E2>, E2> typeflux_core::ToElement<E2> for State<T> {
    type Output = State<T::Output>;

    #[inline]
    fn to_element(&self) -> Self::Output {
        State(self.0.to_element())
    }
}

/// Sets the state of `model` to that of `grad`: what a traced forward pass
/// recorded, as [`Optimiser::update`](crate::Optimiser::update) takes it.
pub(crate) fn take_state<M: Functor>(model: &mut M, grad: &M) {
    walk::<M, _>((model, grad), &mut TakeState);
}

/// The walk behind [`take_state`].
struct TakeState;

impl Visitor for TakeState {
    type Access = (Mut, Ref);

    fn state<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (kept, recorded): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        kept.clone_from(recorded);
    }
}
