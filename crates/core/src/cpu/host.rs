//! Host memory: the buffer interface both CPU devices compute on, the
//! fixed-size buffer of the [`Stack`] device, and [`Host`], the devices whose
//! elements a program can address directly.

use crate::cpu::CpuBuffer;
use crate::device::Device;
use crate::element::Element;
use crate::shape::Shape;
use core::fmt;
use core::mem::MaybeUninit;
use core::ops::{Deref, DerefMut};

/// Elements in host memory, column-major, that the CPU kernels read as a
/// slice and build from iterators.
///
/// Implemented by [`CpuBuffer`] (any length) and by [`ArrayBuffer`] (a length
/// fixed by its type).
pub trait HostBuffer<E: Element>:
    Deref<Target = [E]> + DerefMut + Clone + fmt::Debug + Send + Sync + 'static
{
    /// `len` copies of `value`.
    fn from_elem(value: E, len: usize) -> Self;

    /// A copy of `data`.
    fn from_slice(data: &[E]) -> Self;

    /// The elements of an iterator that knows its length.
    fn from_exact_iter<I: ExactSizeIterator<Item = E>>(iter: I) -> Self;

    /// Takes over a `Vec` (a heap buffer keeps it; a fixed one copies it).
    fn from_vec(data: Vec<E>) -> Self;

    /// Whether a buffer of `len` elements would live on the heap, so that a
    /// kernel may as well fill a `Vec` and hand it over.
    #[inline(always)]
    fn prefers_vec(_len: usize) -> bool {
        false
    }

    /// Whether another buffer shares these elements, so that writing through
    /// this one copies them first.
    #[inline(always)]
    fn is_shared(&self) -> bool {
        false
    }
}

impl<E: Element> HostBuffer<E> for CpuBuffer<E> {
    #[inline(always)]
    fn from_elem(value: E, len: usize) -> Self {
        CpuBuffer::from_elem(value, len)
    }

    #[inline(always)]
    fn from_slice(data: &[E]) -> Self {
        CpuBuffer::from_slice(data)
    }

    #[inline(always)]
    fn from_exact_iter<I: ExactSizeIterator<Item = E>>(iter: I) -> Self {
        CpuBuffer::from_exact_iter(iter)
    }

    #[inline(always)]
    fn from_vec(data: Vec<E>) -> Self {
        CpuBuffer::from_vec(data)
    }

    #[inline(always)]
    fn prefers_vec(len: usize) -> bool {
        len > CpuBuffer::<E>::inline_capacity()
    }

    #[inline(always)]
    fn is_shared(&self) -> bool {
        CpuBuffer::is_shared(self)
    }
}

/// `R × C` elements held in the value itself, column-major: the storage of a
/// static shape on the [`Stack`] device. A vector of `N` is `N × 1`, a scalar
/// `1 × 1`.
///
/// Its size is its shape's, so moving a tensor moves exactly its elements,
/// and every loop over it runs a number of times the compiler knows.
///
/// ```
/// use typeflux_core::cpu::ArrayBuffer;
///
/// let b = ArrayBuffer::<f32, 2, 3>::from_columns([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
/// assert_eq!(&b[..], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// assert_eq!(core::mem::size_of_val(&b), 6 * 4);
/// ```
#[derive(Clone, Copy, PartialEq)]
pub struct ArrayBuffer<E, const R: usize, const C: usize>([[E; R]; C]);

impl<E: Element, const R: usize, const C: usize> ArrayBuffer<E, R, C> {
    /// The buffer of these columns.
    #[inline(always)]
    pub fn from_columns(columns: [[E; R]; C]) -> Self {
        ArrayBuffer(columns)
    }

    /// The columns.
    #[inline(always)]
    pub fn into_columns(self) -> [[E; R]; C] {
        self.0
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn wrong_length(len: usize) -> ! {
        panic!("a buffer of {R}x{C} elements cannot hold {len}")
    }
}

impl<E, const R: usize, const C: usize> Deref for ArrayBuffer<E, R, C> {
    type Target = [E];

    #[inline(always)]
    fn deref(&self) -> &[E] {
        self.0.as_flattened()
    }
}

impl<E, const R: usize, const C: usize> DerefMut for ArrayBuffer<E, R, C> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [E] {
        self.0.as_flattened_mut()
    }
}

impl<E: fmt::Debug, const R: usize, const C: usize> fmt::Debug for ArrayBuffer<E, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.as_flattened()).finish()
    }
}

impl<E: Element, const R: usize, const C: usize> HostBuffer<E> for ArrayBuffer<E, R, C> {
    #[inline(always)]
    #[track_caller]
    fn from_elem(value: E, len: usize) -> Self {
        if len != R * C {
            Self::wrong_length(len);
        }
        ArrayBuffer([[value; R]; C])
    }

    #[inline(always)]
    #[track_caller]
    fn from_slice(data: &[E]) -> Self {
        if data.len() != R * C {
            Self::wrong_length(data.len());
        }
        let mut out = [[E::zero(); R]; C];
        out.as_flattened_mut().copy_from_slice(data);
        ArrayBuffer(out)
    }

    #[inline(always)]
    #[track_caller]
    fn from_exact_iter<I: ExactSizeIterator<Item = E>>(iter: I) -> Self {
        let len = iter.len();
        if len != R * C {
            Self::wrong_length(len);
        }
        let mut out = MaybeUninit::<[[E; R]; C]>::uninit();
        let first = out.as_mut_ptr().cast::<E>();
        let mut written = 0;
        for x in iter.take(R * C) {
            // SAFETY: `written < R * C`, so the slot lies inside `out`.
            unsafe { first.add(written).write(x) };
            written += 1;
        }
        if written != R * C {
            Self::wrong_length(written);
        }
        // SAFETY: all `R * C` elements were written above (an iterator that
        // ends early panics first, in release builds too); `E: Copy` has no
        // drop to skip on the panic path.
        ArrayBuffer(unsafe { out.assume_init() })
    }

    #[inline(always)]
    #[track_caller]
    fn from_vec(data: Vec<E>) -> Self {
        Self::from_slice(&data)
    }
}

/// A CPU device whose tensors of static shape hold their elements in the
/// tensor value itself: `Tensor<(Const<5>, Const<10>), f32, Stack>` is an
/// array of 50 `f32` and nothing else.
///
/// For small models, where the cost of a step is the bookkeeping around
/// each operation rather than its arithmetic (the niche of Julia's
/// SimpleChains.jl): no heap, no reference counts, no lengths checked at run
/// time, and the compiler unrolls every loop. A tensor with a run-time axis
/// (a batch) falls back to the [`Cpu`](crate::Cpu)'s buffer. Large static
/// tensors belong on the `Cpu`: a `Matrix<1024, 1024>` on this device is a
/// 4 MB value on the stack.
///
/// Constructors build here when the type names the device
/// (`Vector::<3, f32, Stack>::zeros()`), and [`to_device`](crate::Tensor::to_device)
/// moves a tensor (or, with [`ToDevice`](crate::ToDevice), a model).
/// The kernels are the `Cpu`'s, so results agree to the bit:
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_core::cpu::Stack;
///
/// let w = Matrix::<2, 3>::from_array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]);
/// let x = Vector::<3>::from_array([1.0, 2.0, 3.0]);
/// let y = w.to_device(&Stack).matmul(&x.to_device(&Stack)).exp();
/// assert_eq!(y.to_vec(), w.matmul(&x).exp().to_vec());
/// assert_eq!(core::mem::size_of_val(&y), 2 * 4);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stack;

/// A device whose buffers are in host memory, addressable as slices: the
/// [`Cpu`](crate::Cpu) and [`Stack`]. Element access, `map`, and the layers'
/// activations and losses are written for every such device.
pub trait Host: Device + Copy + Default {
    /// The elements of a buffer.
    fn slice<S: Shape, E: Element>(buf: &Self::Buffer<S, E>) -> &[E];

    /// The elements of a buffer, mutably (a shared buffer is copied first).
    fn slice_mut<S: Shape, E: Element>(buf: &mut Self::Buffer<S, E>) -> &mut [E];

    /// A buffer of the elements of an iterator that knows its length.
    fn collect<S: Shape, E: Element, I: ExactSizeIterator<Item = E>>(iter: I)
    -> Self::Buffer<S, E>;

    /// A buffer holding `data`, taken over where the device keeps a `Vec`.
    fn from_vec<S: Shape, E: Element>(data: Vec<E>) -> Self::Buffer<S, E>;
}
