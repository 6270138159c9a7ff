//! Tensors are the leaves that hold a model's parameters.

use super::access::Of;
use super::path::Path;
use super::visitor::{Mapper, Visitor};
use super::{Functor, Rebuild};
use crate::{Element, Kernels, Shape, Tensor};

/// A tensor is a leaf, as an array is in Flux: a walk calls the visitor's
/// [`tensor`](Visitor::tensor) method, generic over shape, element and device,
/// and does not step into the elements.
impl<S: Shape, E: Element, D: Kernels<E>> Functor for Tensor<S, E, D> {
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
        visitor.tensor::<S, E, D>(path, this);
    }

    #[inline]
    fn map_leaves<M: Mapper + ?Sized>(self, path: &mut Path, mapper: &mut M) -> Self {
        mapper.tensor(path, self)
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> Rebuild<()> for Tensor<S, E, D> {
    type Output = Self;

    #[inline]
    fn rebuild(rest: Self, (): ()) -> Self {
        rest
    }
}
