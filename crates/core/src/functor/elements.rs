//! `fmap_elements`: a function of numbers applied inside every tensor,
//! whatever its shape.

use super::path::Path;
use super::visitor::Mapper;
use crate::{Element, Kernels, Shape, Tensor};
use core::any::{Any, TypeId};
use core::marker::PhantomData;

/// The [`Mapper`] behind [`fmap_elements`](super::fmap_elements): applies
/// `f` to every element of every tensor whose elements are `A`.
pub(super) struct Elements<A, F> {
    f: F,
    element: PhantomData<fn(A) -> A>,
}

impl<A: Element, F: FnMut(A) -> A> Elements<A, F> {
    pub(super) fn new(f: F) -> Self {
        Elements {
            f,
            element: PhantomData,
        }
    }
}

impl<A: Element, F: FnMut(A) -> A> Mapper for Elements<A, F> {
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        mut tensor: Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        // The type check folds to a constant for each `E`.
        if TypeId::of::<E>() != TypeId::of::<A>() {
            return tensor;
        }
        // A Rust function runs on the host, so the elements make a round trip
        // there (a copy on the CPU devices).
        let mut host = tensor.device.download::<S, E>(&tensor.data);
        let elements = (&mut host as &mut dyn Any)
            .downcast_mut::<Vec<A>>()
            .expect("the elements are `A`: their type ids are equal");
        elements.iter_mut().for_each(|x| *x = (self.f)(*x));
        tensor.data = tensor.device.upload::<S, E>(&host);
        tensor
    }
}
