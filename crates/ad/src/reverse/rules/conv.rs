//! The convolution layer as one rule: `y = σ(w ⋆ x .+ b)` forwards, lowered
//! onto the product kernels by im2col, and backwards `δ = σ'(z) ⊙ ȳ`,
//! `w̄ = cols·δᵀ`, `b̄ = Σ δ` over positions and batch, `x̄ = col2im(w·δ)`.
//!
//! For a batch of images `x` (`W × H × CI × N`, Flux's layout) and a weight
//! `w` (`KW × KH × CI × CO`), the columns `cols = im2col(x)` are a
//! `KW·KH·CI × OW·OH·N` matrix, one column per output position, and the
//! weight read column-major is the `KW·KH·CI × CO` matrix `W`. Then
//!
//! ```text
//! zᵀ = Wᵀ · cols            CO × OW·OH·N, the product of the dense rule
//! z  = zᵀ per image, transposed to OW·OH × CO: the output layout
//! ```
//!
//! and the pullback is the same products the other way round: `δᵀ` (each
//! image's `OW·OH × CO` block transposed back), `W̄ = cols · δ`, `cols̄ =
//! W · δᵀ` and `x̄ = col2im(cols̄)`, the adjoint of im2col, which adds every
//! column's element back to the input position it was read from. Like the
//! dense rule, it keeps only what the wanted gradients need (the weight for
//! `x̄`, the columns for `W̄`) and hands the weight's cotangent on as its
//! two factors, so that descent folds it into the step.

use crate::reverse::node::{Join3, Node, Optional, OuterProduct, Product};
use crate::reverse::pullback::Pullback;
use crate::reverse::traced::Traced;
use core::marker::PhantomData;
use typeflux_core::activation::Activation;
use typeflux_core::ops::window::{Orientation, Slide, Window};
use typeflux_core::{BinaryOp, ConstDim, Device, Dim, Element, Kernels, Shape, Tensor};

/// The weight of a convolution: `KW × KH × CI × CO`, as Flux stores it.
pub type ConvWeight<KW, KH, CI, CO, E, D> = Tensor<(KW, KH, CI, CO), E, D>;

/// A batch of images, `(W, H, C, N)`: static width and height, channels
/// and a batch of either kind.
pub trait Images: Shape {
    /// Width.
    type W: ConstDim;
    /// Height.
    type H: ConstDim;
    /// Channels.
    type C: Dim;
    /// The batch.
    type N: Dim;

    /// The batch's size.
    fn batch(&self) -> Self::N;
    /// The channels.
    fn channels(&self) -> Self::C;
}

impl<W: ConstDim, H: ConstDim, C: Dim, N: Dim> Images for (W, H, C, N) {
    type W = W;
    type H = H;
    type C = C;
    type N = N;

    #[inline(always)]
    fn batch(&self) -> N {
        self.3
    }

    #[inline(always)]
    fn channels(&self) -> C {
        self.2
    }
}

/// The output shape of a window `KW × KH` stepped by `G` over the images
/// `S`, with `C` channels: a convolution's (`C` its output channels) or a
/// pooling's (`C` the input's).
pub type WindowOut<KW, KH, G, S, C> = (
    <G as Slide<<S as Images>::W, KW>>::Out,
    <G as Slide<<S as Images>::H, KH>>::Out,
    C,
    <S as Images>::N,
);

/// The sizes of a kernel, as a marker.
type KernelSize<KW, KH, CI> = PhantomData<fn() -> (KW, KH, CI)>;

/// The columns of a convolution's input (im2col), `KW·KH·CI × OW·OH·N`,
/// kept for the weight's gradient; the kernel's sizes are in the type, so
/// that their product with `δ` is a weight.
#[derive(Clone, Debug)]
pub struct Columns<KW, KH, CI, E: Element, D: Device> {
    cols: Tensor<(usize, usize), E, D>,
    kernel: KernelSize<KW, KH, CI>,
}

impl<KW, KH, CI, E: Element, D: Device> Columns<KW, KH, CI, E, D> {
    /// The columns `cols`, `KW·KH·CI × M`, of a window's taps over `CI`
    /// channels.
    #[inline]
    pub(crate) fn new(cols: Tensor<(usize, usize), E, D>) -> Self {
        Columns {
            cols,
            kernel: PhantomData,
        }
    }
}

/// `W̄ = cols · δ`, with `δᵀ` kept as the `CO × OW·OH·N` matrix.
impl<KW, KH, CI, CO, E, D> Product
    for OuterProduct<Tensor<(CO, usize), E, D>, Columns<KW, KH, CI, E, D>>
where
    KW: ConstDim,
    KH: ConstDim,
    CI: ConstDim,
    CO: ConstDim,
    E: Element,
    D: Kernels<E>,
{
    type Value = ConvWeight<KW, KH, CI, CO, E, D>;

    #[inline]
    fn value(self) -> Self::Value {
        let [rows, n] = self.b.cols.shape().dims();
        let device = self.a.device().clone();
        let data = device.matmul::<(usize, usize), (CO, usize), (KW, KH, CI, CO)>(
            rows,
            n,
            CO::SIZE,
            self.b.cols.buffer(),
            false,
            self.a.buffer(),
            true,
        );
        Tensor::from_parts(Default::default(), data, device)
    }

    #[inline]
    fn add_scaled(self, w: &mut Self::Value, scale: f64) {
        let [rows, n] = self.b.cols.shape().dims();
        let scale = E::from_f64(scale).expect("an f64 converts to every element type");
        w.add_matmul_as(
            scale,
            [rows, n, CO::SIZE],
            &self.b.cols,
            false,
            &self.a,
            true,
        );
    }
}

/// The window of a convolution or pooling with a `KW × KH` kernel stepped
/// by `G` over images of shape `S`.
#[inline]
pub fn window<KW, KH, G, S>(shape: S) -> Window
where
    KW: ConstDim,
    KH: ConstDim,
    S: Images,
    G: Slide<S::W, KW> + Slide<S::H, KH>,
{
    Window::new::<G>(
        [S::W::SIZE, S::H::SIZE],
        shape.channels().size(),
        shape.batch().size(),
        [KW::SIZE, KH::SIZE],
        [
            <G as Slide<S::W, KW>>::Out::SIZE,
            <G as Slide<S::H, KH>>::Out::SIZE,
        ],
    )
}

/// The node of [`conv`]'s result, for operands whose nodes are `BW`
/// (weight), `BB` (bias, absent or not) and `BX` (input).
pub type ConvNode<A, KW, KH, CI, CO, G, S, E, D, BW, BB, BX> =
    <BW as Join3<<Option<BB> as Optional>::Node, BX>>::Out<
        ConvPullback<A, KW, KH, CI, CO, G, S, E, D>,
    >;

/// `y = act(w ⋆ x .+ b)`: the convolution of a batch of images `x` with a
/// `KW × KH` kernel from `CI` to `CO` channels, stepped by `G` (stride,
/// padding, dilation), plus a bias per output channel, then the
/// activation. The output's width and height are computed by the type
/// checker ([`Slide`]).
///
/// The orientation `O` says whether the kernel is flipped:
/// [`Convolution`](typeflux_core::ops::window::Convolution) flips it, as
/// Flux's `Conv` does (a true convolution),
/// [`CrossCorrelation`](typeflux_core::ops::window::CrossCorrelation) reads
/// it as stored, as Flux's `CrossCor` and PyTorch's and JAX's convolutions
/// do. The im2col rows are written in the flipped order, so both cost the
/// same.
///
/// ```
/// use typeflux_ad::reverse::{Traced, gradient, rules::conv};
/// use typeflux_core::activation::Identity;
/// use typeflux_core::ops::window::{Convolution, CrossCorrelation, Geometry};
/// use typeflux_core::prelude::*;
///
/// // A 2 × 2 kernel of ones over a 3 × 3 image: sums of 2 × 2 blocks.
/// let x = Tensor::<(Const<3>, Const<3>, Const<1>, usize), f64>::from_fn(
///     (Const, Const, Const, 1),
///     |[i, _]| i as f64,
/// );
/// let w = Tensor::<(Const<2>, Const<2>, Const<1>, Const<1>), f64>::ones();
/// let b = || Some(Traced::constant(Vector::<1, f64>::zeros()));
/// let y = conv::conv(
///     Traced::constant(w.clone()),
///     b(),
///     Traced::constant(x.clone()),
///     Identity,
///     Geometry::<1>::default(),
///     Convolution,
/// );
/// assert_eq!(y.value().to_vec(), vec![8.0, 12.0, 20.0, 24.0]);
/// // The kernel [1 2; 0 0] (width first): a cross-correlation reads it as
/// // stored, a convolution flipped, as [0 0; 2 1].
/// let k = Tensor::<(Const<2>, Const<2>, Const<1>, Const<1>), f64>::from_vec(
///     Default::default(),
///     vec![1.0, 2.0, 0.0, 0.0],
/// )
/// .unwrap();
/// let (kernel, x0) = (|| Traced::constant(k.clone()), || Traced::constant(x.clone()));
/// let read = conv::conv(kernel(), b(), x0(), Identity, Geometry::<1>::default(), CrossCorrelation);
/// let flipped = conv::conv(kernel(), b(), x0(), Identity, Geometry::<1>::default(), Convolution);
/// // x[i, j] = i + 3j: at the first output, x[0, 0] + 2·x[1, 0] = 2 read
/// // as stored, and 2·x[0, 1] + x[1, 1] = 10 flipped.
/// assert_eq!(read.value().to_vec()[0], 2.0);
/// assert_eq!(flipped.value().to_vec()[0], 10.0);
/// // Every input under `k` windows gets a gradient of `k` from a sum.
/// let dx = gradient(
///     |x| conv::conv(Traced::constant(w.clone()), b(), x, Identity, Geometry::<1>::default(), Convolution).sum(),
///     &x,
/// );
/// assert_eq!(dx.to_vec(), vec![1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
/// ```
#[allow(clippy::type_complexity)]
#[inline]
#[track_caller]
pub fn conv<KW, KH, CI, CO, G, S, E, D, A, BW, BB, BX, O>(
    w: Traced<ConvWeight<KW, KH, CI, CO, E, D>, BW>,
    b: Option<Traced<Tensor<(CO,), E, D>, BB>>,
    x: Traced<Tensor<S, E, D>, BX>,
    activation: A,
    _geometry: G,
    _orientation: O,
) -> Traced<
    Tensor<WindowOut<KW, KH, G, S, CO>, E, D>,
    ConvNode<A, KW, KH, CI, CO, G, S, E, D, BW, BB, BX>,
>
where
    KW: ConstDim,
    KH: ConstDim,
    CI: ConstDim,
    CO: ConstDim,
    S: Images<C = CI>,
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
    let rows = window.taps() * CI::SIZE;
    let positions = window.positions();
    let columns = positions
        .checked_mul(shape.batch().size())
        .expect("conv: the output positions overflow usize");
    let cols = Tensor::from_parts(
        (rows, columns),
        device.im2col::<S, (usize, usize)>(x.buffer(), &window),
        device.clone(),
    );
    drop(x);
    let mut zt = device.matmul::<(KW, KH, CI, CO), (usize, usize), (CO, usize)>(
        CO::SIZE,
        rows,
        columns,
        w.buffer(),
        true,
        cols.buffer(),
        false,
    );
    if let Some(bias) = &bias {
        device.broadcast_assign::<(CO, usize), (CO,)>(
            BinaryOp::Add,
            &mut zt,
            CO::SIZE,
            bias.buffer(),
        );
    }
    let out_shape: WindowOut<KW, KH, G, S, CO> = (
        Default::default(),
        Default::default(),
        CO::default(),
        shape.batch(),
    );
    let z = device.transpose_batched::<(CO, usize), WindowOut<KW, KH, G, S, CO>>(
        &zt,
        CO::SIZE,
        positions,
        shape.batch().size(),
    );
    drop(zt);
    let mut z = Tensor::from_parts(out_shape, z, device);
    let kept = activation.activate(&mut z, want_w || want_x || want_b);
    let pullback = ConvPullback {
        activation,
        kept,
        window,
        w: want_x.then_some(w),
        cols: want_w.then(|| Columns::new(cols)),
        bias: want_b,
        input: shape,
    };
    Traced::new(z, w_node.join3(bias_node.into_node(), x_node, pullback))
}

/// The pullback of [`conv`]: the activation's pullback, then the gradients
/// of the operands it kept for.
#[allow(clippy::type_complexity)]
#[derive(Clone, Debug)]
pub struct ConvPullback<A, KW, KH, CI, CO, G, S, E, D>
where
    KW: ConstDim,
    KH: ConstDim,
    CI: ConstDim,
    CO: ConstDim,
    S: Images,
    G: Slide<S::W, KW> + Slide<S::H, KH>,
    E: Element,
    D: Device,
{
    activation: A,
    kept: Option<Tensor<WindowOut<KW, KH, G, S, CO>, E, D>>,
    window: Window,
    /// The weight, for `x̄`; only when the input's gradient is wanted.
    w: Option<ConvWeight<KW, KH, CI, CO, E, D>>,
    /// The input's columns, for `W̄`; only when the weight's is wanted.
    cols: Option<Columns<KW, KH, CI, E, D>>,
    bias: bool,
    /// The input's shape (its batch is known at run time).
    input: S,
}

impl<A, KW, KH, CI, CO, G, S, E, D> Pullback<Tensor<WindowOut<KW, KH, G, S, CO>, E, D>>
    for ConvPullback<A, KW, KH, CI, CO, G, S, E, D>
where
    A: Activation,
    KW: ConstDim,
    KH: ConstDim,
    CI: ConstDim,
    CO: ConstDim,
    S: Images<C = CI>,
    G: Slide<S::W, KW> + Slide<S::H, KH>,
    E: Element,
    D: Kernels<E>,
{
    type Grads = (
        Option<OuterProduct<Tensor<(CO, usize), E, D>, Columns<KW, KH, CI, E, D>>>,
        Option<Tensor<(CO,), E, D>>,
        Option<Tensor<S, E, D>>,
    );

    #[inline]
    fn pullback(self, dy: Tensor<WindowOut<KW, KH, G, S, CO>, E, D>) -> Self::Grads {
        let dz = self.activation.pullback(self.kept, dy);
        let batch = self.input.batch();
        let positions = self.window.positions();
        let columns = positions * batch.size();
        let device = dz.device().clone();
        let dzt = Tensor::from_parts(
            (CO::default(), columns),
            device.transpose_batched::<WindowOut<KW, KH, G, S, CO>, (CO, usize)>(
                dz.buffer(),
                positions,
                CO::SIZE,
                batch.size(),
            ),
            device.clone(),
        );
        drop(dz);
        let dx = self.w.map(|w| {
            let rows = self.window.taps() * CI::SIZE;
            let dcols = device.matmul::<(KW, KH, CI, CO), (CO, usize), (usize, usize)>(
                rows,
                CO::SIZE,
                columns,
                w.buffer(),
                false,
                dzt.buffer(),
                false,
            );
            Tensor::from_parts(
                self.input,
                device.col2im::<(usize, usize), S>(&dcols, &self.window),
                device.clone(),
            )
        });
        let db = self.bias.then(|| {
            Tensor::from_parts(
                (CO::default(),),
                device.sum_axis::<(CO, usize), (CO,)>(dzt.buffer(), CO::SIZE, columns, 1),
                device.clone(),
            )
        });
        let dw = self.cols.map(|cols| OuterProduct { a: dzt, b: cols });
        (dw, db, dx)
    }
}
