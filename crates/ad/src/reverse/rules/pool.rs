//! Pooling: the largest or the mean input under a window sliding over each
//! channel of each image. The pullback of a maximum hands the cotangent to
//! the input it took (the first of equals, as the forward pass chose); the
//! pullback of a mean shares it equally among the window's taps.

use super::conv::{Images, WindowOut, window};
use crate::reverse::pullback::Pullback;
use typeflux_core::ops::window::{Pool, Slide, Window};
use typeflux_core::{ConstDim, Device, Element, Kernels, Shape, Tensor};

/// The output shape of pooling with a `KW × KH` window stepped by `G` over
/// the images `S`: the channels and the batch are kept.
pub type PoolOut<KW, KH, G, S> = WindowOut<KW, KH, G, S, <S as Images>::C>;

/// `y = pool(x)`: the maximum or the mean of every `KW × KH` window of
/// each channel, the window stepped by `G`
/// ([`Tiled`](typeflux_core::ops::window::Tiled) for Flux's default,
/// stride = window). Keeps the input and the window.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::pool};
/// use typeflux_core::ops::window::{Pool, Tiled};
/// use typeflux_core::prelude::*;
///
/// let x = Tensor::<(Const<4>, Const<2>, Const<1>, usize)>::from_vec(
///     (Const, Const, Const, 1),
///     vec![1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 7.0, 8.0],
/// )
/// .unwrap();
/// let (y, back) = pool::pool::<Const<2>, Const<2>, Tiled, _, _, _>(x, Pool::Max);
/// assert_eq!(y.to_vec(), vec![5.0, 8.0]);
/// let dx = back.pullback(Tensor::from_vec(y.shape(), vec![1.0, 10.0]).unwrap());
/// assert_eq!(dx.to_vec(), vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0]);
/// ```
#[allow(clippy::type_complexity)]
#[inline]
#[track_caller]
pub fn pool<KW, KH, G, S, E, D>(
    x: Tensor<S, E, D>,
    pool: Pool,
) -> (Tensor<PoolOut<KW, KH, G, S>, E, D>, PoolPullback<S, E, D>)
where
    KW: ConstDim,
    KH: ConstDim,
    S: Images,
    G: Slide<S::W, KW> + Slide<S::H, KH>,
    E: Element,
    D: Kernels<E>,
{
    let shape = x.shape();
    let window = window::<KW, KH, G, S>(shape);
    let device = x.device().clone();
    let out: PoolOut<KW, KH, G, S> = (
        Default::default(),
        Default::default(),
        shape.channels(),
        shape.batch(),
    );
    let y = Tensor::from_parts(
        out,
        device.pool::<S, PoolOut<KW, KH, G, S>>(x.buffer(), &window, pool),
        device,
    );
    (y, PoolPullback { x, window, pool })
}

/// The pullback of [`pool`]: keeps the input (where a maximum lies), the
/// window and the kind of pooling.
#[derive(Clone, Debug)]
pub struct PoolPullback<S: Shape, E: Element, D: Device> {
    x: Tensor<S, E, D>,
    window: Window,
    pool: Pool,
}

impl<S: Shape, T: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<T, E, D>>
    for PoolPullback<S, E, D>
{
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<T, E, D>) -> Tensor<S, E, D> {
        let device = self.x.device().clone();
        let dx =
            device.pool_pullback::<S, T>(self.x.buffer(), dy.buffer(), &self.window, self.pool);
        Tensor::from_parts(self.x.shape(), dx, device)
    }
}

/// `y = pool(x)` over the windows of a run-time [`Window`] whose output size
/// the caller's type `T` already names: for layers whose window depends on
/// the input's size, such as an adaptive pooling. The kernels check the
/// window against the input; `T` must hold the window's outputs.
///
/// # Panics
/// If `out` does not hold `OW·OH·C·N` elements of the window.
#[inline]
#[track_caller]
pub fn pool_to<S, T, E, D>(
    x: Tensor<S, E, D>,
    out: T,
    window: Window,
    pool: Pool,
) -> (Tensor<T, E, D>, PoolPullback<S, E, D>)
where
    S: Shape,
    T: Shape,
    E: Element,
    D: Kernels<E>,
{
    let device = x.device().clone();
    let y = Tensor::from_parts(out, device.pool::<S, T>(x.buffer(), &window, pool), device);
    (y, PoolPullback { x, window, pool })
}
