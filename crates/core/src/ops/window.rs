//! Sliding windows over images: the geometry of convolutions and pooling,
//! with every output size computed by the type checker.
//!
//! Along one axis, a window of `K` taps spaced `D` apart (the dilation)
//! spans `D·(K − 1) + 1` inputs; it starts at every `S`-th position (the
//! stride) of the input padded with `P_lo` zeros before and `P_hi` after,
//! and gives `(N + P_lo + P_hi − D·(K − 1) − 1) / S + 1` outputs, rounded
//! down as in Flux. [`Slide`] computes that size in typenum and names it
//! as a [`Const`], so a window that does not fit, or a zero stride, is a
//! compile error, and the layer after a convolution must take exactly the
//! size it produces.

use crate::dims::{Const, ConstDim, ToConst, ToTypenum};
use core::fmt::Debug;
use core::ops::{Add, Div, Mul, Rem, Sub};
use typenum::{Add1, B1, Diff, NonZero, Prod, Quot, Sub1, Sum, U0, U2, Unsigned};

/// `P` zeros on both sides of each spatial axis: Flux's `pad = P`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pad<const P: usize>;

/// As many zeros as keep the size, `⌈N / S⌉` outputs for `N` inputs:
/// Flux's `pad = SamePad()`. A window spanning `k` inputs gets `k − 1`
/// zeros, the odd one before. A transposed window gets `D·(K − S)`,
/// so that `N` inputs give `N·S` outputs without dilation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SamePad;

/// The padding of a window spanning `Span` inputs along an axis (a typenum
/// number): the total in typenum, and the zeros before at run time.
pub trait Padding<Span: Unsigned>: Copy + Default + Debug + Send + Sync + 'static {
    /// Zeros before and after together.
    type Total: Unsigned;

    /// Zeros before the first input.
    fn low() -> usize;
}

impl<const P: usize, Span: Unsigned> Padding<Span> for Pad<P>
where
    Const<P>: ToTypenum,
    <Const<P> as ToTypenum>::Output: Mul<U2>,
    Prod<<Const<P> as ToTypenum>::Output, U2>: Unsigned,
{
    type Total = Prod<<Const<P> as ToTypenum>::Output, U2>;

    #[inline(always)]
    fn low() -> usize {
        P
    }
}

impl<Span: Unsigned + Sub<B1>> Padding<Span> for SamePad
where
    Sub1<Span>: Unsigned,
{
    type Total = Sub1<Span>;

    #[inline(always)]
    fn low() -> usize {
        Span::USIZE / 2
    }
}

/// The inputs a window of `K` taps dilated by `D` spans: `D·(K − 1) + 1`.
pub type Span<K, D> = Add1<Prod<Sub1<K>, D>>;

/// The outputs along an axis of `N` inputs (all typenum numbers):
/// `(N + padding − span) / S + 1`.
pub type Outputs<N, Total, Sp, S> = Add1<Quot<Diff<Sum<N, Total>, Sp>, S>>;

/// The run-time form of a window's stepping along both axes, for kernels
/// of `k` taps.
pub trait Stepping: Copy + Default + Debug + Send + Sync + 'static {
    /// Positions between window starts for a kernel of `k` taps.
    fn stride(k: usize) -> usize;
    /// Positions between taps.
    fn dilation() -> usize;
    /// Zeros before the first input, for a window spanning `span` inputs.
    fn pad_low(span: usize) -> usize;
    /// The zeros before and after each axis, width first, for a kernel of
    /// `kernel` taps, transposed or not: Flux's `pad` tuple `(w_lo, w_hi,
    /// h_lo, h_hi)`.
    fn padding(kernel: [usize; 2], transposed: bool) -> [usize; 4];
}

/// Stride `S`, padding `P` ([`Pad`] or [`SamePad`]) and dilation `DIL`, the
/// same along both axes: Flux's `stride`, `pad` and `dilation` keywords.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Geometry<const S: usize = 1, P = Pad<0>, const DIL: usize = 1>(
    core::marker::PhantomData<P>,
);

/// Windows that tile the input: the stride is the kernel size, no padding,
/// no dilation. Flux's default for pooling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tiled;

/// Padding that holds for every span, at run time: a [`Pad`] or [`SamePad`].
pub trait AnyPadding: Copy + Default + Debug + Send + Sync + 'static {
    /// Zeros before the first input for a window spanning `span` inputs.
    fn low(span: usize) -> usize;

    /// Zeros after the last input for a window spanning `span` inputs.
    fn high(span: usize) -> usize;

    /// Zeros before the first output of a transposed window of `kernel`
    /// taps, stepped by `stride`, dilated by `dilation` (see [`Unslide`]).
    fn transposed_low(kernel: usize, stride: usize, dilation: usize) -> usize;

    /// Zeros after the last output of the same transposed window.
    fn transposed_high(kernel: usize, stride: usize, dilation: usize) -> usize;
}

impl<const P: usize> AnyPadding for Pad<P> {
    #[inline(always)]
    fn low(_: usize) -> usize {
        P
    }

    #[inline(always)]
    fn high(_: usize) -> usize {
        P
    }

    #[inline(always)]
    fn transposed_low(_: usize, _: usize, _: usize) -> usize {
        P
    }

    #[inline(always)]
    fn transposed_high(_: usize, _: usize, _: usize) -> usize {
        P
    }
}

impl AnyPadding for SamePad {
    #[inline(always)]
    fn low(span: usize) -> usize {
        span / 2
    }

    #[inline(always)]
    fn high(span: usize) -> usize {
        span.saturating_sub(1) - span / 2
    }

    #[inline(always)]
    fn transposed_low(kernel: usize, stride: usize, dilation: usize) -> usize {
        (dilation * kernel.saturating_sub(stride)).div_ceil(2)
    }

    #[inline(always)]
    fn transposed_high(kernel: usize, stride: usize, dilation: usize) -> usize {
        dilation * kernel.saturating_sub(stride) / 2
    }
}

impl<const S: usize, P: AnyPadding, const DIL: usize> Stepping for Geometry<S, P, DIL> {
    #[inline(always)]
    fn stride(_: usize) -> usize {
        S
    }
    #[inline(always)]
    fn dilation() -> usize {
        DIL
    }
    #[inline(always)]
    fn pad_low(span: usize) -> usize {
        P::low(span)
    }
    fn padding(kernel: [usize; 2], transposed: bool) -> [usize; 4] {
        let [w, h] = kernel.map(|k| {
            if transposed {
                [P::transposed_low(k, S, DIL), P::transposed_high(k, S, DIL)]
            } else {
                let span = DIL * k.saturating_sub(1) + 1;
                [P::low(span), P::high(span)]
            }
        });
        [w[0], w[1], h[0], h[1]]
    }
}

impl Stepping for Tiled {
    #[inline(always)]
    fn stride(k: usize) -> usize {
        k
    }
    #[inline(always)]
    fn dilation() -> usize {
        1
    }
    #[inline(always)]
    fn pad_low(_: usize) -> usize {
        0
    }
    fn padding(_: [usize; 2], _: bool) -> [usize; 4] {
        [0; 4]
    }
}

/// The number of window positions along an axis of `N` inputs for a kernel
/// of `K` taps, computed by the type checker: implemented only where the
/// window fits and the stride is not zero.
#[diagnostic::on_unimplemented(
    message = "a window of `{K}` taps stepped by `{Self}` does not fit an axis of `{N}` inputs",
    label = "the kernel, its dilation and padding must fit the input, and the stride must not be 0",
    note = "outputs along an axis: (inputs + padding − dilation·(kernel − 1) − 1) / stride + 1, \
            rounded down; the inputs must be at least dilation·(kernel − 1) + 1 − padding"
)]
pub trait Slide<N: ConstDim, K: ConstDim>: Stepping {
    /// The number of outputs.
    type Out: ConstDim;
}

/// Typenum form of the three sizes of an axis.
type Tn<const N: usize> = <Const<N> as ToTypenum>::Output;

#[diagnostic::do_not_recommend]
impl<const N: usize, const K: usize, const S: usize, P, const DIL: usize> Slide<Const<N>, Const<K>>
    for Geometry<S, P, DIL>
where
    P: AnyPadding + Padding<Span<Tn<K>, Tn<DIL>>>,
    Const<N>: ToTypenum,
    Const<K>: ToTypenum,
    Const<S>: ToTypenum,
    Const<DIL>: ToTypenum,
    Tn<K>: Sub<B1>,
    Sub1<Tn<K>>: Mul<Tn<DIL>>,
    Prod<Sub1<Tn<K>>, Tn<DIL>>: Add<B1>,
    Span<Tn<K>, Tn<DIL>>: Unsigned,
    Tn<N>: Add<<P as Padding<Span<Tn<K>, Tn<DIL>>>>::Total>,
    Sum<Tn<N>, <P as Padding<Span<Tn<K>, Tn<DIL>>>>::Total>: Sub<Span<Tn<K>, Tn<DIL>>>,
    Diff<Sum<Tn<N>, <P as Padding<Span<Tn<K>, Tn<DIL>>>>::Total>, Span<Tn<K>, Tn<DIL>>>: Div<Tn<S>>,
    Quot<
        Diff<Sum<Tn<N>, <P as Padding<Span<Tn<K>, Tn<DIL>>>>::Total>, Span<Tn<K>, Tn<DIL>>>,
        Tn<S>,
    >: Add<B1>,
    Outputs<Tn<N>, <P as Padding<Span<Tn<K>, Tn<DIL>>>>::Total, Span<Tn<K>, Tn<DIL>>, Tn<S>>:
        ToConst,
{
    type Out = <Outputs<
        Tn<N>,
        <P as Padding<Span<Tn<K>, Tn<DIL>>>>::Total,
        Span<Tn<K>, Tn<DIL>>,
        Tn<S>,
    > as ToConst>::Output;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const K: usize> Slide<Const<N>, Const<K>> for Tiled
where
    Geometry<K, Pad<0>, 1>: Slide<Const<N>, Const<K>>,
{
    type Out = <Geometry<K, Pad<0>, 1> as Slide<Const<N>, Const<K>>>::Out;
}

/// The outputs along an axis of `N` inputs of a transposed window (all
/// typenum numbers): `(N − 1)·S + span − padding`.
pub type TransposedOutputs<N, Total, Sp, S> = Diff<Sum<Prod<Sub1<N>, S>, Sp>, Total>;

/// The number of outputs of a *transposed* window along an axis of `N`
/// inputs for a kernel of `K` taps, computed by the type checker: the size
/// `M` whose window ([`Slide`]) gives back exactly `N`,
/// `(N − 1)·S + D·(K − 1) + 1 − padding`, as Flux's `ConvTranspose`
/// computes it. Implemented only where that size is positive and the
/// stride is not zero.
#[diagnostic::on_unimplemented(
    message = "a transposed window of `{K}` taps stepped by `{Self}` does not fit an axis of `{N}` inputs",
    label = "the padding must leave at least one output, the stride must not be 0, and with `SamePad` the kernel must be at least the stride",
    note = "outputs along an axis: (inputs − 1)·stride + dilation·(kernel − 1) + 1 − padding; \
            `SamePad` pads dilation·(kernel − stride), so the kernel must be at least the stride"
)]
pub trait Unslide<N: ConstDim, K: ConstDim>: Stepping {
    /// The number of outputs.
    type Out: ConstDim;
}

#[diagnostic::do_not_recommend]
impl<const N: usize, const K: usize, const S: usize, const P: usize, const DIL: usize>
    Unslide<Const<N>, Const<K>> for Geometry<S, Pad<P>, DIL>
where
    Const<N>: ToTypenum,
    Const<K>: ToTypenum,
    Const<S>: ToTypenum,
    Const<P>: ToTypenum,
    Const<DIL>: ToTypenum,
    Tn<S>: NonZero,
    Tn<P>: Mul<U2>,
    Tn<K>: Sub<B1>,
    Sub1<Tn<K>>: Mul<Tn<DIL>>,
    Prod<Sub1<Tn<K>>, Tn<DIL>>: Add<B1>,
    Span<Tn<K>, Tn<DIL>>: Unsigned,
    Tn<N>: Sub<B1>,
    Sub1<Tn<N>>: Mul<Tn<S>>,
    Prod<Sub1<Tn<N>>, Tn<S>>: Add<Span<Tn<K>, Tn<DIL>>>,
    Sum<Prod<Sub1<Tn<N>>, Tn<S>>, Span<Tn<K>, Tn<DIL>>>: Sub<Prod<Tn<P>, U2>>,
    TransposedOutputs<Tn<N>, Prod<Tn<P>, U2>, Span<Tn<K>, Tn<DIL>>, Tn<S>>: ToConst + NonZero,
{
    type Out =
        <TransposedOutputs<Tn<N>, Prod<Tn<P>, U2>, Span<Tn<K>, Tn<DIL>>, Tn<S>> as ToConst>::Output;
}

/// With `SamePad`, `D·(K − S)` zeros: `(N − 1)·S + D·(S − 1) + 1`
/// outputs, for any kernel at least as large as the stride.
#[diagnostic::do_not_recommend]
impl<const N: usize, const K: usize, const S: usize, const DIL: usize> Unslide<Const<N>, Const<K>>
    for Geometry<S, SamePad, DIL>
where
    Const<N>: ToTypenum,
    Const<K>: ToTypenum,
    Const<S>: ToTypenum,
    Const<DIL>: ToTypenum,
    Tn<S>: NonZero,
    // The kernel is at least the stride: (N + K) − (N + S) exists. (Said
    // with N, so that the check waits for the input's size, and the error
    // names it.)
    Tn<N>: Add<Tn<K>> + Add<Tn<S>>,
    Sum<Tn<N>, Tn<K>>: Sub<Sum<Tn<N>, Tn<S>>>,
    Tn<S>: Sub<B1>,
    Sub1<Tn<S>>: Mul<Tn<DIL>>,
    Prod<Sub1<Tn<S>>, Tn<DIL>>: Add<B1>,
    Span<Tn<S>, Tn<DIL>>: Unsigned,
    Tn<N>: Sub<B1>,
    Sub1<Tn<N>>: Mul<Tn<S>>,
    Prod<Sub1<Tn<N>>, Tn<S>>: Add<Span<Tn<S>, Tn<DIL>>>,
    Sum<Prod<Sub1<Tn<N>>, Tn<S>>, Span<Tn<S>, Tn<DIL>>>: ToConst,
{
    type Out = <Sum<Prod<Sub1<Tn<N>>, Tn<S>>, Span<Tn<S>, Tn<DIL>>> as ToConst>::Output;
}

/// Whether a convolution reads its kernel flipped: a true convolution
/// ([`Convolution`], Flux's `Conv`) or a cross-correlation
/// ([`CrossCorrelation`], Flux's `CrossCor`, what PyTorch and JAX call a
/// convolution).
pub trait Orientation: Copy + Default + Debug + Send + Sync + 'static {
    /// Tap `(kx, ky)` of the weight multiplies the input under tap
    /// `(KW − 1 − kx, KH − 1 − ky)` of the window.
    const FLIPPED: bool;
}

/// A true convolution: the kernel is flipped along both axes, as Flux's
/// (and NNlib's) `conv` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Convolution;

/// A cross-correlation: the kernel is read as stored, as Flux's `CrossCor`
/// (and PyTorch's `conv2d`) does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CrossCorrelation;

impl Orientation for Convolution {
    const FLIPPED: bool = true;
}

impl Orientation for CrossCorrelation {
    const FLIPPED: bool = false;
}

/// `Self`, a number of output channels, is a positive multiple of `CI`,
/// the input channels: what a depthwise convolution needs.
#[diagnostic::on_unimplemented(
    message = "`{Self}` output channels are not a multiple of `{CI}` input channels",
    label = "a depthwise convolution gives each input channel the same number of outputs",
    note = "choose output channels = input channels × a multiplier of at least 1"
)]
pub trait MultipleOf<CI: ConstDim>: ConstDim {}

#[diagnostic::do_not_recommend]
impl<const CO: usize, const CI: usize> MultipleOf<Const<CI>> for Const<CO>
where
    Const<CO>: ToTypenum,
    Const<CI>: ToTypenum,
    Tn<CI>: NonZero,
    Tn<CO>: NonZero + Rem<Tn<CI>, Output = U0>,
{
}

/// What a pooling window keeps of its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pool {
    /// The largest (the first of equals); a window wholly in the padding
    /// gives 0.
    Max,
    /// The sum divided by the kernel's taps, padding counted as zeros
    /// (as NNlib's `meanpool`).
    Mean,
}

/// Where a sliding window runs, at run time: the sizes of the input, the
/// kernel and the output, and the stepping. What the convolution and
/// pooling kernels of a device receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// Width and height of each input image.
    pub input: [usize; 2],
    /// Channels.
    pub channels: usize,
    /// Images in the batch.
    pub batch: usize,
    /// Taps of the kernel along width and height.
    pub kernel: [usize; 2],
    /// Positions between window starts.
    pub stride: [usize; 2],
    /// Positions between taps.
    pub dilation: [usize; 2],
    /// Zeros before the first input.
    pub pad: [usize; 2],
    /// Width and height of each output image.
    pub output: [usize; 2],
    /// Whether the kernel is read flipped ([`Orientation::FLIPPED`]): tap
    /// `(kx, ky)` of a convolution's weight (row `kx + KW·ky` of a column
    /// of [`im2col`](crate::Kernels::im2col)) multiplies the input under
    /// tap `(KW − 1 − kx, KH − 1 − ky)` of the window. Pooling ignores it.
    pub flipped: bool,
}

impl Window {
    /// The window of a layer with kernel `kernel` stepped by `G` over images
    /// of `input` (width, height), `channels` and `batch`; the output size is
    /// `output`, which the types have computed.
    #[inline]
    pub fn new<G: Stepping>(
        input: [usize; 2],
        channels: usize,
        batch: usize,
        kernel: [usize; 2],
        output: [usize; 2],
    ) -> Window {
        let dilation = G::dilation();
        let span = |k: usize| dilation * (k - 1) + 1;
        Window {
            input,
            channels,
            batch,
            kernel,
            stride: [G::stride(kernel[0]), G::stride(kernel[1])],
            dilation: [dilation; 2],
            pad: [G::pad_low(span(kernel[0])), G::pad_low(span(kernel[1]))],
            output,
            flipped: false,
        }
    }

    /// The window of a transposed convolution stepped by `G` from images of
    /// `input` (width, height) to images of `output` with `channels`: the
    /// window of the convolution the other way, over the `output` images,
    /// whose adjoint the transposed convolution is ([`Unslide`]).
    #[inline]
    pub fn transposed<G: Stepping>(
        input: [usize; 2],
        channels: usize,
        batch: usize,
        kernel: [usize; 2],
        output: [usize; 2],
    ) -> Window {
        let dilation = G::dilation();
        let pad = G::padding(kernel, true);
        Window {
            input: output,
            channels,
            batch,
            kernel,
            stride: [G::stride(kernel[0]), G::stride(kernel[1])],
            dilation: [dilation; 2],
            pad: [pad[0], pad[2]],
            output: input,
            flipped: false,
        }
    }

    /// The same window with its kernel read flipped or not.
    #[inline]
    #[must_use]
    pub fn flip(self, flipped: bool) -> Window {
        Window { flipped, ..self }
    }

    /// The weight's tap read at window tap `k` along `axis`: `k`, or
    /// `K − 1 − k` for a flipped kernel.
    #[inline(always)]
    pub fn tap(&self, axis: usize, k: usize) -> usize {
        if self.flipped {
            self.kernel[axis] - 1 - k
        } else {
            k
        }
    }

    /// Output positions of one image of one channel: `OW·OH`.
    #[inline]
    pub fn positions(&self) -> usize {
        self.output[0] * self.output[1]
    }

    /// Taps of the kernel over one channel: `KW·KH`.
    #[inline]
    pub fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// Elements of the input: `W·H·C·N`.
    #[inline]
    pub fn input_len(&self) -> usize {
        self.input[0] * self.input[1] * self.channels * self.batch
    }

    /// The input position read by tap `k` of output position `o` along
    /// `axis`, or `None` where it falls into the padding.
    #[inline(always)]
    pub fn source(&self, axis: usize, o: usize, k: usize) -> Option<usize> {
        (o * self.stride[axis] + k * self.dilation[axis])
            .checked_sub(self.pad[axis])
            .filter(|&i| i < self.input[axis])
    }

    /// Panics unless the stepping is positive and `len`, the length of the
    /// input buffer, is the input's element count: the kernels index by
    /// these sizes (with bounds checks).
    #[track_caller]
    pub fn check(&self, op: &str, len: usize) {
        let positive = |a: [usize; 2]| a[0] > 0 && a[1] > 0;
        assert!(
            positive(self.stride) && positive(self.kernel) && positive(self.dilation),
            "{op}: the window {self:?} has a zero stride, kernel or dilation"
        );
        assert_eq!(
            len,
            self.input_len(),
            "{op}: the input holds {len} elements, the window reads {}",
            self.input_len()
        );
    }
}
