//! Devices: where a tensor's elements live and which kernels compute on them.
//!
//! The device is part of a tensor's type (`Tensor<S, E, D>`), so a CPU tensor and
//! a GPU tensor cannot be mixed by accident. A backend provides storage
//! ([`Device`]) and, for each element type it computes with, a small set of
//! kernels ([`Kernels`]); every tensor operation and every derivative rule is
//! written once against them, so all operations (and their pullbacks) work on
//! it.
//!
//! | CPU concept            | device counterpart               |
//! |------------------------|----------------------------------|
//! | `Vec<E>` / inline array | [`Device::Buffer<S, E>`]        |
//! | `iter().map(f)`        | [`Kernels::unary`] with a [`UnaryOp`] |
//! | `zip().map(f)`         | [`Kernels::binary`] with a [`BinaryOp`] |
//! | a gemm call            | [`Kernels::matmul`]              |

use crate::dense_chain::{ChainGradients, ChainKept, ChainLayer, ChainOutput, ChainParams};
use crate::element::Element;
pub use crate::elementwise::UnaryOp;
use crate::ops::window::{Pool, Window};
use crate::shape::Shape;
use core::fmt::Debug;

/// Elementwise binary operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// A place tensors live: storage for tensors of every element type.
///
/// Buffers are flat and column-major; shapes are checked by the tensor layer
/// before a kernel is called, so kernels receive consistent sizes. The
/// kernels are public and safe to call all the same, so a kernel that reads
/// or writes through raw pointers checks the lengths it relies on itself,
/// in release builds too. A buffer's type may depend on the shape of the
/// tensor it stores (the [`Stack`](crate::cpu::Stack) device keeps a static
/// shape's elements in an array of exactly that size), so every kernel names
/// the shapes of its operands and of its result.
pub trait Device: Clone + Debug + PartialEq + Send + Sync + 'static {
    /// Storage for the elements of a tensor of shape `S`.
    type Buffer<S: Shape, E: Element>: Clone + Debug + Send + Sync;

    /// A buffer of `len` copies of `value`.
    fn full<S: Shape, E: Element>(&self, len: usize, value: E) -> Self::Buffer<S, E>;
    /// Copies host memory to the device.
    fn upload<S: Shape, E: Element>(&self, host: &[E]) -> Self::Buffer<S, E>;
    /// Copies device memory to the host.
    fn download<S: Shape, E: Element>(&self, buf: &Self::Buffer<S, E>) -> Vec<E>;
    /// A copy of a buffer on the same device (a tensor's `clone`).
    fn copy<S: Shape, E: Element>(&self, buf: &Self::Buffer<S, E>) -> Self::Buffer<S, E>;
    /// The element at `index`, copied to the host.
    fn read<S: Shape, E: Element>(&self, buf: &Self::Buffer<S, E>, index: usize) -> E;
    /// The number of elements a buffer holds, which
    /// [`Tensor::from_parts`](crate::Tensor::from_parts) checks against the
    /// tensor's shape.
    fn buffer_len<S: Shape, E: Element>(&self, buf: &Self::Buffer<S, E>) -> usize;
    /// The same elements as the storage of another shape of the same size
    /// (a reshape): moved where the storage does not depend on the shape.
    fn reshape<S: Shape, T: Shape, E: Element>(
        &self,
        buf: Self::Buffer<S, E>,
    ) -> Self::Buffer<T, E>;
}

/// The numbers of one Adam step ([`Kernels::adam`]), computed once per
/// step by the optimiser: the decay rates and their complements, `1 / (1 −
/// β₂ᵗ)`, `ε`, and the step `η / (1 − β₁ᵗ)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep<E> {
    /// `β₁`.
    pub beta1: E,
    /// `1 − β₁`.
    pub one_minus_beta1: E,
    /// `β₂`.
    pub beta2: E,
    /// `1 − β₂`.
    pub one_minus_beta2: E,
    /// `1 / (1 − β₂ᵗ)`.
    pub inv_correction2: E,
    /// `ε`.
    pub epsilon: E,
    /// `η / (1 − β₁ᵗ)`.
    pub step: E,
}

/// The kernels a device runs on elements `E`: what every tensor operation
/// and every derivative rule is written with.
///
/// A device implements it for each element type it computes with: the CPU
/// devices for every [`Element`] (dual numbers included), a GPU device for
/// the floats its kernels are written for. A tensor of another element type
/// can live on such a device but not be computed with, and that is a
/// compile error, not a failure at run time.
pub trait Kernels<E: Element>: Device {
    /// `a op b`, elementwise.
    fn binary<S: Shape>(
        &self,
        op: BinaryOp,
        a: &Self::Buffer<S, E>,
        b: &Self::Buffer<S, E>,
    ) -> Self::Buffer<S, E>;
    /// `a = a op b`, elementwise.
    fn binary_assign<S: Shape>(
        &self,
        op: BinaryOp,
        a: &mut Self::Buffer<S, E>,
        b: &Self::Buffer<S, E>,
    );
    /// `a op s` for every element (`s op a` when `scalar_first`).
    fn scalar<S: Shape>(
        &self,
        op: BinaryOp,
        a: &Self::Buffer<S, E>,
        s: E,
        scalar_first: bool,
    ) -> Self::Buffer<S, E>;
    /// `a = a op s` for every element.
    fn scalar_assign<S: Shape>(&self, op: BinaryOp, a: &mut Self::Buffer<S, E>, s: E);
    /// `op(a)`, elementwise.
    fn unary<S: Shape>(&self, op: UnaryOp, a: &Self::Buffer<S, E>) -> Self::Buffer<S, E>;
    /// `a = op(a)`, elementwise.
    fn unary_assign<S: Shape>(&self, op: UnaryOp, a: &mut Self::Buffer<S, E>);
    /// `op(a)` and its derivative `op'(a)`, elementwise, in one pass.
    fn unary_slope<S: Shape>(
        &self,
        op: UnaryOp,
        a: &Self::Buffer<S, E>,
    ) -> (Self::Buffer<S, E>, Self::Buffer<S, E>);
    /// `a = op(a)`, elementwise, returning the derivative `op'` at the
    /// former `a`, in one pass.
    fn unary_slope_assign<S: Shape>(
        &self,
        op: UnaryOp,
        a: &mut Self::Buffer<S, E>,
    ) -> Self::Buffer<S, E>;
    /// `y += alpha · x`, the update step of every optimiser.
    fn axpy<S: Shape>(&self, y: &mut Self::Buffer<S, E>, alpha: E, x: &Self::Buffer<S, E>);

    /// Adam's moments and change at every element: the gradient `g` is
    /// replaced by the change the parameters take (they become `p − g`),
    /// and the moments `m` and `v` advance (see [`AdamStep`]):
    ///
    /// ```text
    /// m = m·β₁ + (1 − β₁)·g
    /// v = v·β₂ + (1 − β₂)·g²
    /// g = m·step / (√(v·inv_correction2) + ε)
    /// ```
    ///
    /// The default runs these as the device's other kernels, one pass
    /// each; a device may run them in one pass with the same roundings (the
    /// CPU devices and the GPU do).
    fn adam<S: Shape>(
        &self,
        g: &mut Self::Buffer<S, E>,
        m: &mut Self::Buffer<S, E>,
        v: &mut Self::Buffer<S, E>,
        h: AdamStep<E>,
    ) {
        self.scalar_assign(BinaryOp::Mul, m, h.beta1);
        self.axpy(m, h.one_minus_beta1, g);
        self.scalar_assign(BinaryOp::Mul, v, h.beta2);
        let squares = self.unary(UnaryOp::Square, g);
        self.axpy(v, h.one_minus_beta2, &squares);
        let mut denominator = self.scalar(BinaryOp::Mul, v, h.inv_correction2, false);
        self.unary_assign(UnaryOp::Sqrt, &mut denominator);
        self.scalar_assign(BinaryOp::Add, &mut denominator, h.epsilon);
        let mut change = self.scalar(BinaryOp::Mul, m, h.step, false);
        self.binary_assign(BinaryOp::Div, &mut change, &denominator);
        *g = change;
    }

    /// `m[i, j] op v[i]` for an `rows × (len / rows)` matrix `m`: a vector
    /// broadcast over the batch axis (the `.+ b` of `W*x .+ b`).
    fn broadcast<S: Shape, V: Shape>(
        &self,
        op: BinaryOp,
        m: &Self::Buffer<S, E>,
        rows: usize,
        v: &Self::Buffer<V, E>,
    ) -> Self::Buffer<S, E>;

    /// `m[i, j] = m[i, j] op v[i]`, in place (see [`Kernels::broadcast`]).
    fn broadcast_assign<S: Shape, V: Shape>(
        &self,
        op: BinaryOp,
        m: &mut Self::Buffer<S, E>,
        rows: usize,
        v: &Self::Buffer<V, E>,
    );

    /// `op(a) · op(b)` where `op(a)` is `m × k` and `op(b)` is `k × n`; a
    /// transposed operand is stored as the transpose of its logical shape.
    #[allow(clippy::too_many_arguments)]
    fn matmul<A: Shape, B: Shape, C: Shape>(
        &self,
        m: usize,
        k: usize,
        n: usize,
        a: &Self::Buffer<A, E>,
        a_transposed: bool,
        b: &Self::Buffer<B, E>,
        b_transposed: bool,
    ) -> Self::Buffer<C, E>;

    /// `c += scale · op(a) · op(b)` for an `m × n` buffer `c`, the operands
    /// as in [`matmul`](Self::matmul): gradient descent folded into the
    /// weight-gradient product. The default forms the product and adds it
    /// with [`axpy`](Self::axpy); the CPU devices do it in one pass.
    #[allow(clippy::too_many_arguments)]
    fn matmul_add<A: Shape, B: Shape, C: Shape>(
        &self,
        c: &mut Self::Buffer<C, E>,
        scale: E,
        m: usize,
        k: usize,
        n: usize,
        a: &Self::Buffer<A, E>,
        a_transposed: bool,
        b: &Self::Buffer<B, E>,
        b_transposed: bool,
    ) {
        let product = self.matmul::<A, B, C>(m, k, n, a, a_transposed, b, b_transposed);
        self.axpy::<C>(c, scale, &product);
    }

    /// The `cols × rows` transpose of a `rows × cols` matrix.
    fn transpose<S: Shape, T: Shape>(
        &self,
        a: &Self::Buffer<S, E>,
        rows: usize,
        cols: usize,
    ) -> Self::Buffer<T, E>;

    /// Sum of all elements.
    fn sum<S: Shape>(&self, a: &Self::Buffer<S, E>) -> E;
    /// Sum of `op(x)` over all elements. The default applies `op` into a
    /// new buffer and sums it; a backend fuses the two passes.
    fn sum_of<S: Shape>(&self, op: UnaryOp, a: &Self::Buffer<S, E>) -> E {
        self.sum::<S>(&self.unary::<S>(op, a))
    }
    /// Largest element (the first one of equals); `None` for an empty buffer.
    fn max<S: Shape>(&self, a: &Self::Buffer<S, E>) -> Option<E>;
    /// Sums of a `rows × cols` matrix along `axis`: 0 gives one sum per column,
    /// 1 one sum per row.
    fn sum_axis<S: Shape, T: Shape>(
        &self,
        a: &Self::Buffer<S, E>,
        rows: usize,
        cols: usize,
        axis: usize,
    ) -> Self::Buffer<T, E>;
    /// Maxima of a `rows × cols` matrix along `axis` (as [`Kernels::sum_axis`]).
    fn max_axis<S: Shape, T: Shape>(
        &self,
        a: &Self::Buffer<S, E>,
        rows: usize,
        cols: usize,
        axis: usize,
    ) -> Self::Buffer<T, E>;

    /// Stacks an `a_rows × cols` and a `b_rows × cols` matrix along the rows.
    fn concat_rows<A: Shape, B: Shape, C: Shape>(
        &self,
        a: &Self::Buffer<A, E>,
        a_rows: usize,
        b: &Self::Buffer<B, E>,
        b_rows: usize,
        cols: usize,
    ) -> Self::Buffer<C, E>;

    /// The columns of a convolution (im2col): for a batch of images `x`
    /// (`W × H × C × N`), the `KW·KH·C × OW·OH·N` matrix whose column
    /// `ox + OW·(oy + OH·n)` holds the inputs under the window at output
    /// position `(ox, oy)` of image `n`, tap `kx + KW·(ky + KH·c)` in row
    /// order, zeros where the window lies on the padding. A
    /// [flipped](Window::flipped) window puts window tap `(kx, ky)` in the
    /// row of kernel tap `(KW − 1 − kx, KH − 1 − ky)`.
    fn im2col<S: Shape, T: Shape>(
        &self,
        x: &Self::Buffer<S, E>,
        window: &Window,
    ) -> Self::Buffer<T, E>;

    /// The adjoint of [`im2col`](Self::im2col) (col2im): every element of
    /// `cols` added to the input position it was read from, the padding's
    /// dropped. A batch of images of the window's input size.
    fn col2im<S: Shape, T: Shape>(
        &self,
        cols: &Self::Buffer<S, E>,
        window: &Window,
    ) -> Self::Buffer<T, E>;

    /// Each of `batch` consecutive `rows × cols` matrices transposed in its
    /// place.
    fn transpose_batched<S: Shape, T: Shape>(
        &self,
        a: &Self::Buffer<S, E>,
        rows: usize,
        cols: usize,
        batch: usize,
    ) -> Self::Buffer<T, E>;

    /// Pooling of each channel of each image of `x` over the window:
    /// `OW × OH × C × N` results.
    fn pool<S: Shape, T: Shape>(
        &self,
        x: &Self::Buffer<S, E>,
        window: &Window,
        pool: Pool,
    ) -> Self::Buffer<T, E>;

    /// The pullback of [`pool`](Self::pool) at `x` for the cotangent `dy`
    /// of its output: a maximum's cotangent goes to the input it took (the
    /// first of equals), a mean's is shared by the window's taps.
    fn pool_pullback<S: Shape, T: Shape>(
        &self,
        x: &Self::Buffer<S, E>,
        dy: &Self::Buffer<T, E>,
        window: &Window,
        pool: Pool,
    ) -> Self::Buffer<S, E>;

    /// `y[i, c, n] += v[c]` for a batch of images of `inner` elements per
    /// channel and `v.len()` channels (`inner × C × N`, the channel the
    /// middle axis): a bias per channel. The default runs the CPU's kernel
    /// on a copy in host memory.
    fn add_channels<S: Shape, V: Shape>(
        &self,
        y: &mut Self::Buffer<S, E>,
        inner: usize,
        v: &Self::Buffer<V, E>,
    ) {
        let mut host = self.download::<S, E>(y);
        crate::cpu::channels::add_channels(&mut host, inner, &self.download::<V, E>(v));
        *y = self.upload::<S, E>(&host);
    }

    /// The adjoint of [`add_channels`](Self::add_channels): the sum of each
    /// of `channels` channels over the positions and the batch.
    fn sum_channels<S: Shape, V: Shape>(
        &self,
        y: &Self::Buffer<S, E>,
        inner: usize,
        channels: usize,
    ) -> Self::Buffer<V, E> {
        let host = self.download::<S, E>(y);
        self.upload::<V, E>(&crate::cpu::channels::sum_channels(&host, inner, channels))
    }

    /// The depthwise convolution of a batch of images `x` (`W × H × C ×
    /// N`) with the kernels `w` (`KW × KH × 1 × CO`, `CO` a multiple of
    /// `C`) over the window: output channel `o` is input channel `o /
    /// (CO / C)` convolved with kernel `o` (flipped if the window is),
    /// `OW × OH × CO × N` results. The default runs the CPU's kernel on a
    /// copy in host memory.
    fn depthwise_conv<S: Shape, W: Shape, T: Shape>(
        &self,
        x: &Self::Buffer<S, E>,
        w: &Self::Buffer<W, E>,
        window: &Window,
        out_channels: usize,
    ) -> Self::Buffer<T, E> {
        let (x, w) = (self.download::<S, E>(x), self.download::<W, E>(w));
        self.upload::<T, E>(&crate::cpu::channels::depthwise(
            &x,
            &w,
            window,
            out_channels,
        ))
    }

    /// The cotangent of [`depthwise_conv`](Self::depthwise_conv)'s input
    /// for the cotangent `dy` of its output.
    fn depthwise_conv_input_grad<W: Shape, T: Shape, S: Shape>(
        &self,
        w: &Self::Buffer<W, E>,
        dy: &Self::Buffer<T, E>,
        window: &Window,
        out_channels: usize,
    ) -> Self::Buffer<S, E> {
        let (w, dy) = (self.download::<W, E>(w), self.download::<T, E>(dy));
        self.upload::<S, E>(&crate::cpu::channels::depthwise_input_grad(
            &w,
            &dy,
            window,
            out_channels,
        ))
    }

    /// The cotangent of [`depthwise_conv`](Self::depthwise_conv)'s kernels
    /// for the cotangent `dy` of its output.
    fn depthwise_conv_weight_grad<S: Shape, T: Shape, W: Shape>(
        &self,
        x: &Self::Buffer<S, E>,
        dy: &Self::Buffer<T, E>,
        window: &Window,
        out_channels: usize,
    ) -> Self::Buffer<W, E> {
        let (x, dy) = (self.download::<S, E>(x), self.download::<T, E>(dy));
        self.upload::<W, E>(&crate::cpu::channels::depthwise_weight_grad(
            &x,
            &dy,
            window,
            out_channels,
        ))
    }

    /// Softmax of each column of a `rows × (len / rows)` matrix:
    /// `e^(x - max) / Σ e^(x - max)`, or its logarithm
    /// `x - max - ln Σ e^(x - max)` when `log`.
    fn softmax<S: Shape>(
        &self,
        a: &Self::Buffer<S, E>,
        rows: usize,
        log: bool,
    ) -> Self::Buffer<S, E>;

    /// The pullback of [`softmax`](Self::softmax) per column, given its
    /// output `y` and the output's cotangent `dy`: `y ⊙ (dy - Σ dy ⊙ y)`,
    /// or `dy - e^y · Σ dy` when `log`.
    fn softmax_pullback<S: Shape>(
        &self,
        y: &Self::Buffer<S, E>,
        dy: &Self::Buffer<S, E>,
        rows: usize,
        log: bool,
    ) -> Self::Buffer<S, E>;

    /// `-Σ y · logsoftmax(x)` over each column of the logits `x` against the
    /// targets `y`, summed over the columns and times `scale`, with its
    /// gradient in `x`: per column `scale · (softmax(x) · Σ y - y)`. One
    /// pass, finite for every finite logit.
    fn logit_cross_entropy<S: Shape>(
        &self,
        x: &Self::Buffer<S, E>,
        y: &Self::Buffer<S, E>,
        rows: usize,
        scale: E,
    ) -> (E, Self::Buffer<S, E>);

    /// `fused(x)` on a device that may run a whole chain of dense layers in
    /// one pass ([`dense_chain`](Self::dense_chain)), `plain(x)` on one
    /// that never does (the default: the CPU devices). The device's type
    /// makes the choice, so where it is `plain`, `fused` is not even
    /// compiled: a chain on such a device asks nothing and costs nothing
    /// more, in run time or in build time.
    #[inline(always)]
    fn dense_chains_or<X, R>(x: X, fused: impl FnOnce(X) -> R, plain: impl FnOnce(X) -> R) -> R {
        let _ = fused;
        plain(x)
    }

    /// `layers` applied to `x` (`layers[0].inputs × n`, column-major) in one
    /// pass, the last layer's output returned, with what
    /// [`dense_chain_backward`](Self::dense_chain_backward) needs when
    /// `keep`; `None` where this device does not run this chain in one pass
    /// (too wide, an activation it does not know, or turned off), and the
    /// chain then runs layer by layer. `params` holds each layer's weight
    /// (`outputs × inputs`) and bias.
    fn dense_chain(
        &self,
        layers: &[ChainLayer],
        x: &Self::Buffer<(usize,), E>,
        params: &[ChainParams<Self::Buffer<(usize,), E>>],
        keep: bool,
    ) -> Option<ChainOutput<Self::Buffer<(usize,), E>>> {
        let _ = (layers, x, params, keep);
        None
    }

    /// The backward pass of a chain that [`dense_chain`](Self::dense_chain)
    /// ran on `x`, keeping `kept`: from the output's cotangent `dy`, the
    /// input's and every layer's gradients. `None` on a device without
    /// fused chains (it never kept anything to call this with).
    fn dense_chain_backward(
        &self,
        layers: &[ChainLayer],
        x: &Self::Buffer<(usize,), E>,
        weights: &[Self::Buffer<(usize,), E>],
        kept: &ChainKept<Self::Buffer<(usize,), E>>,
        dy: &Self::Buffer<(usize,), E>,
    ) -> Option<ChainGradients<Self::Buffer<(usize,), E>>> {
        let _ = (layers, x, weights, kept, dy);
        None
    }
}
