//! The convolution layers: Flux's `Conv`, `CrossCor`, `ConvTranspose` and
//! `DepthwiseConv`.

use crate::activation::{Activation, Identity};
use crate::dense::{BiasParam, IntoBias};
use crate::init::{glorot_uniform, with_default_rng};
use crate::layer::Layer;
use crate::show::summary;
use core::fmt;
use rand::Rng;
use rand::rngs::StdRng;
use typeflux_ad::reverse::rules::conv::{self, ConvNode, Images, WindowOut};
use typeflux_ad::reverse::rules::conv_transpose::{self, ConvTransposeNode, TransposedOut};
use typeflux_ad::reverse::rules::depthwise::{self, DepthwiseNode};
use typeflux_ad::reverse::{Join3, Node, Operand, Optional, Param};
use typeflux_core::functor::Functor;
use typeflux_core::ops::window::{
    AnyPadding, Convolution, CrossCorrelation, Geometry, MultipleOf, Orientation, Pad, SamePad,
    Slide, Stepping, Unslide,
};
use typeflux_core::{Const, Cpu, Device, Element, Host, Kernels, Tensor, TensorKind};

/// The weight of a `Conv<KW, KH, CI, CO>`: `KW × KH × CI × CO`, as Flux
/// stores it.
pub type ConvWeight<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    E = f32,
    D = Cpu,
> = Tensor<(Const<KW>, Const<KH>, Const<CI>, Const<CO>), E, D>;

/// A batch of images: `W × H × C` per sample, the batch known at run time
/// (Flux's `WHCN` layout).
pub type Images4<const W: usize, const H: usize, const C: usize, E = f32, D = Cpu> =
    Tensor<(Const<W>, Const<H>, Const<C>, usize), E, D>;

/// `y = activation(w ⋆ x .+ b)`: a `KW × KH` convolution from `CI` to `CO`
/// channels over a batch of images `W × H × CI × N`, Flux's
/// `Conv((KW, KH), CI => CO, activation)`.
///
/// The stride, the padding ([`Pad`] or [`SamePad`]) and the dilation are
/// the type parameter `G` ([`Geometry`], stride 1, no padding, no
/// dilation unless [`stride`](Conv::stride), [`pad`](Conv::pad),
/// [`same_pad`](Conv::same_pad) or [`dilation`](Conv::dilation) say
/// otherwise), so the output's width and height,
/// `(W + 2P − D·(K − 1) − 1) / S + 1`, are computed by the type checker:
/// the layer after it must take exactly that size, and a window that does
/// not fit the input does not compile.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let layer = Conv::<3, 3, 1, 4>::new(relu).stride::<2>().pad::<1>();
/// let x = Tensor::<(Const<7>, Const<7>, Const<1>, usize)>::ones_with((Const, Const, Const, 2));
/// let y = layer.forward(&x); // (7 + 2 − 2 − 1) / 2 + 1 = 4
/// assert_eq!(y.shape(), (Const::<4>, Const::<4>, Const::<4>, 2));
/// ```
///
/// ```compile_fail
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let layer = Conv::<5, 5, 1, 4>::new(relu);
/// let x = Tensor::<(Const<3>, Const<3>, Const<1>, usize)>::ones_with((Const, Const, Const, 2));
/// let y = layer.forward(&x); // a 5 × 5 kernel does not fit a 3 × 3 image
/// ```
///
/// Like Flux's `Conv` (NNlib's `conv`), it is a true convolution: the
/// kernel is flipped along both axes, so weights saved by Flux give Flux's
/// numbers. [`CrossCor`] reads the kernel as stored, as PyTorch and JAX do.
///
/// The forward pass is one rule of typeflux-ad
/// ([`rules::conv`](typeflux_ad::reverse::rules::conv)): im2col, the
/// product, bias and activation forwards, and their pullback (col2im for
/// the input) fused; the gradient of a `Conv` is a `Conv`.
#[derive(Clone, Functor)]
pub struct Conv<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    A = Identity,
    G = Geometry,
    E: Element = f32,
    D: Device = Cpu,
    W = ConvWeight<KW, KH, CI, CO, E, D>,
    B = Option<Tensor<(Const<CO>,), E, D>>,
    O = Convolution,
> {
    /// The `KW × KH × CI × CO` kernel.
    pub weight: W,
    /// The bias, one per output channel; `None` for a layer without one.
    pub bias: B,
    /// The activation, applied after the bias.
    #[functor(skip)]
    pub activation: A,
    /// Stride, padding and dilation.
    #[functor(skip)]
    pub geometry: G,
    /// Whether the kernel is flipped: [`Convolution`] (Flux's `Conv`) or
    /// [`CrossCorrelation`] (Flux's `CrossCor`).
    #[functor(skip)]
    pub orientation: O,
    /// The element type and device of the tensors.
    #[functor(skip)]
    kind: TensorKind<E, D>,
}

/// `y = activation(w ⋆ x .+ b)` without flipping the kernel, Flux's
/// `CrossCor((KW, KH), CI => CO, activation)`: a [`Conv`] whose
/// orientation is [`CrossCorrelation`], what PyTorch's `Conv2d` and JAX's
/// `conv` compute. Built and used as a `Conv` is.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// // The kernel [1 2] (width first) over the row [1 2 3].
/// let w = Tensor::<(Const<2>, Const<1>, Const<1>, Const<1>)>::from_vec(Default::default(), vec![1.0, 2.0]).unwrap();
/// let x = Tensor::<(Const<3>, Const<1>, Const<1>, usize)>::from_vec((Const, Const, Const, 1), vec![1.0, 2.0, 3.0]).unwrap();
/// let read: CrossCor<2, 1, 1, 1> = CrossCor::from_parts(w.clone(), false, identity);
/// let flipped: Conv<2, 1, 1, 1> = Conv::from_parts(w, false, identity);
/// assert_eq!(read.forward(&x).to_vec(), vec![5.0, 8.0]);    // 1·1 + 2·2, 1·2 + 2·3
/// assert_eq!(flipped.forward(&x).to_vec(), vec![4.0, 7.0]); // 2·1 + 1·2, 2·2 + 1·3
/// ```
pub type CrossCor<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    A = Identity,
    G = Geometry,
    E = f32,
    D = Cpu,
> = Conv<
    KW,
    KH,
    CI,
    CO,
    A,
    G,
    E,
    D,
    ConvWeight<KW, KH, CI, CO, E, D>,
    Option<Tensor<(Const<CO>,), E, D>>,
    CrossCorrelation,
>;

/// The weight of a `ConvTranspose<KW, KH, CI, CO>`: `KW × KH × CO × CI`,
/// as Flux stores it (the weight of the convolution it is the adjoint of).
pub type ConvTransposeWeight<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    E = f32,
    D = Cpu,
> = Tensor<(Const<KW>, Const<KH>, Const<CO>, Const<CI>), E, D>;

/// `y = activation(wᵀ ⋆ x .+ b)`: a transposed convolution with a `KW × KH`
/// kernel from `CI` to `CO` channels, Flux's `ConvTranspose((KW, KH), CI =>
/// CO, activation)`, the adjoint of a `Conv` in its input: it maps images
/// of a `Conv`'s output size back to its input size, an upsampling with
/// learnt kernels.
///
/// Stride, padding ([`Pad`] or [`SamePad`]) and dilation are the type
/// parameter `G`, changed by the same keywords as a [`Conv`]'s; the output
/// size, `(N − 1)·S + D·(K − 1) + 1 − 2P`, and `N·S` for
/// [`same_pad`](ConvTranspose::same_pad) without dilation, is computed by
/// the type checker ([`Unslide`]).
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let up = ConvTranspose::<3, 3, 4, 1>::new(relu).stride::<2>().pad::<1>();
/// let x = Tensor::<(Const<4>, Const<4>, Const<4>, usize)>::ones_with((Const, Const, Const, 2));
/// let y = up.forward(&x); // (4 − 1)·2 + 3 − 2 = 7
/// assert_eq!(y.shape(), (Const::<7>, Const::<7>, Const::<1>, 2));
/// let same = ConvTranspose::<4, 4, 4, 1>::new(relu).stride::<2>().same_pad();
/// assert_eq!(same.forward(&x).shape(), (Const::<8>, Const::<8>, Const::<1>, 2));
/// ```
///
/// The forward pass is one rule of typeflux-ad
/// ([`rules::conv_transpose`](typeflux_ad::reverse::rules::conv_transpose)):
/// the product and col2im forwards, im2col and the products backwards.
#[derive(Clone, Functor)]
pub struct ConvTranspose<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    A = Identity,
    G = Geometry,
    E: Element = f32,
    D: Device = Cpu,
    W = ConvTransposeWeight<KW, KH, CI, CO, E, D>,
    B = Option<Tensor<(Const<CO>,), E, D>>,
    O = Convolution,
> {
    /// The `KW × KH × CO × CI` kernel.
    pub weight: W,
    /// The bias, one per output channel; `None` for a layer without one.
    pub bias: B,
    /// The activation, applied after the bias.
    #[functor(skip)]
    pub activation: A,
    /// Stride, padding and dilation.
    #[functor(skip)]
    pub geometry: G,
    /// Whether the convolution it is the adjoint of flips its kernel
    /// ([`Convolution`], as Flux's).
    #[functor(skip)]
    pub orientation: O,
    /// The element type and device of the tensors.
    #[functor(skip)]
    kind: TensorKind<E, D>,
}

/// The kernels of a `DepthwiseConv<KW, KH, CI, CO>`: `KW × KH × 1 × CO`,
/// as Flux stores them.
pub type DepthwiseConvWeight<const KW: usize, const KH: usize, const CO: usize, E = f32, D = Cpu> =
    Tensor<(Const<KW>, Const<KH>, Const<1>, Const<CO>), E, D>;

/// `y = activation(w ⊛ x .+ b)`: a depthwise convolution, each of the
/// `CO` output channels one of the `CI` input channels convolved with its
/// own `KW × KH` kernel, Flux's `DepthwiseConv((KW, KH), CI => CO,
/// activation)` (a `Conv` with `groups = CI`). `CO` must be a multiple of
/// `CI`: output channel `o` reads input channel `o / (CO / CI)`; other
/// sizes do not compile.
///
/// Stride, padding and dilation are set as a [`Conv`]'s are, and the
/// output size is the same.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let layer = DepthwiseConv::<3, 3, 4, 8>::new(relu).same_pad();
/// let x = Tensor::<(Const<6>, Const<6>, Const<4>, usize)>::ones_with((Const, Const, Const, 2));
/// assert_eq!(layer.forward(&x).shape(), (Const::<6>, Const::<6>, Const::<8>, 2));
/// ```
///
/// ```compile_fail
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let layer = DepthwiseConv::<3, 3, 4, 6>::new(relu); // 6 is not a multiple of 4
/// ```
///
/// The forward pass is one rule of typeflux-ad
/// ([`rules::depthwise`](typeflux_ad::reverse::rules::depthwise)).
#[derive(Clone, Functor)]
pub struct DepthwiseConv<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    A = Identity,
    G = Geometry,
    E: Element = f32,
    D: Device = Cpu,
    W = DepthwiseConvWeight<KW, KH, CO, E, D>,
    B = Option<Tensor<(Const<CO>,), E, D>>,
    O = Convolution,
> {
    /// The `KW × KH × 1 × CO` kernels.
    pub weight: W,
    /// The bias, one per output channel; `None` for a layer without one.
    pub bias: B,
    /// The activation, applied after the bias.
    #[functor(skip)]
    pub activation: A,
    /// Stride, padding and dilation.
    #[functor(skip)]
    pub geometry: G,
    /// Whether the kernels are flipped ([`Convolution`], as Flux's).
    #[functor(skip)]
    pub orientation: O,
    /// The element type and device of the tensors.
    #[functor(skip)]
    kind: TensorKind<E, D>,
}

/// The constructors and keywords the three window layers share: `new`,
/// `from_parts`, `bias`, `init`, `init_with`, and the stepping keywords
/// `stride`, `pad`, `same_pad` and `dilation`, each keeping the others.
macro_rules! window_layer {
    ($layer:ident, $weight:ty, $what:literal, [$($bound:tt)*]) => {
        impl<
            const KW: usize,
            const KH: usize,
            const CI: usize,
            const CO: usize,
            E: Element,
            D: Host,
            O: Orientation,
        > $layer<KW, KH, CI, CO, Identity, Geometry, E, D, $weight, Option<Tensor<(Const<CO>,), E, D>>, O>
        where
            $($bound)*
        {
            #[doc = concat!("Flux's `", $what, "((KW, KH), CI => CO, activation)`: weights drawn")]
            /// with [`glorot_uniform`] from this thread's default generator, a
            /// bias of zeros, stride 1, no padding, no dilation.
            pub fn new<A: Activation>(
                activation: A,
            ) -> $layer<KW, KH, CI, CO, A, Geometry, E, D, $weight, Option<Tensor<(Const<CO>,), E, D>>, O>
            {
                $layer {
                    weight: with_default_rng(glorot_uniform),
                    bias: Some(Tensor::zeros()),
                    activation,
                    geometry: Geometry::default(),
                    orientation: O::default(),
                    kind: TensorKind::new(),
                }
            }
        }

        impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, A, G, E, D, O>
            $layer<KW, KH, CI, CO, A, G, E, D, $weight, Option<Tensor<(Const<CO>,), E, D>>, O>
        where
            G: Default,
            E: Element,
            D: Device,
            O: Orientation,
            $($bound)*
        {
            /// A layer with a known weight and bias (a vector, `None`, or
            /// `true`/`false`, see [`IntoBias`]).
            pub fn from_parts(weight: $weight, bias: impl IntoBias<CO, E, D>, activation: A) -> Self {
                $layer {
                    weight,
                    bias: bias.into_bias(),
                    activation,
                    geometry: G::default(),
                    orientation: O::default(),
                    kind: TensorKind::new(),
                }
            }

            /// The same layer with another bias, Flux's `bias = ...` keyword.
            #[must_use]
            pub fn bias(self, bias: impl IntoBias<CO, E, D>) -> Self {
                $layer {
                    bias: bias.into_bias(),
                    ..self
                }
            }
        }

        impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, A, E, D, B, O>
            $layer<KW, KH, CI, CO, A, Geometry, E, D, $weight, B, O>
        where
            E: Element,
            D: Host,
        {
            /// The same layer with its weight drawn by `init` from this
            /// thread's default generator, Flux's `init = ...` keyword.
            #[must_use]
            pub fn init(self, init: impl FnOnce(&mut StdRng) -> $weight) -> Self {
                $layer {
                    weight: with_default_rng(init),
                    ..self
                }
            }

            /// The same layer with its weight drawn by `init` from `rng`.
            #[must_use]
            pub fn init_with<R: Rng + ?Sized>(self, rng: &mut R, init: impl FnOnce(&mut R) -> $weight) -> Self {
                $layer {
                    weight: init(rng),
                    ..self
                }
            }
        }

        /// The stepping of the window, changed one keyword at a time; each
        /// keeps the others.
        impl<
            const KW: usize,
            const KH: usize,
            const CI: usize,
            const CO: usize,
            A,
            const S: usize,
            P: AnyPadding,
            const DIL: usize,
            E: Element,
            D: Device,
            W,
            B,
            O,
        > $layer<KW, KH, CI, CO, A, Geometry<S, P, DIL>, E, D, W, B, O>
        {
            fn with_geometry<G: Default>(self) -> $layer<KW, KH, CI, CO, A, G, E, D, W, B, O> {
                $layer {
                    weight: self.weight,
                    bias: self.bias,
                    activation: self.activation,
                    geometry: G::default(),
                    orientation: self.orientation,
                    kind: self.kind,
                }
            }

            /// Flux's `stride = S2`: windows `S2` positions apart.
            pub fn stride<const S2: usize>(self) -> $layer<KW, KH, CI, CO, A, Geometry<S2, P, DIL>, E, D, W, B, O> {
                self.with_geometry()
            }

            /// Flux's `pad = P2`: `P2` zeros on every side.
            pub fn pad<const P2: usize>(self) -> $layer<KW, KH, CI, CO, A, Geometry<S, Pad<P2>, DIL>, E, D, W, B, O> {
                self.with_geometry()
            }

            /// Flux's `pad = SamePad()`: the size kept (divided by the
            /// stride, or multiplied by it for a transposed convolution).
            pub fn same_pad(self) -> $layer<KW, KH, CI, CO, A, Geometry<S, SamePad, DIL>, E, D, W, B, O> {
                self.with_geometry()
            }

            /// Flux's `dilation = D2`: taps `D2` positions apart.
            pub fn dilation<const D2: usize>(self) -> $layer<KW, KH, CI, CO, A, Geometry<S, P, D2>, E, D, W, B, O> {
                self.with_geometry()
            }
        }

        /// The weight, bias, activation, geometry and orientation, as a
        /// derived `Debug` would print them.
        impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, A, G, E, D, W, B, O>
            core::fmt::Debug for $layer<KW, KH, CI, CO, A, G, E, D, W, B, O>
        where
            A: core::fmt::Debug,
            G: core::fmt::Debug,
            E: Element,
            D: Device,
            W: core::fmt::Debug,
            B: core::fmt::Debug,
            O: core::fmt::Debug,
        {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($layer))
                    .field("weight", &self.weight)
                    .field("bias", &self.bias)
                    .field("activation", &self.activation)
                    .field("geometry", &self.geometry)
                    .field("orientation", &self.orientation)
                    .finish()
            }
        }
    };
}

window_layer!(Conv, ConvWeight<KW, KH, CI, CO, E, D>, "Conv", []);
window_layer!(ConvTranspose, ConvTransposeWeight<KW, KH, CI, CO, E, D>, "ConvTranspose", []);
window_layer!(
    DepthwiseConv,
    DepthwiseConvWeight<KW, KH, CO, E, D>,
    "DepthwiseConv",
    [Const<CO>: MultipleOf<Const<CI>>,]
);

/// The output of a `Conv` on an input `X`: plain when nothing is traced,
/// traced otherwise.
pub type ConvOutput<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    A,
    G,
    E,
    D,
    W,
    B,
    X,
> = <ConvNode<
    A,
    Const<KW>,
    Const<KH>,
    Const<CI>,
    Const<CO>,
    G,
    <X as Operand<E, D>>::Shape,
    E,
    D,
    <W as Param>::Node,
    <B as BiasParam<CO, E, D>>::Node,
    <X as Operand<E, D>>::Node,
> as Node>::Finished<
    Tensor<WindowOut<Const<KW>, Const<KH>, G, <X as Operand<E, D>>::Shape, Const<CO>>, E, D>,
>;

/// `act(w ⋆ x .+ b)` for a batch of images with `CI` channels, owned,
/// borrowed (data) or traced, the weight and bias plain or traced: one
/// rule, [`rules::conv`](conv::conv).
#[diagnostic::do_not_recommend]
impl<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    A,
    G,
    E0,
    D0,
    E,
    D,
    W,
    B,
    X,
    O,
> Layer<X> for Conv<KW, KH, CI, CO, A, G, E0, D0, W, B, O>
where
    E0: Element,
    D0: Device,
    O: Orientation,
    A: Activation,
    G: Copy + Slide<<X::Shape as Images>::W, Const<KW>> + Slide<<X::Shape as Images>::H, Const<KH>>,
    E: Element,
    D: Kernels<E>,
    W: Param<Value = ConvWeight<KW, KH, CI, CO, E, D>>,
    B: BiasParam<CO, E, D>,
    X: Operand<E, D>,
    X::Shape: Images<C = Const<CI>>,
    W::Node: Join3<<Option<B::Node> as Optional>::Node, X::Node>,
    Option<B::Node>: Optional,
{
    type Output = ConvOutput<KW, KH, CI, CO, A, G, E, D, W, B, X>;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        conv::conv(
            self.weight.traced(),
            self.bias.traced(),
            x.operand(),
            self.activation,
            self.geometry,
            self.orientation,
        )
        .finish()
    }
}

/// The output of a `ConvTranspose` on an input `X`: plain when nothing is
/// traced, traced otherwise.
pub type ConvTransposeOutput<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    A,
    G,
    E,
    D,
    W,
    B,
    X,
> = <ConvTransposeNode<
    A,
    Const<KW>,
    Const<KH>,
    Const<CI>,
    Const<CO>,
    G,
    <X as Operand<E, D>>::Shape,
    E,
    D,
    <W as Param>::Node,
    <B as BiasParam<CO, E, D>>::Node,
    <X as Operand<E, D>>::Node,
> as Node>::Finished<
    Tensor<TransposedOut<Const<KW>, Const<KH>, G, <X as Operand<E, D>>::Shape, Const<CO>>, E, D>,
>;

/// `act(wᵀ ⋆ x .+ b)` for a batch of images with `CI` channels, owned,
/// borrowed (data) or traced, the weight and bias plain or traced: one
/// rule, [`rules::conv_transpose`](conv_transpose::conv_transpose).
#[diagnostic::do_not_recommend]
impl<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    A,
    G,
    E0,
    D0,
    E,
    D,
    W,
    B,
    X,
    O,
> Layer<X> for ConvTranspose<KW, KH, CI, CO, A, G, E0, D0, W, B, O>
where
    E0: Element,
    D0: Device,
    O: Orientation,
    A: Activation,
    G: Copy
        + Unslide<<X::Shape as Images>::W, Const<KW>>
        + Unslide<<X::Shape as Images>::H, Const<KH>>,
    E: Element,
    D: Kernels<E>,
    W: Param<Value = ConvTransposeWeight<KW, KH, CI, CO, E, D>>,
    B: BiasParam<CO, E, D>,
    X: Operand<E, D>,
    X::Shape: Images<C = Const<CI>>,
    W::Node: Join3<<Option<B::Node> as Optional>::Node, X::Node>,
    Option<B::Node>: Optional,
{
    type Output = ConvTransposeOutput<KW, KH, CI, CO, A, G, E, D, W, B, X>;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        conv_transpose::conv_transpose(
            self.weight.traced(),
            self.bias.traced(),
            x.operand(),
            self.activation,
            self.geometry,
            self.orientation,
        )
        .finish()
    }
}

/// The output of a `DepthwiseConv` on an input `X`: plain when nothing is
/// traced, traced otherwise.
pub type DepthwiseConvOutput<
    const KW: usize,
    const KH: usize,
    const CO: usize,
    A,
    G,
    E,
    D,
    W,
    B,
    X,
> = <DepthwiseNode<
    A,
    Const<KW>,
    Const<KH>,
    Const<CO>,
    G,
    <X as Operand<E, D>>::Shape,
    E,
    D,
    <W as Param>::Node,
    <B as BiasParam<CO, E, D>>::Node,
    <X as Operand<E, D>>::Node,
> as Node>::Finished<
    Tensor<WindowOut<Const<KW>, Const<KH>, G, <X as Operand<E, D>>::Shape, Const<CO>>, E, D>,
>;

/// `act(w ⊛ x .+ b)` for a batch of images with `CI` channels, owned,
/// borrowed (data) or traced, the weight and bias plain or traced: one
/// rule, [`rules::depthwise`](depthwise::depthwise_conv).
#[diagnostic::do_not_recommend]
impl<
    const KW: usize,
    const KH: usize,
    const CI: usize,
    const CO: usize,
    A,
    G,
    E0,
    D0,
    E,
    D,
    W,
    B,
    X,
    O,
> Layer<X> for DepthwiseConv<KW, KH, CI, CO, A, G, E0, D0, W, B, O>
where
    E0: Element,
    D0: Device,
    O: Orientation,
    A: Activation,
    // Said of the input's channels (`Const<CI>`), so that the check waits
    // for the input and its error names both sizes.
    Const<CO>: MultipleOf<<X::Shape as Images>::C>,
    G: Copy + Slide<<X::Shape as Images>::W, Const<KW>> + Slide<<X::Shape as Images>::H, Const<KH>>,
    E: Element,
    D: Kernels<E>,
    W: Param<Value = DepthwiseConvWeight<KW, KH, CO, E, D>>,
    B: BiasParam<CO, E, D>,
    X: Operand<E, D>,
    X::Shape: Images<C = Const<CI>>,
    W::Node: Join3<<Option<B::Node> as Optional>::Node, X::Node>,
    Option<B::Node>: Optional,
{
    type Output = DepthwiseConvOutput<KW, KH, CO, A, G, E, D, W, B, X>;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        depthwise::depthwise_conv(
            self.weight.traced(),
            self.bias.traced(),
            x.operand(),
            self.activation,
            self.geometry,
            self.orientation,
        )
        .finish()
    }
}

/// `n` when every size is `n`, else `(a, b, …)`: how Flux prints a
/// layer's `pad`, `stride` and `dilation`.
pub(crate) fn sizes(v: &[usize]) -> String {
    match v {
        [first, rest @ ..] if rest.iter().all(|x| x == first) => first.to_string(),
        _ => format!(
            "({})",
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Flux's options after a window layer's sizes: the activation unless it
/// is the identity, then `pad`, `stride` and `dilation` where they are not
/// the default, and `bias=false` for a layer without a bias.
fn options<G: Stepping>(
    f: &mut fmt::Formatter<'_>,
    activation: &dyn fmt::Display,
    kernel: [usize; 2],
    transposed: bool,
    bias: bool,
) -> fmt::Result {
    let activation = activation.to_string();
    if activation != "identity" {
        write!(f, ", {activation}")?;
    }
    let pad = G::padding(kernel, transposed);
    if pad.iter().any(|&p| p != 0) {
        write!(f, ", pad={}", sizes(&pad))?;
    }
    let stride = kernel.map(G::stride);
    if stride != [1, 1] {
        write!(f, ", stride={}", sizes(&stride))?;
    }
    if G::dilation() != 1 {
        write!(f, ", dilation={}", G::dilation())?;
    }
    if !bias {
        f.write_str(", bias=false")?;
    }
    Ok(())
}

/// `Conv((KW, KH), CI => CO, activation, pad=…, stride=…, dilation=…)`
/// as Flux shows it (`CrossCor(…)` for a cross-correlation), each option
/// only where it is not the default.
///
/// ```
/// use typeflux_nn::prelude::*;
///
/// let layer = Conv::<3, 3, 1, 32>::new(relu).same_pad().stride::<2>();
/// assert_eq!(layer.to_string(), "Conv((3, 3), 1 => 32, relu, pad=1, stride=2)");
/// let layer = CrossCor::<4, 3, 2, 2>::new(identity).same_pad().bias(false);
/// assert_eq!(layer.to_string(), "CrossCor((4, 3), 2 => 2, pad=(2, 1, 1, 1), bias=false)");
/// ```
impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, A, G, E, D, W, B, O>
    fmt::Display for Conv<KW, KH, CI, CO, A, G, E, D, W, B, O>
where
    A: fmt::Display,
    G: Stepping,
    E: Element,
    D: Device,
    B: Functor,
    O: Orientation,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if O::FLIPPED { "Conv" } else { "CrossCor" };
        write!(f, "{name}(({KW}, {KH}), {CI} => {CO}")?;
        let bias = summary(&self.bias).arrays > 0;
        options::<G>(f, &self.activation, [KW, KH], false, bias)?;
        f.write_str(")")
    }
}

/// `ConvTranspose((KW, KH), CI => CO, activation, …)` as Flux shows it.
///
/// ```
/// use typeflux_nn::prelude::*;
///
/// let layer = ConvTranspose::<4, 4, 8, 3>::new(sigmoid).stride::<2>().same_pad();
/// assert_eq!(layer.to_string(), "ConvTranspose((4, 4), 8 => 3, sigmoid, pad=1, stride=2)");
/// ```
impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, A, G, E, D, W, B, O>
    fmt::Display for ConvTranspose<KW, KH, CI, CO, A, G, E, D, W, B, O>
where
    A: fmt::Display,
    G: Stepping,
    E: Element,
    D: Device,
    B: Functor,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConvTranspose(({KW}, {KH}), {CI} => {CO}")?;
        let bias = summary(&self.bias).arrays > 0;
        options::<G>(f, &self.activation, [KW, KH], true, bias)?;
        f.write_str(")")
    }
}

/// `DepthwiseConv((KW, KH), CI => CO, activation, …)` as Flux shows it.
///
/// ```
/// use typeflux_nn::prelude::*;
///
/// let layer = DepthwiseConv::<3, 3, 4, 8>::new(relu).dilation::<2>();
/// assert_eq!(layer.to_string(), "DepthwiseConv((3, 3), 4 => 8, relu, dilation=2)");
/// ```
impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, A, G, E, D, W, B, O>
    fmt::Display for DepthwiseConv<KW, KH, CI, CO, A, G, E, D, W, B, O>
where
    A: fmt::Display,
    G: Stepping,
    E: Element,
    D: Device,
    B: Functor,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DepthwiseConv(({KW}, {KH}), {CI} => {CO}")?;
        let bias = summary(&self.bias).arrays > 0;
        options::<G>(f, &self.activation, [KW, KH], false, bias)?;
        f.write_str(")")
    }
}
