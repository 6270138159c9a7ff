//! Tied nodes: one layer or tensor reachable from several places in a
//! model, Functors.jl's shared arrays, made explicit.

use super::access::{Access, Of};
use super::path::Path;
use super::trace::{Step, Trace};
use super::visitor::{Mapper, Visitor};
use super::{Functor, Mut, Rebuild, Ref};
use crate::{Element, Kernels, Shape, Tensor};
use core::any::Any;
use core::cell::RefCell;
use core::fmt;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

/// One value, a layer or a tensor, held at several places of a model: the
/// places share it, as Functors.jl's walks share an array that a model
/// reaches twice (`Chain(m, m)`, a shared embedding).
///
/// `Tied::new(x)` makes the first handle and [`clone`](Clone::clone) makes
/// another to the same value, so a tie is written where the model is built:
///
/// ```
/// use typeflux_core::functor::{Tied, named_tensors};
/// use typeflux_core::prelude::*;
///
/// let shared = Tied::new(Matrix::<2, 2>::ones());
/// let model = (shared.clone(), shared);
/// assert!(Tied::ptr_eq(&model.0, &model.1));
/// // A walk meets the tied tensor once, under its first path.
/// let tensors = named_tensors::<f32>(&model);
/// assert_eq!(tensors.len(), 1);
/// assert_eq!(tensors[0].name, "0");
/// ```
///
/// Every walk of typeflux treats the value as one node of the tree, seen
/// once, at the first path that reaches it:
/// - [`fmap`](super::fmap) maps it once, and the result holds one new
///   handle at every place the old one was: the tie is kept, and the value
///   the old handles share is left as it was.
/// - a [`Visitor`] is called at its leaves once, so a weight file stores
///   it once, a parameter count counts it once, and an optimiser (which
///   walks the model, its gradient and its state side by side) updates it
///   once with one state.
/// - the gradient of a model with a tie (typeflux-ad's `gradient`) holds
///   one gradient for it, in one handle at all its places: the sum of the
///   gradients of its uses.
///
/// Why a handle, and not identity of the data as in Julia: typeflux tensors
/// are values, and only large heap buffers are shared between clones, so a
/// tie by buffer would tie large tensors and silently untie small ones. A
/// tie made with `Tied` holds for any size, and a model without one has
/// none.
///
/// The handle is an `Arc` of a lock, so a tied model can be sent to another
/// thread. Reading or changing the value goes through [`read`](Tied::read)
/// and [`write`](Tied::write); a walk that holds a tied node in two places
/// at once, one of them mutably (a model walked beside a shallow `clone` of
/// itself), panics rather than wait forever. [`deep_clone`] copies a model
/// with ties into one that shares nothing with it.
///
/// A tied value does not move to another device or element type
/// (`ToDevice` and `ToElement` copy place by place, which would untie it,
/// so they are not implemented for it): tie a layer after moving it.
pub struct Tied<T>(Arc<RwLock<T>>);

impl<T> Tied<T> {
    /// A new tie holding `value`; clone the handle for every further place.
    pub fn new(value: T) -> Self {
        Tied(Arc::new(RwLock::new(value)))
    }

    /// Borrows the value.
    ///
    /// # Panics
    /// While the value is borrowed mutably.
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        match self.0.try_read() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => panic!("{}", BORROWED),
        }
    }

    /// Borrows the value mutably: what is changed is seen at every place.
    ///
    /// # Panics
    /// While the value is borrowed.
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        match self.0.try_write() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => panic!("{}", BORROWED),
        }
    }

    /// Whether `a` and `b` are handles to one value.
    pub fn ptr_eq(a: &Tied<T>, b: &Tied<T>) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// How many handles share the value.
    pub fn places(&self) -> usize {
        Arc::strong_count(&self.0)
    }

    /// The value, when this is its last handle; the handle back otherwise.
    pub fn try_into_inner(self) -> Result<T, Self> {
        Arc::try_unwrap(self.0)
            .map(|lock| lock.into_inner().unwrap_or_else(|p| p.into_inner()))
            .map_err(Tied)
    }

    /// The value's identity: the address it is kept at, which no other
    /// value has while a handle lives.
    fn id(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
}

const BORROWED: &str = "a tied value is borrowed already: a walk holds it in two places at once \
                        (a model walked beside a `clone` of itself shares its tied nodes; \
                        `deep_clone` copies it without sharing)";

/// Another handle to the same value: the clone is tied to the original.
impl<T> Clone for Tied<T> {
    fn clone(&self) -> Self {
        Tied(Arc::clone(&self.0))
    }
}

impl<T: fmt::Debug> fmt::Debug for Tied<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.try_read() {
            Ok(value) => f.debug_tuple("Tied").field(&*value).finish(),
            Err(TryLockError::Poisoned(value)) => {
                f.debug_tuple("Tied").field(&*value.into_inner()).finish()
            }
            Err(TryLockError::WouldBlock) => f.write_str("Tied(<borrowed mutably>)"),
        }
    }
}

/// Shown as the value it holds, as Flux shows a layer it meets twice.
impl<T: fmt::Display> fmt::Display for Tied<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.read(), f)
    }
}

/// Handles are equal when their values are; two handles to one value are.
impl<T: PartialEq> PartialEq for Tied<T> {
    fn eq(&self, other: &Self) -> bool {
        Tied::ptr_eq(self, other) || *self.read() == *other.read()
    }
}

/// A tied node is one node of the tree: a walk steps into it at the first
/// path that reaches it and passes it over at the others; [`fmap`](super::fmap)
/// maps it once and puts the one new handle at every place.
///
/// Its children are not given out by [`Functor::into_children`] (they are
/// shared, not owned): it is its own rest.
impl<T: Functor + Clone + 'static> Functor for Tied<T> {
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

    fn walk<V: Visitor + ?Sized>(this: Of<'_, V::Access, Self>, path: &mut Path, visitor: &mut V) {
        let id = V::Access::first(&this, Tied::id);
        if path.ties.first_visit(id) {
            V::Access::enter(this, |inner| T::walk(inner, path, visitor));
        }
    }

    fn map_leaves<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self {
        if let Some(done) = path.ties.mapped::<T>(self.id()) {
            return done;
        }
        let inner = self.read().clone();
        let mapped = Tied::new(inner.map_leaves(path, mapper));
        path.ties.record(self, mapped.clone());
        mapped
    }
}

impl<T: Functor + Clone + 'static> Rebuild<()> for Tied<T> {
    type Output = Self;

    #[inline]
    fn rebuild(rest: Self, (): ()) -> Self {
        rest
    }
}

/// The tied nodes a walk has passed, kept in its [`Path`] by identity,
/// and for a walk by value the old handle and the new one of each, so that
/// every place of a tie gets the same new one. Holding the old handle
/// until the walk ends keeps its address from naming another node while
/// the walk lasts.
#[derive(Clone, Default)]
pub(super) struct Passed(HashMap<usize, Option<Rc<dyn Any>>>);

impl Passed {
    /// Whether the node `id` is met for the first time; it is then marked.
    fn first_visit(&mut self, id: usize) -> bool {
        self.0.insert(id, None).is_none()
    }

    /// The new handle made for the node `id`, if it was met.
    fn mapped<T: 'static>(&self, id: usize) -> Option<Tied<T>> {
        let done = self.0.get(&id)?;
        let (_, new) = done
            .as_ref()
            .and_then(|done| done.downcast_ref::<(Tied<T>, Tied<T>)>())
            .expect("a tied node is met by walks of one kind, its handles have one type");
        Some(new.clone())
    }

    /// Records `new` as what the node `old` became.
    fn record<T: 'static>(&mut self, old: Tied<T>, new: Tied<T>) {
        self.0.insert(old.id(), Some(Rc::new((old, new))));
    }
}

impl fmt::Debug for Passed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} tied nodes passed", self.0.len())
    }
}

/// A copy of `x` that shares no tied node with it, and whose tied nodes
/// are tied as those of `x` are: Julia's `deepcopy` of a model. `clone`
/// gives another handle to each tied node instead, so that a change made
/// through the copy shows in `x`.
///
/// ```
/// use typeflux_core::functor::{Tied, deep_clone};
/// use typeflux_core::prelude::*;
///
/// let shared = Tied::new(Vector::<2>::zeros());
/// let model = (shared.clone(), shared);
/// let copy = deep_clone(&model);
/// assert!(Tied::ptr_eq(&copy.0, &copy.1));
/// assert!(!Tied::ptr_eq(&copy.0, &model.0));
/// ```
pub fn deep_clone<T: Functor + Clone>(x: &T) -> T {
    /// Changes nothing: a walk by value rebuilds every tied node.
    struct Keep;
    impl Mapper for Keep {}
    super::fmap_with(&mut Keep, x.clone())
}

/// A leaf kind of [`Trace`] that keeps ties: it holds, for one trace, what
/// the places of each tied node share (typeflux-ad's reverse mode holds
/// one gradient per tie). Create one per trace.
pub trait TraceTies {
    /// The ties of this trace.
    fn ties(&self) -> &TieTable;
}

/// What the places of each tied node share during one trace, by the
/// node's identity; [`TraceTies`] gives it.
#[derive(Default)]
pub struct TieTable(RefCell<HashMap<usize, Rc<dyn Any>>>);

impl fmt::Debug for TieTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TieTable({} ties)", self.0.borrow().len())
    }
}

impl TieTable {
    /// The gradient slot shared by the places of `node`: made at the first
    /// place traced, found at the others. The entry keeps `node` alive, so
    /// that its address names it until the trace ends.
    fn slot<T: 'static, G: 'static>(&self, node: &Tied<T>) -> Rc<TiedSlot<G>> {
        let mut table = self.0.borrow_mut();
        let entry = table.entry(node.id()).or_insert_with(|| {
            let slot: Rc<TiedSlot<G>> = Rc::new(TiedSlot(RefCell::new(None)));
            Rc::new((node.clone(), slot))
        });
        let (_, slot) = entry
            .downcast_ref::<(Tied<T>, Rc<TiedSlot<G>>)>()
            .expect("the places of a tied node trace to one gradient type");
        Rc::clone(slot)
    }
}

/// Where the gradients of the places of one tied node meet: the first to
/// come is kept in a new tied handle, and each later one is added to it.
pub struct TiedSlot<G>(RefCell<Option<Tied<G>>>);

impl<G: Functor + 'static> TiedSlot<G> {
    /// Adds the gradient of one place; the handle every place returns.
    ///
    /// A tie inside the tied value has the same gradient handle in every
    /// place's gradient, which already holds its sum over all its places:
    /// a first walk over `grad` marks those as passed, so that the adding
    /// walk passes them over.
    fn add(&self, grad: G) -> Tied<G> {
        let mut sum = self.0.borrow_mut();
        match &*sum {
            Some(sum) => {
                let mut path = Path::new();
                G::walk(&grad, &mut path, &mut Pass);
                G::walk((&mut *sum.write(), &grad), &mut path, &mut Add);
                sum.clone()
            }
            None => {
                let tied = Tied::new(grad);
                *sum = Some(tied.clone());
                tied
            }
        }
    }
}

impl<G> fmt::Debug for TiedSlot<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TiedSlot")
    }
}

/// Does nothing: a walk that only marks the tied nodes it passes.
struct Pass;

impl Visitor for Pass {
    type Access = Ref;
}

/// `sum += grad` at every tensor: what adds one place's gradient to a tie's.
struct Add;

impl Visitor for Add {
    type Access = (Mut, Ref);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (sum, grad): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        *sum += grad;
    }
}

/// A tied node traced by a leaf kind that keeps ties: every place is traced
/// as the value it holds (so a traced model uses it as it uses the value),
/// each with slots of its own, and the gradient that comes back is one
/// tied handle at every place, holding the sum of the places' gradients.
/// The places' gradients add as the gradients of a value used twice add;
/// the sum is formed once the backward pass is over.
impl<K: TraceTies, P, T> Trace<K, P> for Tied<T>
where
    T: Trace<K, Step<P, 0>> + Clone + 'static,
    T::Grads: Functor + 'static,
{
    type Traced = T::Traced;
    type Slots = (T::Slots, Rc<TiedSlot<T::Grads>>);
    type Grads = Tied<T::Grads>;

    fn trace(self, kind: &K) -> (Self::Traced, Self::Slots) {
        let shared = kind.ties().slot::<T, T::Grads>(&self);
        let value = self.read().clone();
        let (traced, slots) = value.trace(kind);
        (traced, (slots, shared))
    }

    fn grads((slots, shared): Self::Slots) -> Tied<T::Grads> {
        shared.add(T::grads(slots))
    }
}
