//! The tensor type and its constructors.

use crate::cpu::{Cpu, Host};
use crate::device::Device;
use crate::dims::{Const, Dim};
use crate::element::Element;
use crate::error::ShapeError;
use crate::shape::{ConstShape, Shape};
use core::fmt;
use core::ops::{Index, IndexMut};

/// A tensor whose shape `S` is a type: `Tensor<(Const<3>, Const<4>)>` is a 3×4
/// matrix, `Tensor<(Const<10>, usize)>` is 10 features × a batch known at run
/// time. Elements `E` default to `f32`, the device `D` to [`Cpu`].
///
/// ```
/// use typeflux_core::prelude::*;
///
/// let w = Tensor::from_array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]); // 3×2
/// let x = Tensor::from_array([1.0, 1.0]);                            // 2
/// let y = w.matmul(&x);                                              // 3
/// assert_eq!(y.as_slice(), &[3.0, 7.0, 11.0]);
/// ```
pub struct Tensor<S: Shape, E: Element = f32, D: Device = Cpu> {
    pub(crate) shape: S,
    pub(crate) data: D::Buffer<S, E>,
    pub(crate) device: D,
}

/// A scalar tensor.
pub type Scalar<E = f32, D = Cpu> = Tensor<(), E, D>;
/// A vector of `N` elements.
pub type Vector<const N: usize, E = f32, D = Cpu> = Tensor<(Const<N>,), E, D>;
/// An `R × C` matrix.
pub type Matrix<const R: usize, const C: usize, E = f32, D = Cpu> =
    Tensor<(Const<R>, Const<C>), E, D>;
/// `N` features × a batch whose size is known at run time.
pub type Batch<const N: usize, E = f32, D = Cpu> = Tensor<(Const<N>, usize), E, D>;

impl<S: Shape, E: Element, D: Device> Clone for Tensor<S, E, D> {
    #[inline]
    fn clone(&self) -> Self {
        Tensor {
            shape: self.shape,
            data: self.device.copy::<S, E>(&self.data),
            device: self.device.clone(),
        }
    }
}

impl<S: Shape, E: Element, D: Device> Tensor<S, E, D> {
    /// Wraps a device buffer that holds `shape`'s elements, for backends and
    /// kernels.
    ///
    /// Every tensor's buffer holds exactly its shape's elements, and the
    /// kernels rely on it, so the length is checked here, where it costs one
    /// comparison next to the kernel that made the buffer (nothing on the
    /// [`Stack`](crate::Stack), whose buffer lengths are constants). Data of
    /// a length known only at run time goes through [`from_vec`](Self::from_vec)
    /// or [`from_slice`](Self::from_slice), which return a [`ShapeError`].
    ///
    /// ```should_panic
    /// use typeflux_core::prelude::*;
    /// let half = Cpu.upload::<(Const<1>, usize), f32>(&[0.0; 8]);
    /// // panics: "from_parts: expected 16 elements for shape 1x16, found 8 elements"
    /// let _ = Batch::<1>::from_parts((Const, 16), half, Cpu);
    /// ```
    ///
    /// # Panics
    /// If the buffer's length is not the shape's element count.
    #[inline(always)]
    #[track_caller]
    pub fn from_parts(shape: S, data: D::Buffer<S, E>, device: D) -> Self {
        let len = device.buffer_len::<S, E>(&data);
        if shape.checked_num_elements() != Some(len) {
            wrong_buffer(&shape, len);
        }
        Tensor {
            shape,
            data,
            device,
        }
    }

    /// The buffer, for backends and kernels.
    #[inline(always)]
    pub fn buffer(&self) -> &D::Buffer<S, E> {
        &self.data
    }

    /// The shape.
    #[inline(always)]
    pub fn shape(&self) -> S {
        self.shape
    }

    /// The device the elements live on.
    #[inline(always)]
    pub fn device(&self) -> &D {
        &self.device
    }

    /// Number of elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.shape.num_elements()
    }

    /// Whether the tensor holds no elements (a batch of size 0).
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A tensor of `shape` filled with `value`, on `device`.
    ///
    /// # Panics
    /// If the shape's elements would take more than `isize::MAX` bytes.
    #[inline]
    #[track_caller]
    pub fn full_on(shape: S, value: E, device: &D) -> Self {
        Self::filled("full_on", shape, value, device)
    }

    #[inline]
    #[track_caller]
    fn filled(op: &'static str, shape: S, value: E, device: &D) -> Self {
        let len = expect_len::<S, E>(op, &shape);
        Tensor::from_parts(shape, device.full::<S, E>(len, value), device.clone())
    }

    /// A tensor of the same shape and device, filled with `value`.
    #[inline]
    pub fn full_like(&self, value: E) -> Self {
        Self::full_on(self.shape, value, &self.device)
    }

    /// Zeros of the same shape and device.
    #[inline]
    pub fn zeros_like(&self) -> Self {
        self.full_like(E::zero())
    }

    /// The elements in column-major order, copied to the host.
    pub fn to_vec(&self) -> Vec<E> {
        self.device.download::<S, E>(&self.data)
    }

    /// The same elements on another device.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_core::cpu::Stack;
    ///
    /// let x = Vector::<3>::from_array([1.0, 2.0, 3.0]);
    /// let s = x.to_device(&Stack); // three f32 held in the value
    /// assert_eq!(s.to_device(&Cpu), x);
    /// ```
    pub fn to_device<D2: Device>(&self, device: &D2) -> Tensor<S, E, D2> {
        Tensor::from_parts(
            self.shape,
            device.upload::<S, E>(&self.to_vec()),
            device.clone(),
        )
    }

    /// The same elements with a shape of the same type whose runtime dims may
    /// differ; the element count must agree.
    pub fn try_with_shape(self, shape: S) -> Result<Self, ShapeError> {
        check_len::<S, E>("try_with_shape", &shape, self.len())?;
        Ok(Tensor::from_parts(shape, self.data, self.device))
    }
}

/// Constructors build tensors on the devices in host memory, the `Cpu`
/// unless the type says otherwise (`Vector::<3, f32, Stack>::zeros()`);
/// [`Tensor::to_device`] moves them, and [`Tensor::full_on`] builds on any
/// device.
///
/// The constructors that take a shape known at run time and return no
/// `Result` (`full_with`, `zeros_with`, `from_fn`, `rand_with`, ...) panic,
/// naming the shape, when its elements would take more than `isize::MAX`
/// bytes, the most any allocation may hold; `from_slice` and `from_vec`
/// return a [`ShapeError`] instead.
impl<S: Shape, E: Element, D: Host> Tensor<S, E, D> {
    /// A tensor of `shape` filled with `value`.
    #[inline]
    #[track_caller]
    pub fn full_with(shape: S, value: E) -> Self {
        Self::filled("full_with", shape, value, &D::default())
    }

    /// Zeros of `shape` (for shapes with a runtime dim).
    ///
    /// ```should_panic
    /// use typeflux_core::prelude::*;
    /// // panics: "zeros_with: expected a shape of at most 9223372036854775807 bytes, found
    /// // shape 2x18446744073709551615 of 4-byte elements, whose element count overflows usize"
    /// let _ = Batch::<2>::zeros_with((Const, usize::MAX));
    /// ```
    #[inline]
    #[track_caller]
    pub fn zeros_with(shape: S) -> Self {
        Self::filled("zeros_with", shape, E::zero(), &D::default())
    }

    /// Ones of `shape` (for shapes with a runtime dim).
    #[inline]
    #[track_caller]
    pub fn ones_with(shape: S) -> Self {
        Self::filled("ones_with", shape, E::one(), &D::default())
    }

    /// Elements copied from a column-major slice whose length must be the
    /// shape's element count.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let x = Batch::<2>::from_slice((Const, 3), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    /// assert_eq!(x[[1, 2]], 6.0);
    /// let err = Batch::<2>::from_slice((Const, 3), &[1.0; 5]).unwrap_err();
    /// assert_eq!(err.to_string(), "from_slice: expected 6 elements for shape 2x3, found 5 elements");
    /// ```
    ///
    /// # Errors
    /// A [`ShapeError`] when the slice's length is not the shape's element
    /// count, or when the shape's elements would take more than
    /// `isize::MAX` bytes.
    pub fn from_slice(shape: S, data: &[E]) -> Result<Self, ShapeError> {
        check_len::<S, E>("from_slice", &shape, data.len())?;
        let device = D::default();
        Ok(Tensor::from_parts(
            shape,
            device.upload::<S, E>(data),
            device,
        ))
    }

    /// Elements taken from a column-major `Vec` whose length must be the shape's
    /// element count.
    ///
    /// # Errors
    /// As [`from_slice`](Self::from_slice).
    pub fn from_vec(shape: S, data: Vec<E>) -> Result<Self, ShapeError> {
        check_len::<S, E>("from_vec", &shape, data.len())?;
        // A heap buffer is taken over as it is; a small one moves inline.
        Ok(Tensor::from_parts(
            shape,
            D::from_vec::<S, E>(data),
            D::default(),
        ))
    }

    /// A tensor whose element at `[row, column]` is `f([row, column])`
    /// (`[i, 0]` for a vector, `[0, 0]` for a scalar).
    #[track_caller]
    pub fn from_fn(shape: S, mut f: impl FnMut([usize; 2]) -> E) -> Self {
        let len = expect_len::<S, E>("from_fn", &shape);
        let rows = shape.dims()[0];
        let data = D::collect::<S, E, _>((0..len).map(|i| f([i % rows, i / rows])));
        Tensor::from_parts(shape, data, D::default())
    }
}

/// The element count of `shape` if a buffer of that many `E` can exist: the
/// count fits a `usize` and its size in bytes an `isize`, as every
/// allocation must.
#[inline(always)]
fn allocatable<S: Shape, E>(shape: &S) -> Option<usize> {
    let n = shape.checked_num_elements()?;
    let bytes = n.checked_mul(core::mem::size_of::<E>())?;
    (bytes <= isize::MAX as usize).then_some(n)
}

/// [`allocatable`], or an error naming the shape.
pub(crate) fn checked_len<S: Shape, E>(op: &'static str, shape: &S) -> Result<usize, ShapeError> {
    allocatable::<S, E>(shape).ok_or_else(|| too_large::<S, E>(op, shape))
}

/// [`checked_len`] for the operations that return no `Result`: panics with
/// the error's message.
#[inline(always)]
#[track_caller]
pub(crate) fn expect_len<S: Shape, E>(op: &'static str, shape: &S) -> usize {
    match allocatable::<S, E>(shape) {
        Some(n) => n,
        None => panic_too_large::<S, E>(op, shape),
    }
}

#[cold]
#[inline(never)]
fn too_large<S: Shape, E>(op: &'static str, shape: &S) -> ShapeError {
    let size = core::mem::size_of::<E>();
    let shape_text = shape.describe();
    ShapeError {
        op,
        expected: format!("a shape of at most {} bytes", isize::MAX),
        found: match shape.checked_num_elements() {
            Some(n) => format!("shape {shape_text} of {n} elements of {size} bytes each"),
            None => format!(
                "shape {shape_text} of {size}-byte elements, whose element count overflows usize"
            ),
        },
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn panic_too_large<S: Shape, E>(op: &'static str, shape: &S) -> ! {
    panic!("{}", too_large::<S, E>(op, shape))
}

/// Checks that `len` elements fill `shape`, and that it is a shape a buffer
/// can hold.
fn check_len<S: Shape, E>(op: &'static str, shape: &S, len: usize) -> Result<(), ShapeError> {
    let expected = checked_len::<S, E>(op, shape)?;
    if expected == len {
        Ok(())
    } else {
        Err(ShapeError {
            op,
            expected: format!("{expected} elements for shape {}", shape.describe()),
            found: format!("{len} elements"),
        })
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn wrong_buffer<S: Shape>(shape: &S, len: usize) -> ! {
    let expected = match shape.checked_num_elements() {
        Some(n) => n.to_string(),
        None => "more than usize::MAX".into(),
    };
    panic!(
        "from_parts: expected {expected} elements for shape {}, found {len} elements",
        shape.describe()
    )
}

impl<S: ConstShape, E: Element, D: Host> Tensor<S, E, D> {
    /// A tensor filled with `value`.
    #[inline]
    pub fn full(value: E) -> Self {
        Self::full_with(S::default(), value)
    }

    /// Zeros.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let z = Matrix::<2, 3>::zeros();
    /// assert_eq!(z.to_vec(), vec![0.0; 6]);
    /// ```
    #[inline]
    pub fn zeros() -> Self {
        Self::full(E::zero())
    }

    /// Ones.
    #[inline]
    pub fn ones() -> Self {
        Self::full(E::one())
    }

    /// Elements copied from a column-major slice; its length is checked at run
    /// time.
    pub fn try_from_slice(data: &[E]) -> Result<Self, ShapeError> {
        let shape = S::default();
        check_len::<S, E>("try_from_slice", &shape, data.len())?;
        let device = D::default();
        Ok(Tensor::from_parts(
            shape,
            device.upload::<S, E>(data),
            device,
        ))
    }
}

impl<E: Element> Tensor<(), E, Cpu> {
    /// A scalar tensor.
    pub fn scalar(value: E) -> Self {
        Self::full(value)
    }
}

impl<E: Element, D: Device> Tensor<(), E, D> {
    /// The one element of a scalar tensor, copied to the host.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// assert_eq!(Tensor::scalar(2.5).item(), 2.5);
    /// ```
    #[inline]
    pub fn item(&self) -> E {
        self.device.read::<(), E>(&self.data, 0)
    }
}

/// Arrays that convert to a tensor, their sizes checked at compile time:
/// `[E; N]` is a vector, `[[E; C]; R]` an `R × C` matrix written row by row, as
/// it reads.
pub trait TensorArray<E: Element> {
    /// The tensor shape of the array.
    type Shape: ConstShape;
    /// The element at `[row, column]` (`[i, 0]` for a vector).
    fn element(&self, index: [usize; 2]) -> E;
}

impl<E: Element, const N: usize> TensorArray<E> for [E; N] {
    type Shape = (Const<N>,);
    #[inline]
    fn element(&self, [i, _]: [usize; 2]) -> E {
        self[i]
    }
}

impl<E: Element, const R: usize, const C: usize> TensorArray<E> for [[E; C]; R] {
    type Shape = (Const<R>, Const<C>);
    #[inline]
    fn element(&self, [r, c]: [usize; 2]) -> E {
        self[r][c]
    }
}

impl<S: ConstShape, E: Element> Tensor<S, E, Cpu> {
    /// A tensor from an array whose sizes are the tensor's: a vector from
    /// `[E; N]`, a matrix from rows `[[E; C]; R]`.
    ///
    /// ```compile_fail
    /// use typeflux_core::prelude::*;
    /// // Three elements do not make a Vector<2>.
    /// let v: Vector<2> = Tensor::from_array([1.0, 2.0, 3.0]);
    /// ```
    pub fn from_array<A: TensorArray<E, Shape = S>>(array: A) -> Self {
        Self::from_fn(S::default(), |index| array.element(index))
    }
}

impl<E: Element, const N: usize> From<[E; N]> for Tensor<(Const<N>,), E> {
    fn from(array: [E; N]) -> Self {
        Tensor::from_array(array)
    }
}

impl<E: Element, const R: usize, const C: usize> From<[[E; C]; R]>
    for Tensor<(Const<R>, Const<C>), E>
{
    fn from(rows: [[E; C]; R]) -> Self {
        Tensor::from_array(rows)
    }
}

/// Element access, on the devices whose elements are in host memory.
impl<S: Shape, E: Element, D: Host> Tensor<S, E, D> {
    /// The elements in column-major order.
    #[inline(always)]
    pub fn as_slice(&self) -> &[E] {
        D::slice::<S, E>(&self.data)
    }

    /// The elements in column-major order, mutably.
    #[inline(always)]
    pub fn as_mut_slice(&mut self) -> &mut [E] {
        D::slice_mut::<S, E>(&mut self.data)
    }

    /// Iterates over the elements in column-major order.
    #[inline]
    pub fn iter(&self) -> core::slice::Iter<'_, E> {
        self.as_slice().iter()
    }

    /// Iterates mutably over the elements in column-major order.
    #[inline]
    pub fn iter_mut(&mut self) -> core::slice::IterMut<'_, E> {
        self.as_mut_slice().iter_mut()
    }

    /// The element at `[row, column]`, if inside the tensor.
    #[inline]
    pub fn get(&self, [row, col]: [usize; 2]) -> Option<&E> {
        let [rows, cols] = self.shape.dims();
        (row < rows && col < cols).then(|| &self.as_slice()[row + col * rows])
    }
}

impl<'a, S: Shape, E: Element, D: Host> IntoIterator for &'a Tensor<S, E, D> {
    type Item = &'a E;
    type IntoIter = core::slice::Iter<'a, E>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<D0: Dim, E: Element, D: Host> Index<usize> for Tensor<(D0,), E, D> {
    type Output = E;
    #[inline(always)]
    fn index(&self, i: usize) -> &E {
        &self.as_slice()[i]
    }
}

impl<D0: Dim, E: Element, D: Host> IndexMut<usize> for Tensor<(D0,), E, D> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut E {
        &mut self.as_mut_slice()[i]
    }
}

impl<D0: Dim, D1: Dim, E: Element, D: Host> Index<[usize; 2]> for Tensor<(D0, D1), E, D> {
    type Output = E;
    #[inline(always)]
    #[track_caller]
    fn index(&self, [row, col]: [usize; 2]) -> &E {
        let rows = self.shape.0.size();
        assert!(
            row < rows && col < self.shape.1.size(),
            "index [{row}, {col}] out of bounds for shape {}",
            self.shape.describe()
        );
        &self.as_slice()[row + col * rows]
    }
}

impl<D0: Dim, D1: Dim, E: Element, D: Host> IndexMut<[usize; 2]> for Tensor<(D0, D1), E, D> {
    #[inline(always)]
    #[track_caller]
    fn index_mut(&mut self, [row, col]: [usize; 2]) -> &mut E {
        let rows = self.shape.0.size();
        assert!(
            row < rows && col < self.shape.1.size(),
            "index [{row}, {col}] out of bounds for shape {}",
            self.shape.describe()
        );
        &mut self.as_mut_slice()[row + col * rows]
    }
}

impl<D0: Dim, D1: Dim, E: Element, D: Host> Tensor<(D0, D1), E, D> {
    /// Iterates over the columns (one sample of a batch each) as slices.
    pub fn columns(&self) -> core::slice::ChunksExact<'_, E> {
        self.as_slice().chunks_exact(self.shape.0.size().max(1))
    }

    /// Column `j` as a vector.
    #[track_caller]
    pub fn column(&self, j: usize) -> Tensor<(D0,), E, D> {
        let rows = self.shape.0.size();
        assert!(
            j < self.shape.1.size(),
            "column {j} out of bounds for shape {}",
            self.shape.describe()
        );
        Tensor::from_parts(
            (self.shape.0,),
            self.device
                .upload::<(D0,), E>(&self.as_slice()[j * rows..(j + 1) * rows]),
            self.device,
        )
    }
}

impl<D0: Dim, D1: Dim, E: Element, D: Device> Tensor<(D0, D1), E, D> {
    /// The same matrix with its column count as a runtime dim, the type a batch
    /// has when a data loader produces it.
    pub fn into_batch(self) -> Tensor<(D0, usize), E, D> {
        let (rows, cols) = self.shape;
        let data = self.device.reshape::<(D0, D1), (D0, usize), E>(self.data);
        Tensor::from_parts((rows, cols.size()), data, self.device)
    }
}

impl<D0: Dim, E: Element, D: Device> Tensor<(D0,), E, D> {
    /// The vector as a batch of one column.
    pub fn into_batch(self) -> Tensor<(D0, usize), E, D> {
        let data = self.device.reshape::<(D0,), (D0, usize), E>(self.data);
        Tensor::from_parts((self.shape.0, 1), data, self.device)
    }
}

impl<S: Shape, E: Element, D: Host> PartialEq for Tensor<S, E, D> {
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.as_slice() == other.as_slice()
    }
}

impl<S: Shape, E: Element, D: Device> fmt::Debug for Tensor<S, E, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor<{}>{:?}", self.shape.describe(), self.to_vec())
    }
}

impl<S: Shape, E: Element, D: Device> fmt::Display for Tensor<S, E, D> {
    /// Vectors print as `[1, 2]`, matrices row by row.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.to_vec();
        let [rows, cols] = self.shape.dims();
        match S::RANK {
            0 => write!(f, "{}", data[0]),
            1 => {
                write!(f, "[")?;
                for (i, x) in data.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{x}")?;
                }
                write!(f, "]")
            }
            _ => {
                write!(f, "[")?;
                for r in 0..rows {
                    if r > 0 {
                        write!(f, ";\n ")?;
                    }
                    for c in 0..cols {
                        if c > 0 {
                            write!(f, " ")?;
                        }
                        write!(f, "{}", data[r + c * rows])?;
                    }
                }
                write!(f, "]")
            }
        }
    }
}
