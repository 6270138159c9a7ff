//! The convolution layer, Flux's `Conv`.

use crate::activation::{Activation, Identity};
use crate::dense::{BiasParam, IntoBias};
use crate::init::{glorot_uniform, with_default_rng};
use crate::layer::Layer;
use rand::Rng;
use rand::rngs::StdRng;
use typeflux_ad::reverse::rules::conv::{self, ConvNode, Images, WindowOut};
use typeflux_ad::reverse::{Join3, Node, Operand, Optional, Param};
use typeflux_core::functor::Functor;
use typeflux_core::ops::window::{AnyPadding, Geometry, Pad, SamePad, Slide};
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
    /// The element type and device of the tensors.
    #[functor(skip)]
    kind: TensorKind<E, D>,
}

impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, E: Element, D: Host>
    Conv<KW, KH, CI, CO, Identity, Geometry, E, D>
{
    /// Flux's `Conv((KW, KH), CI => CO, activation)`: weights drawn with
    /// [`glorot_uniform`] (fans `KW·KH·CI` and `KW·KH·CO`) from this
    /// thread's default generator, a bias of zeros, stride 1, no padding.
    pub fn new<A: Activation>(activation: A) -> Conv<KW, KH, CI, CO, A, Geometry, E, D> {
        Conv {
            weight: with_default_rng(glorot_uniform),
            bias: Some(Tensor::zeros()),
            activation,
            geometry: Geometry::default(),
            kind: TensorKind::new(),
        }
    }
}

impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, A, G, E, D>
    Conv<KW, KH, CI, CO, A, G, E, D>
where
    G: Default,
    E: Element,
    D: Device,
{
    /// A layer with a known weight and bias (a vector, `None`, or
    /// `true`/`false`, see [`IntoBias`]).
    pub fn from_parts(
        weight: ConvWeight<KW, KH, CI, CO, E, D>,
        bias: impl IntoBias<CO, E, D>,
        activation: A,
    ) -> Self {
        Conv {
            weight,
            bias: bias.into_bias(),
            activation,
            geometry: G::default(),
            kind: TensorKind::new(),
        }
    }

    /// The same layer with another bias, Flux's `bias = ...` keyword.
    #[must_use]
    pub fn bias(self, bias: impl IntoBias<CO, E, D>) -> Self {
        Conv {
            bias: bias.into_bias(),
            ..self
        }
    }
}

impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, A, E, D>
    Conv<KW, KH, CI, CO, A, Geometry, E, D>
where
    E: Element,
    D: Host,
{
    /// The same layer with its weight drawn by `init` from this thread's
    /// default generator, Flux's `init = ...` keyword.
    #[must_use]
    pub fn init(self, init: impl FnOnce(&mut StdRng) -> ConvWeight<KW, KH, CI, CO, E, D>) -> Self {
        Conv {
            weight: with_default_rng(init),
            ..self
        }
    }

    /// The same layer with its weight drawn by `init` from `rng`.
    #[must_use]
    pub fn init_with<R: Rng + ?Sized>(
        self,
        rng: &mut R,
        init: impl FnOnce(&mut R) -> ConvWeight<KW, KH, CI, CO, E, D>,
    ) -> Self {
        Conv {
            weight: init(rng),
            ..self
        }
    }
}

/// The stepping of the window, changed one keyword at a time; each keeps
/// the others.
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
> Conv<KW, KH, CI, CO, A, Geometry<S, P, DIL>, E, D>
{
    fn with_geometry<G>(self) -> Conv<KW, KH, CI, CO, A, G, E, D>
    where
        G: Default,
    {
        Conv {
            weight: self.weight,
            bias: self.bias,
            activation: self.activation,
            geometry: G::default(),
            kind: self.kind,
        }
    }

    /// Flux's `stride = S2`: windows `S2` positions apart.
    pub fn stride<const S2: usize>(self) -> Conv<KW, KH, CI, CO, A, Geometry<S2, P, DIL>, E, D> {
        self.with_geometry()
    }

    /// Flux's `pad = P2`: `P2` zeros on every side.
    pub fn pad<const P2: usize>(self) -> Conv<KW, KH, CI, CO, A, Geometry<S, Pad<P2>, DIL>, E, D> {
        self.with_geometry()
    }

    /// Flux's `pad = SamePad()`: `⌈W / S⌉ × ⌈H / S⌉` outputs.
    pub fn same_pad(self) -> Conv<KW, KH, CI, CO, A, Geometry<S, SamePad, DIL>, E, D> {
        self.with_geometry()
    }

    /// Flux's `dilation = D2`: taps `D2` positions apart.
    pub fn dilation<const D2: usize>(self) -> Conv<KW, KH, CI, CO, A, Geometry<S, P, D2>, E, D> {
        self.with_geometry()
    }
}

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
> Layer<X> for Conv<KW, KH, CI, CO, A, G, E0, D0, W, B>
where
    E0: Element,
    D0: Device,
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
        )
        .finish()
    }
}

/// The weight, bias, activation and geometry, as a derived `Debug` would
/// print them.
impl<const KW: usize, const KH: usize, const CI: usize, const CO: usize, A, G, E, D, W, B>
    core::fmt::Debug for Conv<KW, KH, CI, CO, A, G, E, D, W, B>
where
    A: core::fmt::Debug,
    G: core::fmt::Debug,
    E: Element,
    D: Device,
    W: core::fmt::Debug,
    B: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Conv")
            .field("weight", &self.weight)
            .field("bias", &self.bias)
            .field("activation", &self.activation)
            .field("geometry", &self.geometry)
            .finish()
    }
}
