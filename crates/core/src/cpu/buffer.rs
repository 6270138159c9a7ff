//! CPU storage: small tensors inline, large ones in a shared heap block that
//! is copied only when written while shared.

use crate::cpu::cache;
use crate::element::Element;
use core::fmt;
use core::ops::{Deref, DerefMut};
use smallvec::{Array, SmallVec};
use std::sync::Arc;

/// The elements of a CPU tensor, column-major.
///
/// Up to `E::Inline` elements (64 `f32`, 32 `f64`) are stored inline and
/// never allocate. A larger buffer lives in one heap block with a reference
/// count: cloning it (and so cloning a large tensor) shares the block instead
/// of copying it, and writing through a shared buffer first copies it, so
/// every tensor still behaves as a value of its own. That makes it free to
/// trace a borrowed input (`gradient(f, &x)`) or to keep a large activation
/// for the backward pass, while kernels that write in place ask
/// [`is_shared`](Self::is_shared) and write a fresh buffer instead of
/// copying and then overwriting one.
///
/// ```
/// use typeflux_core::prelude::*;
///
/// let x = Vector::<1000>::ones();
/// let mut y = x.clone();            // shares x's elements
/// assert!(y.buffer().is_shared());
/// y.as_mut_slice()[0] = 2.0;        // copies them first
/// assert!(!y.buffer().is_shared());
/// assert_eq!((x[0], y[0]), (1.0, 2.0));
/// ```
pub struct CpuBuffer<E: Element>(Repr<E>);

enum Repr<E: Element> {
    /// At most `E::Inline`'s length of elements, never spilled to the heap.
    Inline(SmallVec<E::Inline>),
    /// A heap block that clones share.
    Heap(Arc<Vec<E>>),
}

impl<E: Element> CpuBuffer<E> {
    /// How many elements are stored inline.
    #[inline(always)]
    pub fn inline_capacity() -> usize {
        <E::Inline as Array>::size()
    }

    /// `len` copies of `value`.
    #[inline]
    pub fn from_elem(value: E, len: usize) -> Self {
        if len <= Self::inline_capacity() {
            CpuBuffer(Repr::Inline(SmallVec::from_elem(value, len)))
        } else {
            let mut data = cache::take(len);
            data.resize(len, value);
            CpuBuffer(Repr::Heap(Arc::new(data)))
        }
    }

    /// A copy of `data`.
    #[inline]
    pub fn from_slice(data: &[E]) -> Self {
        if data.len() <= Self::inline_capacity() {
            CpuBuffer(Repr::Inline(SmallVec::from_slice(data)))
        } else {
            let mut copy = cache::take(data.len());
            copy.extend_from_slice(data);
            CpuBuffer(Repr::Heap(Arc::new(copy)))
        }
    }

    /// Takes over `data`: a large `Vec` without copying, a small one moved
    /// inline.
    #[inline]
    pub fn from_vec(data: Vec<E>) -> Self {
        if data.len() <= Self::inline_capacity() {
            CpuBuffer(Repr::Inline(SmallVec::from_slice(&data)))
        } else {
            CpuBuffer(Repr::Heap(Arc::new(data)))
        }
    }

    /// Collects an exact-size iterator: inline when it fits, otherwise into a
    /// heap block from the [`cache`].
    #[inline(always)]
    pub fn from_exact_iter<I: ExactSizeIterator<Item = E>>(iter: I) -> Self {
        if iter.len() <= Self::inline_capacity() {
            CpuBuffer(Repr::Inline(iter.collect()))
        } else {
            let mut data = cache::take(iter.len());
            data.extend(iter);
            CpuBuffer(Repr::Heap(Arc::new(data)))
        }
    }

    /// Whether another buffer shares these elements, so that writing to this
    /// one would copy them first.
    #[inline(always)]
    pub fn is_shared(&self) -> bool {
        match &self.0 {
            Repr::Inline(_) => false,
            Repr::Heap(h) => Arc::strong_count(h) > 1,
        }
    }
}

impl<E: Element> Deref for CpuBuffer<E> {
    type Target = [E];

    #[inline(always)]
    fn deref(&self) -> &[E] {
        match &self.0 {
            Repr::Inline(s) => s,
            Repr::Heap(h) => h,
        }
    }
}

impl<E: Element> DerefMut for CpuBuffer<E> {
    /// The elements, mutably; a shared heap block is copied first.
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [E] {
        match &mut self.0 {
            Repr::Inline(s) => s,
            Repr::Heap(h) => Arc::make_mut(h).as_mut_slice(),
        }
    }
}

impl<E: Element> Clone for CpuBuffer<E> {
    /// An inline buffer is copied in one block; a heap block is shared.
    #[inline]
    fn clone(&self) -> Self {
        match &self.0 {
            Repr::Inline(s) => CpuBuffer(Repr::Inline(SmallVec::from_slice(s))),
            Repr::Heap(h) => CpuBuffer(Repr::Heap(Arc::clone(h))),
        }
    }
}

impl<E: Element> Drop for CpuBuffer<E> {
    /// The last buffer using a heap block returns it to the [`cache`].
    #[inline]
    fn drop(&mut self) {
        if let Repr::Heap(h) = &mut self.0
            && let Some(data) = Arc::get_mut(h)
        {
            cache::give(core::mem::take(data));
        }
    }
}

impl<E: Element> fmt::Debug for CpuBuffer<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<E: Element> FromIterator<E> for CpuBuffer<E> {
    fn from_iter<I: IntoIterator<Item = E>>(iter: I) -> Self {
        let v: SmallVec<E::Inline> = iter.into_iter().collect();
        if v.spilled() {
            CpuBuffer(Repr::Heap(Arc::new(v.into_vec())))
        } else {
            CpuBuffer(Repr::Inline(v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_buffers_are_inline_and_large_ones_shared_until_written() {
        let small = CpuBuffer::from_elem(1.0f32, 64);
        assert!(matches!(small.0, Repr::Inline(_)));
        let big = CpuBuffer::from_elem(1.0f32, 65);
        let mut copy = big.clone();
        assert!(big.is_shared() && copy.is_shared());
        copy[64] = 2.0;
        assert!(!big.is_shared() && !copy.is_shared());
        assert_eq!((big[64], copy[64]), (1.0, 2.0));
        assert_eq!(copy.len(), 65);
    }

    #[test]
    fn collecting_chooses_by_length() {
        let small: CpuBuffer<f64> = (0..32).map(f64::from).collect();
        assert!(matches!(small.0, Repr::Inline(_)));
        let big: CpuBuffer<f64> = (0..33).map(f64::from).collect();
        assert!(matches!(big.0, Repr::Heap(_)));
        assert_eq!(big.iter().sum::<f64>(), 528.0);
        let exact = CpuBuffer::from_exact_iter((0..100).map(|i| i as f32));
        assert_eq!(&exact[98..], &[98.0, 99.0]);
        assert_eq!(CpuBuffer::from_vec(vec![1.0f32; 3]).len(), 3);
    }
}
