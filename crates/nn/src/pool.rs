//! Pooling layers and `flatten`: Flux's `MaxPool`, `MeanPool`,
//! `GlobalMaxPool`, `GlobalMeanPool`, `AdaptiveMeanPool` and `Flux.flatten`.
//!
//! None holds a parameter; each takes a batch of images plain, borrowed or
//! traced, and differentiates by typeflux-ad's rules
//! ([`rules::pool`](typeflux_ad::reverse::rules::pool) and the flatten of
//! [`rules::shape`](typeflux_ad::reverse::rules::shape)).

use crate::layer::Layer;
use typeflux_ad::reverse::rules::conv::Images;
use typeflux_ad::reverse::rules::pool::{self, PoolOut, PoolPullback};
use typeflux_ad::reverse::rules::shape::UnflattenPullback;
use typeflux_ad::reverse::{Node, Traced};
use typeflux_core::functor::Functor;
use typeflux_core::ops::window::{Pool, Slide, Stepping, Tiled, Window};
use typeflux_core::ops::{Features, Flattened};
use typeflux_core::{Const, ConstDim, Dim, Element, Kernels, Tensor, ToTypenum};
use typenum::{B1, GrEq, IsGreaterOrEqual};

/// The largest input of every `KW × KH` window of each channel, Flux's
/// `MaxPool((KW, KH))`. The windows tile the input ([`Tiled`]: stride =
/// window, no padding) unless `G` is a
/// [`Geometry`](typeflux_core::ops::window::Geometry), and the output size
/// is computed by the type checker, rounded down.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let x = Tensor::<(Const<5>, Const<4>, Const<3>, usize)>::ones_with((Const, Const, Const, 2));
/// let y = MaxPool::<2, 2>::new().forward(&x); // 5 / 2 rounds down
/// assert_eq!(y.shape(), (Const::<2>, Const::<2>, Const::<3>, 2));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Functor)]
pub struct MaxPool<const KW: usize, const KH: usize, G = Tiled> {
    /// Stride, padding and dilation.
    #[functor(skip)]
    pub geometry: G,
}

/// The mean of every `KW × KH` window of each channel, Flux's
/// `MeanPool((KW, KH))`; padding counts as zeros, the divisor is always
/// `KW·KH`. Stepping as for [`MaxPool`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Functor)]
pub struct MeanPool<const KW: usize, const KH: usize, G = Tiled> {
    /// Stride, padding and dilation.
    #[functor(skip)]
    pub geometry: G,
}

/// The largest element of each channel of each image, Flux's
/// `GlobalMaxPool()`: `W × H × C × N` to `1 × 1 × C × N`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Functor)]
pub struct GlobalMaxPool {}

/// The mean of each channel of each image, Flux's `GlobalMeanPool()`:
/// `W × H × C × N` to `1 × 1 × C × N`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Functor)]
pub struct GlobalMeanPool {}

/// Each image's `W·H·C` elements as one column of features, Flux's
/// `Flux.flatten` between the convolutions and the dense layers of a
/// model. The feature count is computed by the type checker, so the
/// `Dense` after it must take exactly that many.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let x = Tensor::<(Const<4>, Const<4>, Const<2>, usize)>::ones_with((Const, Const, Const, 3));
/// let y: Batch<32> = Flatten::new().forward(&x);
/// assert_eq!(y.shape(), (Const::<32>, 3));
/// ```
///
/// ```compile_fail
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let model = Chain((Flatten::new(), Dense::<30, 10>::new(relu))); // 4·4·2 is 32
/// let x = Tensor::<(Const<4>, Const<4>, Const<2>, usize)>::ones_with((Const, Const, Const, 3));
/// let y = model.forward(&x);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Functor)]
pub struct Flatten {}

impl<const KW: usize, const KH: usize> MaxPool<KW, KH> {
    /// Windows that tile the input.
    pub fn new() -> Self {
        MaxPool { geometry: Tiled }
    }
}

impl<const KW: usize, const KH: usize> MeanPool<KW, KH> {
    /// Windows that tile the input.
    pub fn new() -> Self {
        MeanPool { geometry: Tiled }
    }
}

impl GlobalMaxPool {
    /// The layer.
    pub fn new() -> Self {
        GlobalMaxPool {}
    }
}

impl GlobalMeanPool {
    /// The layer.
    pub fn new() -> Self {
        GlobalMeanPool {}
    }
}

impl Flatten {
    /// The layer.
    pub fn new() -> Self {
        Flatten {}
    }
}

/// The three inputs of a pooling layer: a tensor, a borrowed one (copied)
/// and a traced one, each through [`rules::pool`](pool::pool).
macro_rules! pool_layer {
    ($Layer:ident [$($generics:tt)*] [$($args:tt)*], $KW:ty, $KH:ty, $G:ty, $pool:expr) => {
        #[diagnostic::do_not_recommend]
        impl<$($generics)* S: Images, E: Element, D: Kernels<E>> Layer<Tensor<S, E, D>>
            for $Layer<$($args)*>
        where
            $G: Slide<S::W, $KW> + Slide<S::H, $KH>,
        {
            type Output = Tensor<PoolOut<$KW, $KH, $G, S>, E, D>;

            #[inline]
            fn forward(&self, x: Tensor<S, E, D>) -> Self::Output {
                pool::pool::<$KW, $KH, $G, S, E, D>(x, $pool).0
            }
        }

        #[diagnostic::do_not_recommend]
        impl<'a, $($generics)* S: Images, E: Element, D: Kernels<E>> Layer<&'a Tensor<S, E, D>>
            for $Layer<$($args)*>
        where
            $G: Slide<S::W, $KW> + Slide<S::H, $KH>,
        {
            type Output = Tensor<PoolOut<$KW, $KH, $G, S>, E, D>;

            #[inline]
            fn forward(&self, x: &'a Tensor<S, E, D>) -> Self::Output {
                self.forward(x.clone())
            }
        }

        #[diagnostic::do_not_recommend]
        impl<$($generics)* S: Images, E: Element, D: Kernels<E>, B: Node>
            Layer<Traced<Tensor<S, E, D>, B>> for $Layer<$($args)*>
        where
            $G: Slide<S::W, $KW> + Slide<S::H, $KH>,
        {
            type Output =
                Traced<Tensor<PoolOut<$KW, $KH, $G, S>, E, D>, B::Then<PoolPullback<S, E, D>>>;

            #[inline]
            fn forward(&self, x: Traced<Tensor<S, E, D>, B>) -> Self::Output {
                x.pool::<$KW, $KH, $G>($pool)
            }
        }
    };
}

pool_layer!(MaxPool [const KW: usize, const KH: usize, G,] [KW, KH, G], Const<KW>, Const<KH>, G, Pool::Max);
pool_layer!(MeanPool [const KW: usize, const KH: usize, G,] [KW, KH, G], Const<KW>, Const<KH>, G, Pool::Mean);
pool_layer!(GlobalMaxPool [] [], S::W, S::H, Tiled, Pool::Max);
pool_layer!(GlobalMeanPool [] [], S::W, S::H, Tiled, Pool::Mean);

#[diagnostic::do_not_recommend]
impl<W: ConstDim, H: ConstDim, C: ConstDim, E: Element, D: Kernels<E>>
    Layer<Tensor<(W, H, C, usize), E, D>> for Flatten
where
    (W, H, C): Features,
{
    type Output = Tensor<Flattened<W, H, C, usize>, E, D>;

    #[inline]
    fn forward(&self, x: Tensor<(W, H, C, usize), E, D>) -> Self::Output {
        x.flatten_features()
    }
}

#[diagnostic::do_not_recommend]
impl<'a, W: ConstDim, H: ConstDim, C: ConstDim, E: Element, D: Kernels<E>>
    Layer<&'a Tensor<(W, H, C, usize), E, D>> for Flatten
where
    (W, H, C): Features,
{
    type Output = Tensor<Flattened<W, H, C, usize>, E, D>;

    #[inline]
    fn forward(&self, x: &'a Tensor<(W, H, C, usize), E, D>) -> Self::Output {
        x.clone().flatten_features()
    }
}

#[diagnostic::do_not_recommend]
impl<W: ConstDim, H: ConstDim, C: ConstDim, E: Element, D: Kernels<E>, B: Node>
    Layer<Traced<Tensor<(W, H, C, usize), E, D>, B>> for Flatten
where
    (W, H, C): Features,
{
    type Output = Traced<
        Tensor<Flattened<W, H, C, usize>, E, D>,
        B::Then<UnflattenPullback<(W, H, C, usize)>>,
    >;

    #[inline]
    fn forward(&self, x: Traced<Tensor<(W, H, C, usize), E, D>, B>) -> Self::Output {
        x.flatten_features()
    }
}

/// The mean of each channel over `OW × OH` windows that cover the image,
/// whatever its size: Flux's `AdaptiveMeanPool((OW, OH))`. Along an axis
/// of `N` inputs the stride is `⌊N / O⌋` and the window `N − (O − 1)·stride`
/// wide, so the output is `OW × OH × C × batch`; the input must have at
/// least `O` positions along each axis, which the type checker proves.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let x = Tensor::<(Const<7>, Const<5>, Const<3>, usize)>::ones_with((Const, Const, Const, 2));
/// let y = AdaptiveMeanPool::<2, 2>::new().forward(&x);
/// assert_eq!(y.shape(), (Const::<2>, Const::<2>, Const::<3>, 2));
/// assert!(y.iter().all(|&v| (v - 1.0).abs() < 1e-6));
/// ```
///
/// ```compile_fail
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let x = Tensor::<(Const<2>, Const<5>, Const<3>, usize)>::ones_with((Const, Const, Const, 2));
/// let y = AdaptiveMeanPool::<3, 3>::new().forward(&x); // 2 inputs cannot make 3 outputs
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Functor)]
pub struct AdaptiveMeanPool<const OW: usize, const OH: usize> {}

impl<const OW: usize, const OH: usize> AdaptiveMeanPool<OW, OH> {
    /// The layer.
    pub fn new() -> Self {
        AdaptiveMeanPool {}
    }
}

/// An axis of `Self` inputs covers `O` outputs of an adaptive pooling: at
/// least one input per output.
#[diagnostic::on_unimplemented(
    message = "an adaptive pooling to `{O}` outputs needs at least as many inputs, not `{Self}`",
    label = "too few inputs along an axis"
)]
pub trait Covers<O> {}

#[diagnostic::do_not_recommend]
impl<const N: usize, const O: usize> Covers<Const<O>> for Const<N>
where
    Const<N>: ToTypenum,
    Const<O>: ToTypenum,
    <Const<N> as ToTypenum>::Output: IsGreaterOrEqual<<Const<O> as ToTypenum>::Output>,
    GrEq<<Const<N> as ToTypenum>::Output, <Const<O> as ToTypenum>::Output>: typenum::Same<B1>,
    <Const<O> as ToTypenum>::Output: typenum::NonZero,
{
}

/// The window of an adaptive pooling to `[ow, oh]` over images `S`.
fn adaptive<S: Images>(shape: S, [ow, oh]: [usize; 2]) -> Window {
    let input = [S::W::SIZE, S::H::SIZE];
    let stride = [input[0] / ow, input[1] / oh];
    Window {
        input,
        channels: shape.channels().size(),
        batch: shape.batch().size(),
        kernel: [
            input[0] - (ow - 1) * stride[0],
            input[1] - (oh - 1) * stride[1],
        ],
        stride,
        dilation: [1, 1],
        pad: [0, 0],
        output: [ow, oh],
        flipped: false,
    }
}

/// The output shape of an adaptive pooling to `OW × OH` of the images `S`.
pub type AdaptiveOut<const OW: usize, const OH: usize, S> =
    (Const<OW>, Const<OH>, <S as Images>::C, <S as Images>::N);

fn adaptive_pool<const OW: usize, const OH: usize, S: Images, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Tensor<AdaptiveOut<OW, OH, S>, E, D>, PoolPullback<S, E, D>) {
    let shape = x.shape();
    let out = (Const, Const, shape.channels(), shape.batch());
    pool::pool_to(x, out, adaptive(shape, [OW, OH]), Pool::Mean)
}

#[diagnostic::do_not_recommend]
impl<const OW: usize, const OH: usize, S: Images, E: Element, D: Kernels<E>> Layer<Tensor<S, E, D>>
    for AdaptiveMeanPool<OW, OH>
where
    S::W: Covers<Const<OW>>,
    S::H: Covers<Const<OH>>,
{
    type Output = Tensor<AdaptiveOut<OW, OH, S>, E, D>;

    #[inline]
    fn forward(&self, x: Tensor<S, E, D>) -> Self::Output {
        adaptive_pool::<OW, OH, S, E, D>(x).0
    }
}

#[diagnostic::do_not_recommend]
impl<'a, const OW: usize, const OH: usize, S: Images, E: Element, D: Kernels<E>>
    Layer<&'a Tensor<S, E, D>> for AdaptiveMeanPool<OW, OH>
where
    S::W: Covers<Const<OW>>,
    S::H: Covers<Const<OH>>,
{
    type Output = Tensor<AdaptiveOut<OW, OH, S>, E, D>;

    #[inline]
    fn forward(&self, x: &'a Tensor<S, E, D>) -> Self::Output {
        self.forward(x.clone())
    }
}

#[diagnostic::do_not_recommend]
impl<const OW: usize, const OH: usize, S: Images, E: Element, D: Kernels<E>, B: Node>
    Layer<Traced<Tensor<S, E, D>, B>> for AdaptiveMeanPool<OW, OH>
where
    S::W: Covers<Const<OW>>,
    S::H: Covers<Const<OH>>,
{
    type Output = Traced<Tensor<AdaptiveOut<OW, OH, S>, E, D>, B::Then<PoolPullback<S, E, D>>>;

    #[inline]
    fn forward(&self, x: Traced<Tensor<S, E, D>, B>) -> Self::Output {
        x.apply(adaptive_pool::<OW, OH, S, E, D>)
    }
}

/// A layer without tensors moves to another device, and to another element
/// type, as it is (Flux's `gpu` on a pooling layer changes nothing).
macro_rules! moves_as_is {
    ($([$($generics:tt)*] $Type:ty;)*) => {$(
        impl<$($generics)* D2: typeflux_core::Device> typeflux_core::ToDevice<D2> for $Type {
            type Output = Self;

            #[inline]
            fn to_device(&self, _: &D2) -> Self {
                self.clone()
            }
        }

        impl<$($generics)* E2> typeflux_core::ToElement<E2> for $Type {
            type Output = Self;

            #[inline]
            fn to_element(&self) -> Self {
                self.clone()
            }
        }
    )*};
}

moves_as_is! {
    [const KW: usize, const KH: usize, G: Clone,] MaxPool<KW, KH, G>;
    [const KW: usize, const KH: usize, G: Clone,] MeanPool<KW, KH, G>;
    [] GlobalMaxPool;
    [] GlobalMeanPool;
    [] Flatten;
    [const OW: usize, const OH: usize,] AdaptiveMeanPool<OW, OH>;
}

/// `MaxPool((KW, KH), pad=…, stride=…)` as Flux shows it, the options only
/// where they are not the default (no padding, stride = window).
///
/// ```
/// use typeflux_core::ops::window::{Geometry, Pad};
/// use typeflux_nn::prelude::*;
///
/// assert_eq!(MaxPool::<2, 2>::new().to_string(), "MaxPool((2, 2))");
/// let pool = MeanPool::<3, 3, Geometry<1, Pad<1>>>::default();
/// assert_eq!(pool.to_string(), "MeanPool((3, 3), pad=1, stride=1)");
/// ```
impl<const KW: usize, const KH: usize, G: Stepping> core::fmt::Display for MaxPool<KW, KH, G> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        show_pool::<G>(f, "MaxPool", [KW, KH])
    }
}

/// `MeanPool((KW, KH), pad=…, stride=…)` as Flux shows it.
impl<const KW: usize, const KH: usize, G: Stepping> core::fmt::Display for MeanPool<KW, KH, G> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        show_pool::<G>(f, "MeanPool", [KW, KH])
    }
}

/// A pooling layer's name, window, and the padding and stride where they
/// are not Flux's defaults.
fn show_pool<G: Stepping>(
    f: &mut core::fmt::Formatter<'_>,
    name: &str,
    kernel: [usize; 2],
) -> core::fmt::Result {
    write!(f, "{name}(({}, {})", kernel[0], kernel[1])?;
    let pad = G::padding(kernel, false);
    if pad.iter().any(|&p| p != 0) {
        write!(f, ", pad={}", crate::conv::sizes(&pad))?;
    }
    let stride = kernel.map(G::stride);
    if stride != kernel {
        write!(f, ", stride={}", crate::conv::sizes(&stride))?;
    }
    f.write_str(")")
}

/// `GlobalMaxPool()`.
impl core::fmt::Display for GlobalMaxPool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("GlobalMaxPool()")
    }
}

/// `GlobalMeanPool()`.
impl core::fmt::Display for GlobalMeanPool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("GlobalMeanPool()")
    }
}

/// `AdaptiveMeanPool((OW, OH))`.
impl<const OW: usize, const OH: usize> core::fmt::Display for AdaptiveMeanPool<OW, OH> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AdaptiveMeanPool(({OW}, {OH}))")
    }
}

/// `flatten`, as Flux shows the function in a `Chain`.
impl core::fmt::Display for Flatten {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("flatten")
    }
}
