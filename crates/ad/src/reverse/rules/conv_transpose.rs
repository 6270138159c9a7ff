//! The transposed convolution as one rule: the adjoint of a convolution in
//! its input, `y = σ(col2im(W · xᵀ) .+ b)`, on the same kernels as
//! [`conv`](super::conv) the other way round.
//!
//! A transposed convolution from `CI` to `CO` channels with the weight `w`
//! (`KW × KH × CO × CI`, as Flux stores it) is the pullback of the
//! convolution from `CO` to `CI` channels with the same weight, taken in
//! that convolution's input. For a batch `x` (`W × H × CI × N`) and the
//! weight read column-major as the `KW·KH·CO × CI` matrix `W`:
//!
//! ```text
//! xᵀ   = x per image, transposed to CI × W·H        CI × W·H·N
//! cols = W · xᵀ                                      KW·KH·CO × W·H·N
//! z    = col2im(cols) .+ b                           OW × OH × CO × N
//! ```
//!
//! and the pullback is the convolution's forward pass: `cols̄ =
//! im2col(δ)`, `x̄ᵀ = Wᵀ · cols̄`, `W̄ = cols̄ · x` (kept as its factors, as
//! the convolution's `W̄` is) and `b̄ = Σ δ` per channel.

use super::conv::{Columns, ConvWeight, Images};
use crate::reverse::node::{Join3, Node, Optional, OuterProduct};
use crate::reverse::pullback::Pullback;
use crate::reverse::traced::Traced;
use core::marker::PhantomData;
use typeflux_core::activation::Activation;
use typeflux_core::ops::window::{Orientation, Unslide, Window};
use typeflux_core::{ConstDim, Device, Dim, Element, Kernels, Tensor};

/// The output shape of a transposed window `KW × KH` stepped by `G` over
/// the images `S`, with `C` channels.
pub type TransposedOut<KW, KH, G, S, C> = (
    <G as Unslide<<S as Images>::W, KW>>::Out,
    <G as Unslide<<S as Images>::H, KH>>::Out,
    C,
    <S as Images>::N,
);

/// The window of the convolution whose adjoint is the transposed
/// convolution with a `KW × KH` kernel stepped by `G` over images of shape
/// `S`, to `channels` channels: over the transposed convolution's output,
/// back to its input's size.
#[inline]
pub fn transposed_window<KW, KH, G, S>(shape: S, channels: usize) -> Window
where
    KW: ConstDim,
    KH: ConstDim,
    S: Images,
    G: Unslide<S::W, KW> + Unslide<S::H, KH>,
{
    Window::transposed::<G>(
        [S::W::SIZE, S::H::SIZE],
        channels,
        shape.batch().size(),
        [KW::SIZE, KH::SIZE],
        [
            <G as Unslide<S::W, KW>>::Out::SIZE,
            <G as Unslide<S::H, KH>>::Out::SIZE,
        ],
    )
}

/// The node of [`conv_transpose`]'s result, for operands whose nodes are
/// `BW` (weight), `BB` (bias, absent or not) and `BX` (input).
pub type ConvTransposeNode<A, KW, KH, CI, CO, G, S, E, D, BW, BB, BX> =
    <BW as Join3<<Option<BB> as Optional>::Node, BX>>::Out<
        ConvTransposePullback<A, KW, KH, CI, CO, G, S, E, D>,
    >;

/// `y = act(wᵀ ⋆ x .+ b)`: the transposed convolution of a batch of images
/// `x` with `CI` channels by the weight `w` (`KW × KH × CO × CI`), stepped
/// by `G`, plus a bias per output channel, then the activation: Flux's
/// `ConvTranspose`. The output's width and height, `(N − 1)·S + D·(K − 1)
/// + 1 − padding`, are computed by the type checker ([`Unslide`]).
///
/// `O` says whether the convolution it is the adjoint of flips its kernel
/// ([`Convolution`](typeflux_core::ops::window::Convolution) for Flux's).
///
/// ```
/// use typeflux_ad::reverse::{Constant, Traced, rules::conv_transpose::conv_transpose};
/// use typeflux_core::activation::Identity;
/// use typeflux_core::ops::window::{Convolution, Geometry};
/// use typeflux_core::prelude::*;
///
/// // A 2 × 2 kernel of ones, stride 2: each input becomes a 2 × 2 block.
/// let x = Tensor::<(Const<2>, Const<1>, Const<1>, usize), f64>::from_vec(
///     (Const, Const, Const, 1),
///     vec![1.0, 3.0],
/// )
/// .unwrap();
/// let w = Tensor::<(Const<2>, Const<2>, Const<1>, Const<1>), f64>::ones();
/// let y = conv_transpose(
///     Traced::constant(w),
///     None::<Traced<Vector<1, f64>, Constant>>,
///     Traced::constant(x),
///     Identity,
///     Geometry::<2>::default(),
///     Convolution,
/// );
/// assert_eq!(y.value().shape(), (Const::<4>, Const::<2>, Const::<1>, 1));
/// assert_eq!(y.value().to_vec(), vec![1.0, 1.0, 3.0, 3.0, 1.0, 1.0, 3.0, 3.0]);
/// ```
#[allow(clippy::type_complexity)]
#[inline]
#[track_caller]
pub fn conv_transpose<KW, KH, CI, CO, G, S, E, D, A, BW, BB, BX, O>(
    w: Traced<ConvWeight<KW, KH, CO, CI, E, D>, BW>,
    b: Option<Traced<Tensor<(CO,), E, D>, BB>>,
    x: Traced<Tensor<S, E, D>, BX>,
    activation: A,
    _geometry: G,
    _orientation: O,
) -> Traced<
    Tensor<TransposedOut<KW, KH, G, S, CO>, E, D>,
    ConvTransposeNode<A, KW, KH, CI, CO, G, S, E, D, BW, BB, BX>,
>
where
    KW: ConstDim,
    KH: ConstDim,
    CI: ConstDim,
    CO: ConstDim,
    S: Images<C = CI>,
    G: Unslide<S::W, KW> + Unslide<S::H, KH>,
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
    let window = transposed_window::<KW, KH, G, S>(shape, CO::SIZE).flip(O::FLIPPED);
    let device = x.device().clone();
    let batch = shape.batch().size();
    let inner = S::W::SIZE * S::H::SIZE;
    let columns = inner
        .checked_mul(batch)
        .expect("conv_transpose: the input positions overflow usize");
    let xt = Tensor::from_parts(
        (CI::default(), columns),
        device.transpose_batched::<S, (CI, usize)>(x.buffer(), inner, CI::SIZE, batch),
        device.clone(),
    );
    drop(x);
    let rows = window.taps() * CO::SIZE;
    let cols = device.matmul::<(KW, KH, CO, CI), (CI, usize), (usize, usize)>(
        rows,
        CI::SIZE,
        columns,
        w.buffer(),
        false,
        xt.buffer(),
        false,
    );
    let out_shape: TransposedOut<KW, KH, G, S, CO> = (
        Default::default(),
        Default::default(),
        CO::default(),
        shape.batch(),
    );
    let mut y = device.col2im::<(usize, usize), TransposedOut<KW, KH, G, S, CO>>(&cols, &window);
    drop(cols);
    if let Some(bias) = &bias {
        device.add_channels::<TransposedOut<KW, KH, G, S, CO>, (CO,)>(
            &mut y,
            window.input[0] * window.input[1],
            bias.buffer(),
        );
    }
    let mut z = Tensor::from_parts(out_shape, y, device);
    let kept = activation.activate(&mut z, want_w || want_x || want_b);
    let pullback = ConvTransposePullback {
        activation,
        kept,
        window,
        w: want_x.then_some(w),
        xt: want_w.then_some(xt),
        bias: want_b,
        input: shape,
        kernel: PhantomData,
    };
    Traced::new(z, w_node.join3(bias_node.into_node(), x_node, pullback))
}

/// The pullback of [`conv_transpose`]: the activation's pullback, then the
/// gradients of the operands it kept for.
#[allow(clippy::type_complexity)]
#[derive(Clone, Debug)]
pub struct ConvTransposePullback<A, KW, KH, CI, CO, G, S, E, D>
where
    KW: ConstDim,
    KH: ConstDim,
    CI: ConstDim,
    CO: ConstDim,
    S: Images,
    G: Unslide<S::W, KW> + Unslide<S::H, KH>,
    E: Element,
    D: Device,
{
    activation: A,
    kept: Option<Tensor<TransposedOut<KW, KH, G, S, CO>, E, D>>,
    window: Window,
    /// The weight, for `x̄`; only when the input's gradient is wanted.
    w: Option<ConvWeight<KW, KH, CO, CI, E, D>>,
    /// The input transposed, `CI × W·H·N`, for `W̄`; only when the
    /// weight's is wanted.
    xt: Option<Tensor<(CI, usize), E, D>>,
    bias: bool,
    /// The input's shape (its batch is known at run time).
    input: S,
    kernel: PhantomData<fn() -> G>,
}

impl<A, KW, KH, CI, CO, G, S, E, D> Pullback<Tensor<TransposedOut<KW, KH, G, S, CO>, E, D>>
    for ConvTransposePullback<A, KW, KH, CI, CO, G, S, E, D>
where
    A: Activation,
    KW: ConstDim,
    KH: ConstDim,
    CI: ConstDim,
    CO: ConstDim,
    S: Images<C = CI>,
    G: Unslide<S::W, KW> + Unslide<S::H, KH>,
    E: Element,
    D: Kernels<E>,
{
    type Grads = (
        Option<OuterProduct<Tensor<(CI, usize), E, D>, Columns<KW, KH, CO, E, D>>>,
        Option<Tensor<(CO,), E, D>>,
        Option<Tensor<S, E, D>>,
    );

    #[inline]
    fn pullback(self, dy: Tensor<TransposedOut<KW, KH, G, S, CO>, E, D>) -> Self::Grads {
        let dz = self.activation.pullback(self.kept, dy);
        let device = dz.device().clone();
        let batch = self.input.batch().size();
        let inner = S::W::SIZE * S::H::SIZE;
        let columns = inner * batch;
        let db = self.bias.then(|| {
            Tensor::from_parts(
                (CO::default(),),
                device.sum_channels::<TransposedOut<KW, KH, G, S, CO>, (CO,)>(
                    dz.buffer(),
                    self.window.input[0] * self.window.input[1],
                    CO::SIZE,
                ),
                device.clone(),
            )
        });
        if self.w.is_none() && self.xt.is_none() {
            return (None, db, None);
        }
        let rows = self.window.taps() * CO::SIZE;
        let cols = Tensor::from_parts(
            (rows, columns),
            device.im2col::<TransposedOut<KW, KH, G, S, CO>, (usize, usize)>(
                dz.buffer(),
                &self.window,
            ),
            device.clone(),
        );
        drop(dz);
        let dx = self.w.map(|w| {
            let dxt = device.matmul::<(KW, KH, CO, CI), (usize, usize), (CI, usize)>(
                CI::SIZE,
                rows,
                columns,
                w.buffer(),
                true,
                cols.buffer(),
                false,
            );
            Tensor::from_parts(
                self.input,
                device.transpose_batched::<(CI, usize), S>(&dxt, CI::SIZE, inner, batch),
                device.clone(),
            )
        });
        let dw = self.xt.map(|xt| OuterProduct {
            a: xt,
            b: Columns::new(cols),
        });
        (dw, db, dx)
    }
}
