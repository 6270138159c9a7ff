//! Devices: where a tensor's elements live and which kernels compute on them.
//!
//! The device is part of a tensor's type (`Tensor<S, E, D>`), so a CPU tensor and
//! a GPU tensor cannot be mixed by accident. Every tensor operation is written once
//! against [`Device`]; a backend provides buffers and the small set of kernels
//! below, and all operations (and their pullbacks) work on it.
//!
//! | CPU concept            | device counterpart               |
//! |------------------------|----------------------------------|
//! | `Vec<E>` / inline array | [`Device::Buffer<E>`]           |
//! | `iter().map(f)`        | [`Device::unary`] with a [`UnaryOp`] |
//! | `zip().map(f)`         | [`Device::binary`] with a [`BinaryOp`] |
//! | a gemm call            | [`Device::matmul`]               |

use crate::element::Element;
use core::fmt::Debug;

/// Elementwise binary operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
}

impl BinaryOp {
    /// Applies the operation to two elements.
    #[inline(always)]
    pub fn apply<E: Element>(self, a: E, b: E) -> E {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
        }
    }

    /// The symbol, for messages.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

/// Elementwise unary operations that every device provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `|x|`
    Abs,
    /// `x²`
    Square,
    /// `√x`
    Sqrt,
    /// `eˣ`
    Exp,
    /// `ln x`
    Ln,
    /// `tanh x`
    Tanh,
    /// `sin x`
    Sin,
    /// `cos x`
    Cos,
}

impl UnaryOp {
    /// Applies the operation to one element.
    #[inline(always)]
    pub fn apply<E: Element>(self, x: E) -> E {
        match self {
            UnaryOp::Neg => -x,
            UnaryOp::Abs => x.abs(),
            UnaryOp::Square => x * x,
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Exp => x.exp(),
            UnaryOp::Ln => x.ln(),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Sin => x.sin(),
            UnaryOp::Cos => x.cos(),
        }
    }
}

/// A place tensors live, with the kernels that compute on it.
///
/// Buffers are flat and column-major; shapes are checked by the tensor layer
/// before a kernel is called, so kernels receive consistent sizes.
pub trait Device: Clone + Debug + PartialEq + Send + Sync + 'static {
    /// Storage for `len` elements.
    type Buffer<E: Element>: Clone + Debug + Send + Sync;

    /// A buffer of `len` copies of `value`.
    fn full<E: Element>(&self, len: usize, value: E) -> Self::Buffer<E>;
    /// Copies host memory to the device.
    fn upload<E: Element>(&self, host: &[E]) -> Self::Buffer<E>;
    /// Copies device memory to the host.
    fn download<E: Element>(&self, buf: &Self::Buffer<E>) -> Vec<E>;
    /// A copy of a buffer on the same device (a tensor's `clone`).
    fn copy<E: Element>(&self, buf: &Self::Buffer<E>) -> Self::Buffer<E>;
    /// The element at `index`, copied to the host.
    fn read<E: Element>(&self, buf: &Self::Buffer<E>, index: usize) -> E;

    /// `a op b`, elementwise.
    fn binary<E: Element>(
        &self,
        op: BinaryOp,
        a: &Self::Buffer<E>,
        b: &Self::Buffer<E>,
    ) -> Self::Buffer<E>;
    /// `a = a op b`, elementwise.
    fn binary_assign<E: Element>(&self, op: BinaryOp, a: &mut Self::Buffer<E>, b: &Self::Buffer<E>);
    /// `a op s` for every element (`s op a` when `scalar_first`).
    fn scalar<E: Element>(
        &self,
        op: BinaryOp,
        a: &Self::Buffer<E>,
        s: E,
        scalar_first: bool,
    ) -> Self::Buffer<E>;
    /// `a = a op s` for every element.
    fn scalar_assign<E: Element>(&self, op: BinaryOp, a: &mut Self::Buffer<E>, s: E);
    /// `op(a)`, elementwise.
    fn unary<E: Element>(&self, op: UnaryOp, a: &Self::Buffer<E>) -> Self::Buffer<E>;
    /// `y += alpha · x`, the update step of every optimiser.
    fn axpy<E: Element>(&self, y: &mut Self::Buffer<E>, alpha: E, x: &Self::Buffer<E>);

    /// `m[i, j] op v[i]` for an `rows × (len / rows)` matrix `m`: a vector
    /// broadcast over the batch axis (the `.+ b` of `W*x .+ b`).
    fn broadcast<E: Element>(
        &self,
        op: BinaryOp,
        m: &Self::Buffer<E>,
        rows: usize,
        v: &Self::Buffer<E>,
    ) -> Self::Buffer<E>;

    /// `m[i, j] = m[i, j] op v[i]`, in place (see [`Device::broadcast`]).
    fn broadcast_assign<E: Element>(
        &self,
        op: BinaryOp,
        m: &mut Self::Buffer<E>,
        rows: usize,
        v: &Self::Buffer<E>,
    );

    /// `op(a) · op(b)` where `op(a)` is `m × k` and `op(b)` is `k × n`; a
    /// transposed operand is stored as the transpose of its logical shape.
    #[allow(clippy::too_many_arguments)]
    fn matmul<E: Element>(
        &self,
        m: usize,
        k: usize,
        n: usize,
        a: &Self::Buffer<E>,
        a_transposed: bool,
        b: &Self::Buffer<E>,
        b_transposed: bool,
    ) -> Self::Buffer<E>;

    /// The `cols × rows` transpose of a `rows × cols` matrix.
    fn transpose<E: Element>(
        &self,
        a: &Self::Buffer<E>,
        rows: usize,
        cols: usize,
    ) -> Self::Buffer<E>;

    /// Sum of all elements.
    fn sum<E: Element>(&self, a: &Self::Buffer<E>) -> E;
    /// Sum of `op(x)` over all elements. The default applies `op` into a
    /// new buffer and sums it; a backend fuses the two passes.
    fn sum_of<E: Element>(&self, op: UnaryOp, a: &Self::Buffer<E>) -> E {
        self.sum(&self.unary(op, a))
    }
    /// Largest element (the first one of equals); `None` for an empty buffer.
    fn max<E: Element>(&self, a: &Self::Buffer<E>) -> Option<E>;
    /// Sums of a `rows × cols` matrix along `axis`: 0 gives one sum per column,
    /// 1 one sum per row.
    fn sum_axis<E: Element>(
        &self,
        a: &Self::Buffer<E>,
        rows: usize,
        cols: usize,
        axis: usize,
    ) -> Self::Buffer<E>;
    /// Maxima of a `rows × cols` matrix along `axis` (as [`Device::sum_axis`]).
    fn max_axis<E: Element>(
        &self,
        a: &Self::Buffer<E>,
        rows: usize,
        cols: usize,
        axis: usize,
    ) -> Self::Buffer<E>;

    /// Stacks an `a_rows × cols` and a `b_rows × cols` matrix along the rows.
    fn concat_rows<E: Element>(
        &self,
        a: &Self::Buffer<E>,
        a_rows: usize,
        b: &Self::Buffer<E>,
        b_rows: usize,
        cols: usize,
    ) -> Self::Buffer<E>;
}
