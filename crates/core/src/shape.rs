//! Shapes: tuples of dims, rank 0 to 4.

use crate::cpu::{ArrayBuffer, CpuBuffer, HostBuffer};
use crate::dims::{ConstDim, Dim};
use crate::element::Element;
use core::fmt;

/// The shape of a tensor: `()` (scalar), `(D0,)` (vector), `(D0, D1)`
/// (features × batch matrix), `(W, H, C)` (an image: width × height ×
/// channels) or `(W, H, C, N)` (a batch of images), each dim a
/// [`Const<N>`](crate::Const) or a `usize`.
///
/// Storage is column-major, as in Flux and nalgebra: a rank-2 shape `(R, C)` is
/// `C` columns of `R` contiguous elements, and an image batch `(W, H, C, N)`
/// holds each sample's `W·H·C` elements contiguously, width fastest. Every
/// kernel sees a shape as the matrix [`dims`](Self::dims): its last axis is
/// the columns and the others together the rows, so a batch of images is a
/// `W·H·C × N` matrix to elementwise operations and reductions.
pub trait Shape: Copy + fmt::Debug + Eq + Send + Sync + 'static {
    /// Number of axes.
    const RANK: usize;

    /// Storage of a tensor of this shape on the [`Stack`](crate::cpu::Stack)
    /// device: an array of exactly its elements when the shape is static.
    type StackBuffer<E: Element>: HostBuffer<E>;

    /// The sizes of the axes that the type alone fixes, padded with
    /// `Some(1)` to length 2 like [`dims`](Self::dims): what a device can
    /// build into its kernels (a GPU kernel for a `Dense<128, 64>` has its
    /// sizes as constants), while a `None` axis is known only at run time.
    const STATIC_DIMS: [Option<usize>; 2];

    /// The shape as a matrix: the sizes of the axes, padded with 1 to length
    /// 2, the axes before the last multiplied together for ranks 3 and 4.
    fn dims(&self) -> [usize; 2];

    /// Sizes of all axes, padded with 1 to length 4.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let s = (Const::<5>, Const::<4>, Const::<3>, 2);
    /// assert_eq!(s.axes(), [5, 4, 3, 2]);
    /// assert_eq!(s.dims(), [60, 2]);
    /// ```
    #[inline(always)]
    fn axes(&self) -> [usize; 4] {
        let [a, b] = self.dims();
        [a, b, 1, 1]
    }

    /// Number of elements.
    ///
    /// # Panics
    /// If the count overflows `usize`. The shape of a tensor never does:
    /// every constructor checks it (see [`checked_num_elements`](Self::checked_num_elements)).
    #[inline(always)]
    #[track_caller]
    fn num_elements(&self) -> usize {
        match self.checked_num_elements() {
            Some(n) => n,
            None => too_many_elements(self.describe()),
        }
    }

    /// Number of elements, or `None` when the count overflows `usize`.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// assert_eq!((Const::<3>, 4).checked_num_elements(), Some(12));
    /// assert_eq!((Const::<64>, (1 << 58) + 1).checked_num_elements(), None);
    /// ```
    #[inline(always)]
    fn checked_num_elements(&self) -> Option<usize> {
        let [a, b, c, d] = self.axes();
        a.checked_mul(b)?.checked_mul(c)?.checked_mul(d)
    }

    /// A printable form such as `3x4` for use in messages.
    fn describe(&self) -> ShapeText {
        ShapeText {
            rank: Self::RANK,
            axes: self.axes(),
        }
    }
}

/// A shape fixed entirely by its type.
pub trait ConstShape: Shape + Default {
    /// Number of elements.
    const NUM_ELEMENTS: usize;
}

/// Scalar shape.
pub type Rank0 = ();
/// Vector shape.
pub type Rank1<D0> = (D0,);
/// Matrix shape (features × batch in a layer).
pub type Rank2<D0, D1> = (D0, D1);
/// Image shape: width × height × channels.
pub type Rank3<D0, D1, D2> = (D0, D1, D2);
/// Image batch shape: width × height × channels × batch, Flux's `WHCN`.
pub type Rank4<D0, D1, D2, D3> = (D0, D1, D2, D3);

impl Shape for () {
    const RANK: usize = 0;
    const STATIC_DIMS: [Option<usize>; 2] = [Some(1), Some(1)];
    type StackBuffer<E: Element> = ArrayBuffer<E, 1, 1>;
    #[inline(always)]
    fn dims(&self) -> [usize; 2] {
        [1, 1]
    }
}

impl ConstShape for () {
    const NUM_ELEMENTS: usize = 1;
}

impl<D0: Dim> Shape for (D0,) {
    const RANK: usize = 1;
    const STATIC_DIMS: [Option<usize>; 2] = [D0::STATIC, Some(1)];
    type StackBuffer<E: Element> = D0::StackVector<E>;
    #[inline(always)]
    fn dims(&self) -> [usize; 2] {
        [self.0.size(), 1]
    }
}

impl<D0: ConstDim> ConstShape for (D0,) {
    const NUM_ELEMENTS: usize = D0::SIZE;
}

impl<D0: Dim, D1: Dim> Shape for (D0, D1) {
    const RANK: usize = 2;
    const STATIC_DIMS: [Option<usize>; 2] = [D0::STATIC, D1::STATIC];
    type StackBuffer<E: Element> = D0::StackMatrix<D1, E>;
    #[inline(always)]
    fn dims(&self) -> [usize; 2] {
        [self.0.size(), self.1.size()]
    }
}

impl<D0: ConstDim, D1: ConstDim> ConstShape for (D0, D1) {
    const NUM_ELEMENTS: usize = D0::SIZE * D1::SIZE;
}

// Ranks 3 and 4 are stored on the heap on every device: a static size of
// `W·H·C` elements cannot be named as an array length on stable Rust.
/// The product of two sizes the types fix; `None` when either is known only
/// at run time or the product overflows.
const fn static_product(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => a.checked_mul(b),
        _ => None,
    }
}

impl<D0: Dim, D1: Dim, D2: Dim> Shape for (D0, D1, D2) {
    const RANK: usize = 3;
    type StackBuffer<E: Element> = CpuBuffer<E>;
    const STATIC_DIMS: [Option<usize>; 2] = [static_product(D0::STATIC, D1::STATIC), D2::STATIC];
    /// `[W·H, C]`, saturating: a shape whose count overflows is refused
    /// by [`checked_num_elements`](Shape::checked_num_elements) first.
    #[inline(always)]
    fn dims(&self) -> [usize; 2] {
        [self.0.size().saturating_mul(self.1.size()), self.2.size()]
    }
    #[inline(always)]
    fn axes(&self) -> [usize; 4] {
        [self.0.size(), self.1.size(), self.2.size(), 1]
    }
}

impl<D0: ConstDim, D1: ConstDim, D2: ConstDim> ConstShape for (D0, D1, D2) {
    const NUM_ELEMENTS: usize = D0::SIZE * D1::SIZE * D2::SIZE;
}

impl<D0: Dim, D1: Dim, D2: Dim, D3: Dim> Shape for (D0, D1, D2, D3) {
    const RANK: usize = 4;
    type StackBuffer<E: Element> = CpuBuffer<E>;
    const STATIC_DIMS: [Option<usize>; 2] = [
        static_product(static_product(D0::STATIC, D1::STATIC), D2::STATIC),
        D3::STATIC,
    ];
    /// `[W·H·C, N]`, saturating as for rank 3.
    #[inline(always)]
    fn dims(&self) -> [usize; 2] {
        [
            self.0
                .size()
                .saturating_mul(self.1.size())
                .saturating_mul(self.2.size()),
            self.3.size(),
        ]
    }
    #[inline(always)]
    fn axes(&self) -> [usize; 4] {
        [self.0.size(), self.1.size(), self.2.size(), self.3.size()]
    }
}

impl<D0: ConstDim, D1: ConstDim, D2: ConstDim, D3: ConstDim> ConstShape for (D0, D1, D2, D3) {
    const NUM_ELEMENTS: usize = D0::SIZE * D1::SIZE * D2::SIZE * D3::SIZE;
}

/// A shape formatted for messages: `scalar`, `5`, `3x4`, `28x28x1x64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShapeText {
    rank: usize,
    axes: [usize; 4],
}

impl fmt::Display for ShapeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rank == 0 {
            return write!(f, "scalar");
        }
        for (i, n) in self.axes[..self.rank].iter().enumerate() {
            if i > 0 {
                write!(f, "x")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// Checks that two shapes of the same type agree at run time (static dims always
/// do); panics naming both shapes and the operation otherwise.
#[inline(always)]
#[track_caller]
pub(crate) fn assert_same<S: Shape>(op: &str, lhs: &S, rhs: &S) {
    if lhs != rhs {
        shape_mismatch(op, lhs.describe(), rhs.describe());
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn too_many_elements(shape: ShapeText) -> ! {
    panic!("shape {shape}: its element count overflows usize")
}

#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn shape_mismatch(op: &str, lhs: ShapeText, rhs: ShapeText) -> ! {
    panic!("{op}: lhs {lhs}, rhs {rhs}: shapes disagree")
}
