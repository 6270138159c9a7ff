//! The depthwise convolution as one rule: each output channel is one input
//! channel convolved with its own kernel, `y = σ(w ⊛ x .+ b)`, on the
//! devices' depthwise kernels ([`Kernels::depthwise_conv`] and its two
//! pullbacks), which visit each tap once instead of forming columns: with
//! one input channel per kernel there is no product to lower onto.
//!
//! For `C` input channels and `CO = M·C` outputs, output channel `o` reads
//! input channel `o / M` through kernel `w[:, :, 1, o]` (Flux's
//! `DepthwiseConv`, a `Conv` with as many groups as input channels). The
//! pullback: `x̄` spreads each output's cotangent back over the inputs
//! under its window, weighted by the kernel, `w̄` sums cotangent times
//! input over positions and batch, and `b̄` is the cotangent's sum per
//! channel.

use super::conv::{Images, WindowOut, window};
use crate::reverse::node::{Join3, Node, Optional, OuterProduct, Product};
use crate::reverse::pullback::Pullback;
use crate::reverse::traced::Traced;
use core::marker::PhantomData;
use typeflux_core::activation::Activation;
use typeflux_core::ops::window::{Orientation, Slide, Window};
use typeflux_core::{Const, ConstDim, Device, Element, Kernels, Shape, Tensor};

/// The kernels of a depthwise convolution: `KW × KH × 1 × CO`, as Flux
/// stores them.
pub type DepthwiseWeight<KW, KH, CO, E, D> = Tensor<(KW, KH, Const<1>, CO), E, D>;

/// The input of a depthwise convolution and its window, kept for the
/// kernels' gradient: its pairing with the output's cotangent `δ` (the
/// factors of an [`OuterProduct`]) is `w̄`, formed only when needed.
#[derive(Clone, Debug)]
pub struct DepthwiseInput<KW, KH, CO, S: Shape, E: Element, D: Device> {
    x: Tensor<S, E, D>,
    window: Window,
    kernel: KernelSizes<KW, KH, CO>,
}

/// The sizes of the kernels, as a marker.
type KernelSizes<KW, KH, CO> = PhantomData<fn() -> (KW, KH, CO)>;

/// `w̄[k, o] = Σ δ[p, o, n] · x[p·S + k·D − P, o / M, n]`.
impl<KW, KH, CO, S, T, E, D> Product
    for OuterProduct<Tensor<T, E, D>, DepthwiseInput<KW, KH, CO, S, E, D>>
where
    KW: ConstDim,
    KH: ConstDim,
    CO: ConstDim,
    S: Shape,
    T: Shape,
    E: Element,
    D: Kernels<E>,
{
    type Value = DepthwiseWeight<KW, KH, CO, E, D>;

    #[inline]
    fn value(self) -> Self::Value {
        let device = self.a.device().clone();
        let dw = device.depthwise_conv_weight_grad::<S, T, (KW, KH, Const<1>, CO)>(
            self.b.x.buffer(),
            self.a.buffer(),
            &self.b.window,
            CO::SIZE,
        );
        Tensor::from_parts(Default::default(), dw, device)
    }

    #[inline]
    fn add_scaled(self, w: &mut Self::Value, scale: f64) {
        let scale = E::from_f64(scale).expect("an f64 converts to every element type");
        w.axpy(scale, &self.value());
    }
}

/// The node of [`depthwise_conv`]'s result, for operands whose nodes are
/// `BW` (weight), `BB` (bias, absent or not) and `BX` (input).
pub type DepthwiseNode<A, KW, KH, CO, G, S, E, D, BW, BB, BX> =
    <BW as Join3<<Option<BB> as Optional>::Node, BX>>::Out<
        DepthwisePullback<A, KW, KH, CO, G, S, E, D>,
    >;

/// `y = act(w ⊛ x .+ b)`: the depthwise convolution of a batch of images
/// `x` by the kernels `w` (`KW × KH × 1 × CO`, `CO` a multiple of the
/// input's channels), stepped by `G`, plus a bias per output channel, then
/// the activation. `O` says whether the kernels are flipped
/// ([`Convolution`](typeflux_core::ops::window::Convolution), Flux's).
///
/// # Panics
/// If `CO` is not a multiple of the input's channels (the layer checks
/// this at compile time).
///
/// ```
/// use typeflux_ad::reverse::{Constant, Traced, rules::depthwise::depthwise_conv};
/// use typeflux_core::activation::Identity;
/// use typeflux_core::ops::window::{CrossCorrelation, Geometry};
/// use typeflux_core::prelude::*;
///
/// // Two channels, each summed over 2 × 1 windows by its own kernel.
/// let x = Tensor::<(Const<3>, Const<1>, Const<2>, usize), f64>::from_vec(
///     (Const, Const, Const, 1),
///     vec![1.0, 2.0, 3.0, 10.0, 20.0, 30.0],
/// )
/// .unwrap();
/// let w = Tensor::<(Const<2>, Const<1>, Const<1>, Const<2>), f64>::from_vec(
///     Default::default(),
///     vec![1.0, 1.0, 1.0, -1.0],
/// )
/// .unwrap();
/// let b = || None::<Traced<Vector<2, f64>, Constant>>;
/// let y = depthwise_conv(
///     Traced::constant(w.clone()),
///     b(),
///     Traced::constant(x.clone()),
///     Identity,
///     Geometry::<1>::default(),
///     CrossCorrelation,
/// );
/// assert_eq!(y.value().to_vec(), vec![3.0, 5.0, -10.0, -10.0]);
/// ```
#[allow(clippy::type_complexity)]
#[inline]
#[track_caller]
pub fn depthwise_conv<KW, KH, CO, G, S, E, D, A, BW, BB, BX, O>(
    w: Traced<DepthwiseWeight<KW, KH, CO, E, D>, BW>,
    b: Option<Traced<Tensor<(CO,), E, D>, BB>>,
    x: Traced<Tensor<S, E, D>, BX>,
    activation: A,
    _geometry: G,
    _orientation: O,
) -> Traced<
    Tensor<WindowOut<KW, KH, G, S, CO>, E, D>,
    DepthwiseNode<A, KW, KH, CO, G, S, E, D, BW, BB, BX>,
>
where
    KW: ConstDim,
    KH: ConstDim,
    CO: ConstDim,
    S: Images,
    G: Slide<S::W, KW> + Slide<S::H, KH>,
    E: Element,
    D: Kernels<E>,
    A: Activation,
    BW: Node + Join3<<Option<BB> as Optional>::Node, BX>,
    BB: Node,
    BX: Node,
    Option<BB>: Optional,
    O: Orientation,
{
    let (w, w_node) = w.into_parts();
    let (x, x_node) = x.into_parts();
    let (bias, bias_node, want_b) = super::split_bias(b);
    let want_w = w_node.active();
    let want_x = x_node.active();

    let shape = x.shape();
    let window = window::<KW, KH, G, S>(shape).flip(O::FLIPPED);
    let device = x.device().clone();
    let mut y = device.depthwise_conv::<S, (KW, KH, Const<1>, CO), WindowOut<KW, KH, G, S, CO>>(
        x.buffer(),
        w.buffer(),
        &window,
        CO::SIZE,
    );
    if let Some(bias) = &bias {
        device.add_channels::<WindowOut<KW, KH, G, S, CO>, (CO,)>(
            &mut y,
            window.positions(),
            bias.buffer(),
        );
    }
    let out_shape: WindowOut<KW, KH, G, S, CO> = (
        Default::default(),
        Default::default(),
        CO::default(),
        shape.batch(),
    );
    let mut z = Tensor::from_parts(out_shape, y, device);
    let kept = activation.activate(&mut z, want_w || want_x || want_b);
    let pullback = DepthwisePullback {
        activation,
        kept,
        window,
        w: want_x.then_some(w),
        x: want_w.then_some(x),
        bias: want_b,
        input: shape,
    };
    Traced::new(z, w_node.join3(bias_node.into_node(), x_node, pullback))
}

/// The pullback of [`depthwise_conv`]: the activation's pullback, then the
/// gradients of the operands it kept for.
#[allow(clippy::type_complexity)]
#[derive(Clone, Debug)]
pub struct DepthwisePullback<A, KW, KH, CO, G, S, E, D>
where
    KW: ConstDim,
    KH: ConstDim,
    CO: ConstDim,
    S: Images,
    G: Slide<S::W, KW> + Slide<S::H, KH>,
    E: Element,
    D: Device,
{
    activation: A,
    kept: Option<Tensor<WindowOut<KW, KH, G, S, CO>, E, D>>,
    window: Window,
    /// The kernels, for `x̄`; only when the input's gradient is wanted.
    w: Option<DepthwiseWeight<KW, KH, CO, E, D>>,
    /// The input, for `w̄`; only when the kernels' gradient is wanted.
    x: Option<Tensor<S, E, D>>,
    bias: bool,
    /// The input's shape (its batch is known at run time).
    input: S,
}

impl<A, KW, KH, CO, G, S, E, D> Pullback<Tensor<WindowOut<KW, KH, G, S, CO>, E, D>>
    for DepthwisePullback<A, KW, KH, CO, G, S, E, D>
where
    A: Activation,
    KW: ConstDim,
    KH: ConstDim,
    CO: ConstDim,
    S: Images,
    G: Slide<S::W, KW> + Slide<S::H, KH>,
    E: Element,
    D: Kernels<E>,
{
    type Grads = (
        Option<
            OuterProduct<
                Tensor<WindowOut<KW, KH, G, S, CO>, E, D>,
                DepthwiseInput<KW, KH, CO, S, E, D>,
            >,
        >,
        Option<Tensor<(CO,), E, D>>,
        Option<Tensor<S, E, D>>,
    );

    #[inline]
    fn pullback(self, dy: Tensor<WindowOut<KW, KH, G, S, CO>, E, D>) -> Self::Grads {
        let dz = self.activation.pullback(self.kept, dy);
        let device = dz.device().clone();
        let window = self.window;
        let db = self.bias.then(|| {
            Tensor::from_parts(
                (CO::default(),),
                device.sum_channels::<WindowOut<KW, KH, G, S, CO>, (CO,)>(
                    dz.buffer(),
                    window.positions(),
                    CO::SIZE,
                ),
                device.clone(),
            )
        });
        let dx = self.w.map(|w| {
            Tensor::from_parts(
                self.input,
                device.depthwise_conv_input_grad::<
                    (KW, KH, Const<1>, CO),
                    WindowOut<KW, KH, G, S, CO>,
                    S,
                >(w.buffer(), dz.buffer(), &window, CO::SIZE),
                device.clone(),
            )
        });
        let dw = self.x.map(|x| OuterProduct {
            a: dz,
            b: DepthwiseInput {
                x,
                window,
                kernel: PhantomData,
            },
        });
        (dw, db, dx)
    }
}
