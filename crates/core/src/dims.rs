//! Dimensions: sizes known at compile time (`Const<N>`) or at run time (`usize`).

use crate::cpu::{ArrayBuffer, CpuBuffer, HostBuffer};
use crate::element::Element;
use core::fmt::Debug;

/// One axis of a shape.
///
/// A static size is the type `Const<N>`; a size known only at run time (the batch
/// axis, as a data loader delivers it) is a plain `usize`. This one trait carries
/// the whole static/dynamic story, so every operation is written once.
pub trait Dim: Copy + Debug + Eq + Send + Sync + 'static {
    /// The size, when the type alone fixes it.
    const STATIC: Option<usize>;

    /// The size of this axis.
    fn size(&self) -> usize;

    /// The dim of a given size, or `None` when the type fixes another size.
    fn from_size(size: usize) -> Option<Self>;

    /// Storage of a vector `(Self,)` on the [`Stack`](crate::cpu::Stack)
    /// device: an array for a static size, a heap buffer otherwise.
    #[doc(hidden)]
    type StackVector<E: Element>: HostBuffer<E>;
    /// Storage of a matrix `(Self, D1)` on the `Stack` device.
    #[doc(hidden)]
    type StackMatrix<D1: Dim, E: Element>: HostBuffer<E>;
    /// Storage of a matrix `(Const<R>, Self)` on the `Stack` device.
    #[doc(hidden)]
    type StackColumns<const R: usize, E: Element>: HostBuffer<E>;
}

/// A dimension whose size `N` is part of the type.
///
/// ```
/// use typeflux_core::{Const, Dim};
/// assert_eq!(Const::<784>.size(), 784);
/// assert_eq!(<Const<3> as Dim>::from_size(4), None);
/// ```
///
/// Compiler messages call it `typeflux::Const<5>`, with its path: rustc
/// drops a path only when no other public item of that name can be
/// reached, and the standard library has one (`core::mem::type_info::Const`),
/// as has nalgebra.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Const<const N: usize>;

impl<const N: usize> Dim for Const<N> {
    const STATIC: Option<usize> = Some(N);
    type StackVector<E: Element> = ArrayBuffer<E, N, 1>;
    type StackMatrix<D1: Dim, E: Element> = D1::StackColumns<N, E>;
    type StackColumns<const R: usize, E: Element> = ArrayBuffer<E, R, N>;

    #[inline(always)]
    fn size(&self) -> usize {
        N
    }

    #[inline]
    fn from_size(size: usize) -> Option<Self> {
        (size == N).then_some(Const)
    }
}

impl Dim for usize {
    const STATIC: Option<usize> = None;
    type StackVector<E: Element> = CpuBuffer<E>;
    type StackMatrix<D1: Dim, E: Element> = CpuBuffer<E>;
    type StackColumns<const R: usize, E: Element> = CpuBuffer<E>;

    #[inline(always)]
    fn size(&self) -> usize {
        *self
    }

    #[inline]
    fn from_size(size: usize) -> Option<Self> {
        Some(size)
    }
}

/// A dimension fixed by its type: `Const<N>`.
pub trait ConstDim: Dim + Default {
    /// The size.
    const SIZE: usize;
}

impl<const N: usize> ConstDim for Const<N> {
    const SIZE: usize = N;
}

/// The typenum number equal to a `Const<N>`, so that shape arithmetic
/// (`A * B == C`, `A + B == C`) is proven by the type checker.
///
/// Available for `N` up to 1024 and for powers of two beyond (typenum's
/// `const-generics` mapping).
pub trait ToTypenum {
    /// The typenum unsigned integer.
    type Output: typenum::Unsigned;
}

impl<const N: usize> ToTypenum for Const<N>
where
    typenum::Const<N>: typenum::ToUInt,
    typenum::U<N>: typenum::Unsigned,
{
    type Output = typenum::U<N>;
}

/// The `Const<N>` equal to a typenum number: the way back from
/// [`ToTypenum`], for sizes the type checker computes (a convolution's
/// output width, a flattened image's feature count) and that the program
/// then names as a plain number, which compiler messages print in decimal.
///
/// Stable Rust cannot write this as one generic impl, so it is a table,
/// generated for every size from 0 to 2048 (the table costs the crate's
/// release build about 2.5 s; 4096 would cost 8).
///
/// ```
/// use typeflux_core::{Const, ToConst, ToTypenum};
/// fn back<N: ToConst>() -> N::Output { N::Output::default() }
/// let c: Const<784> = back::<<Const<784> as ToTypenum>::Output>();
/// assert_eq!(c, Const::<784>);
/// ```
#[diagnostic::on_unimplemented(
    message = "the size `{Self}` is larger than 2048, the largest a computed size may be",
    label = "computed here"
)]
pub trait ToConst: typenum::Unsigned {
    /// The dim.
    type Output: ConstDim;
}

mod table {
    use super::{Const, ToConst};
    use typenum::{B0, B1, UInt, UTerm};
    include!(concat!(env!("OUT_DIR"), "/to_const.rs"));
}
