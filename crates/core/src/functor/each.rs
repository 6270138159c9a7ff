//! `fmap` with a closure: the closure's argument type picks the leaves.

use super::leaf::Leaf;
use super::path::Path;
use super::visitor::Mapper;
use crate::{Element, Kernels, Shape, Tensor};
use core::any::Any;
use core::marker::PhantomData;

/// The [`Mapper`] behind [`fmap`](super::fmap): applies `f` to every leaf of
/// type `A` and returns the others as they were.
pub(super) struct Each<A, F> {
    f: F,
    arg: PhantomData<fn(A) -> A>,
}

impl<A: 'static, F: FnMut(A) -> A> Each<A, F> {
    pub(super) fn new(f: F) -> Self {
        Each {
            f,
            arg: PhantomData,
        }
    }

    /// `f(x)` when `X` is `A`, else `x`. Which branch runs depends only on the
    /// types, so once monomorphised the type check folds to a constant.
    fn apply<X: 'static>(&mut self, x: X) -> X {
        match cast::<X, A>(x) {
            Ok(a) => cast::<A, X>((self.f)(a)).unwrap_or_else(|_| unreachable!("X is A")),
            Err(x) => x,
        }
    }
}

impl<A: 'static, F: FnMut(A) -> A> Mapper for Each<A, F> {
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        tensor: Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        self.apply(tensor)
    }

    fn leaf<L: Leaf>(&mut self, _: &Path, leaf: L) -> L {
        self.apply(leaf)
    }
}

/// `x` as a `U` when `T` and `U` are one type; `x` back otherwise.
pub(super) fn cast<T: 'static, U: 'static>(x: T) -> Result<U, T> {
    let mut slot = Some(x);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<U>>() {
        Some(u) => Ok(u.take().expect("the slot was just filled")),
        None => Err(slot.expect("the slot was not touched")),
    }
}
