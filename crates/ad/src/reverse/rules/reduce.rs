//! Reduction rules: sums, means and maxima, of everything or along an axis.
//!
//! A reduction's result is a scalar tensor (`sum`, `mean`, `max`, and the
//! reductions of a vector along its one axis) or a vector, so that it stays
//! on the device and can be differentiated again. A sum spreads its cotangent
//! over everything it summed, a mean the same divided by the count, a maximum
//! sends it to the element that won (the first of equals, as the device's
//! kernel picks it).

use super::{argmax, count, on_host};
use crate::reverse::fill::{Cotangent, Fill};
use crate::reverse::node::Backward;
use crate::reverse::pullback::Pullback;
use crate::reverse::rules::shape::Broadcast;
use typeflux_core::{BinaryOp, Device, Dim, Element, Kernels, ReduceAxis, Shape, Tensor, UnaryOp};

/// `dy` (one element) repeated to `shape` on `device`.
fn spread<S: Shape, E: Element, D: Kernels<E>>(
    dy: &Tensor<(), E, D>,
    shape: S,
    device: &D,
) -> Tensor<S, E, D> {
    Fill::new(dy.item(), shape, device.clone()).into_tensor()
}

/// `s = Σ x` as a scalar tensor: `x̄ = s̄` everywhere. Keeps the shape and
/// the device.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::reduce};
/// use typeflux_core::prelude::*;
///
/// let (s, back) = reduce::sum(Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]));
/// assert_eq!(s.to_vec(), vec![10.0]);
/// assert_eq!(back.pullback(Tensor::scalar(2.0)), Matrix::<2, 2>::full(2.0));
/// ```
#[inline]
pub fn sum<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Tensor<(), E, D>, SumPullback<S, D>) {
    let s = Tensor::full_on((), x.sum(), x.device());
    let (shape, device) = (x.shape(), x.device().clone());
    (s, SumPullback { shape, device })
}

/// The pullback of [`sum`]: `x̄ = s̄` everywhere.
#[derive(Clone, Debug)]
pub struct SumPullback<S, D> {
    shape: S,
    device: D,
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<(), E, D>> for SumPullback<S, D> {
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, ds: Tensor<(), E, D>) -> Tensor<S, E, D> {
        spread(&ds, self.shape, &self.device)
    }

    /// Hands on `s̄` as a [`Fill`], not spread into a tensor.
    #[inline]
    fn pullback_into<B: Backward<Tensor<S, E, D>, G>, G>(
        self,
        ds: Tensor<(), E, D>,
        next: B,
        grads: &mut G,
    ) {
        next.backward_fill(Fill::new(ds.item(), self.shape, self.device), grads);
    }
}

/// `m = Σ x / n` as a scalar tensor: `x̄ = m̄ / n` everywhere. Keeps the
/// shape and the device.
#[inline]
pub fn mean<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Tensor<(), E, D>, MeanPullback<S, D>) {
    let m = Tensor::full_on((), x.mean(), x.device());
    let (shape, device) = (x.shape(), x.device().clone());
    (m, MeanPullback { shape, device })
}

/// `s = Σ x²` in one pass that stores no `x²`: the square and the sum
/// fused, as `sum((x - y)²)` and the squared errors need. Keeps `x`, whose
/// buffer becomes the gradient `x̄ = 2x · s̄`.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::reduce};
/// use typeflux_core::prelude::*;
///
/// let x: Vector<2> = Tensor::from_array([3.0, -4.0]);
/// let (s, back) = reduce::sum_of_squares(x);
/// assert_eq!(s.item(), 25.0);
/// assert_eq!(back.pullback(Tensor::scalar(1.0)).to_vec(), vec![6.0, -8.0]);
/// ```
#[inline]
pub fn sum_of_squares<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Tensor<(), E, D>, SquaresPullback<S, E, D>) {
    let s = Tensor::full_on((), x.sum_of(UnaryOp::Square), x.device());
    let two = E::one() + E::one();
    (s, SquaresPullback { x, scale: two })
}

/// `m = Σ x² / n` in one pass (see [`sum_of_squares`]): `x̄ = 2x/n · m̄`.
#[inline]
pub fn mean_of_squares<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Tensor<(), E, D>, SquaresPullback<S, E, D>) {
    let n = count::<E>(x.len());
    let m = Tensor::full_on((), x.sum_of(UnaryOp::Square) / n, x.device());
    let two = E::one() + E::one();
    (m, SquaresPullback { x, scale: two / n })
}

/// The pullback of [`sum_of_squares`] and [`mean_of_squares`]:
/// `x̄ = scale · x · ȳ`, in `x`'s buffer.
#[derive(Clone, Debug)]
pub struct SquaresPullback<S: Shape, E: Element, D: Device> {
    x: Tensor<S, E, D>,
    scale: E,
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<(), E, D>> for SquaresPullback<S, E, D> {
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<(), E, D>) -> Tensor<S, E, D> {
        self.x * (self.scale * dy.item())
    }
}

/// The pullback of [`mean`]: `x̄ = m̄ / n` everywhere.
#[derive(Clone, Debug)]
pub struct MeanPullback<S, D> {
    shape: S,
    device: D,
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<(), E, D>> for MeanPullback<S, D> {
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, dm: Tensor<(), E, D>) -> Tensor<S, E, D> {
        let dm = dm / count::<E>(self.shape.num_elements());
        spread(&dm, self.shape, &self.device)
    }

    /// Hands on `m̄ / n` as a [`Fill`], not spread into a tensor.
    #[inline]
    fn pullback_into<B: Backward<Tensor<S, E, D>, G>, G>(
        self,
        dm: Tensor<(), E, D>,
        next: B,
        grads: &mut G,
    ) {
        let dx = dm.item() / count::<E>(self.shape.num_elements());
        next.backward_fill(Fill::new(dx, self.shape, self.device), grads);
    }
}

/// `m = max x` as a scalar tensor: `x̄ = m̄` at the largest element (the first
/// of equals), 0 elsewhere. Keeps `x`; the winner is found on the host.
///
/// # Panics
/// On an empty tensor, as core's `max`.
#[inline]
#[track_caller]
pub fn max<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Tensor<(), E, D>, MaxPullback<S, E, D>) {
    (Tensor::full_on((), x.max(), x.device()), MaxPullback { x })
}

/// The pullback of [`max`]: the cotangent goes to the largest element.
#[derive(Clone, Debug)]
pub struct MaxPullback<S: Shape, E: Element, D: Kernels<E>> {
    x: Tensor<S, E, D>,
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<(), E, D>> for MaxPullback<S, E, D> {
    type Grads = Tensor<S, E, D>;

    fn pullback(self, dm: Tensor<(), E, D>) -> Tensor<S, E, D> {
        let dm = dm.item();
        on_host(&self.x, self.x.shape(), |xs| {
            let winner = argmax(xs.iter().copied().enumerate());
            let mut dx = vec![E::zero(); xs.len()];
            if let Some(i) = winner {
                dx[i] = dm;
            }
            dx
        })
    }
}

/// The result type of a reduction along `AXIS`.
pub type Reduced<S, E, D, const AXIS: usize> = <Tensor<S, E, D> as ReduceAxis<AXIS>>::Output;

/// Sums along `AXIS`, removing that axis: `x̄` repeats `ȳ` along it. Keeps
/// the shape and the device.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::reduce};
/// use typeflux_core::prelude::*;
///
/// let x: Matrix<2, 3> = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// let (y, back) = reduce::sum_along::<1, _, _, _>(x);
/// assert_eq!(y.to_vec(), vec![6.0, 15.0]);
/// let dx = back.pullback(Tensor::from_array([1.0, 2.0]));
/// assert_eq!(dx, Tensor::from_array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]));
/// ```
#[inline]
pub fn sum_along<const AXIS: usize, S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Reduced<S, E, D, AXIS>, SumAlongPullback<AXIS, S, D>)
where
    Tensor<S, E, D>: ReduceAxis<AXIS>,
{
    let y = ReduceAxis::<AXIS>::sum_axis(&x);
    let (shape, device) = (x.shape(), x.device().clone());
    (y, SumAlongPullback { shape, device })
}

/// Means along `AXIS`: `x̄` repeats `ȳ / n` along it, `n` the axis length.
#[inline]
pub fn mean_along<const AXIS: usize, S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Reduced<S, E, D, AXIS>, MeanAlongPullback<AXIS, S, D>)
where
    Tensor<S, E, D>: ReduceAxis<AXIS>,
{
    let y = ReduceAxis::<AXIS>::mean_axis(&x);
    let (shape, device) = (x.shape(), x.device().clone());
    (y, MeanAlongPullback { shape, device })
}

/// Maxima along `AXIS`: each `ȳ` goes to the largest element of its slice
/// (the first of equals). Keeps `x`; the winners are found on the host.
#[inline]
#[track_caller]
pub fn max_along<const AXIS: usize, S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Reduced<S, E, D, AXIS>, MaxAlongPullback<AXIS, S, E, D>)
where
    Tensor<S, E, D>: ReduceAxis<AXIS>,
{
    (ReduceAxis::<AXIS>::max_axis(&x), MaxAlongPullback { x })
}

/// The pullback of [`sum_along`]: the cotangent repeated along the axis.
#[derive(Clone, Debug)]
pub struct SumAlongPullback<const AXIS: usize, S, D> {
    shape: S,
    device: D,
}

/// The pullback of [`mean_along`]: the cotangent divided by the axis length
/// and repeated along the axis.
#[derive(Clone, Debug)]
pub struct MeanAlongPullback<const AXIS: usize, S, D> {
    shape: S,
    device: D,
}

/// The pullback of [`max_along`]: each cotangent goes to the winner of its
/// slice.
#[derive(Clone, Debug)]
pub struct MaxAlongPullback<const AXIS: usize, S: Shape, E: Element, D: Kernels<E>> {
    x: Tensor<S, E, D>,
}

/// The pullbacks of [`sum_along`] and [`mean_along`] for the three
/// reductions that core's [`ReduceAxis`] offers: `$repeat` repeats `ȳ` along
/// the reduced axis.
macro_rules! along_pullbacks {
    ($($(#[$doc:meta])* $axis:literal: ($($dims:ident),+) -> $dy:ty,
        |$this:ident, $g:ident| $repeat:expr;)*) => {$(
        $(#[$doc])*
        impl<$($dims: Dim,)+ E: Element, D: Kernels<E>> Pullback<$dy>
            for SumAlongPullback<$axis, ($($dims,)+), D>
        {
            type Grads = Tensor<($($dims,)+), E, D>;

            #[inline]
            fn pullback(self, dy: $dy) -> Self::Grads {
                let ($this, $g) = (self, &dy);
                $repeat
            }
        }

        $(#[$doc])*
        impl<$($dims: Dim,)+ E: Element, D: Kernels<E>> Pullback<$dy>
            for MeanAlongPullback<$axis, ($($dims,)+), D>
        {
            type Grads = Tensor<($($dims,)+), E, D>;

            #[inline]
            fn pullback(self, dy: $dy) -> Self::Grads {
                let n = self.shape.dims()[$axis];
                let $this = SumAlongPullback::<$axis, ($($dims,)+), D> {
                    shape: self.shape,
                    device: self.device,
                };
                let $g = &(dy / count::<E>(n));
                $repeat
            }
        }
    )*};
}

along_pullbacks! {
    /// Down the rows: `x̄ᵢⱼ = ȳⱼ`, the outer product `1·ȳᵀ`.
    0: (R, C) -> Tensor<(C,), E, D>,
        |p, dy| Tensor::full_on((p.shape.0,), E::one(), &p.device).outer(dy);
    /// Over the columns: `x̄ᵢⱼ = ȳᵢ`.
    1: (R, C) -> Tensor<(R,), E, D>,
        |p, dy| Tensor::full_on(p.shape, E::zero(), &p.device).combine_into(BinaryOp::Add, dy);
    /// Along a vector: `x̄ᵢ = ȳ`.
    0: (N) -> Tensor<(), E, D>,
        |p, dy| spread(dy, p.shape, &p.device);
}

/// Places `dy[k]` at the winner of slice `k`, where slice `k` of a
/// `rows × cols` matrix is column `k` (`AXIS = 0`) or row `k` (`AXIS = 1`).
fn route_to_winners<const AXIS: usize, S: Shape, S2: Shape, E: Element, D: Kernels<E>>(
    x: &Tensor<S, E, D>,
    dy: &Tensor<S2, E, D>,
) -> Tensor<S, E, D> {
    let [rows, cols] = x.shape().dims();
    let dy = dy.to_vec();
    on_host(x, x.shape(), |xs| {
        let mut dx = vec![E::zero(); xs.len()];
        for (k, &g) in dy.iter().enumerate() {
            let slice: Vec<usize> = if AXIS == 0 {
                (0..rows).map(|r| r + k * rows).collect()
            } else {
                (0..cols).map(|c| k + c * rows).collect()
            };
            if let Some(i) = argmax(slice.iter().map(|&i| (i, xs[i]))) {
                dx[i] = g;
            }
        }
        dx
    })
}

macro_rules! max_along_pullback {
    ($($axis:literal: ($($dims:ident),+) -> $dy:ty;)*) => {$(
        impl<$($dims: Dim,)+ E: Element, D: Kernels<E>> Pullback<$dy>
            for MaxAlongPullback<$axis, ($($dims,)+), E, D>
        {
            type Grads = Tensor<($($dims,)+), E, D>;

            fn pullback(self, dy: $dy) -> Self::Grads {
                route_to_winners::<$axis, _, _, _, _>(&self.x, &dy)
            }
        }
    )*};
}

max_along_pullback! {
    0: (R, C) -> Tensor<(C,), E, D>;
    1: (R, C) -> Tensor<(R,), E, D>;
    0: (N) -> Tensor<(), E, D>;
}

/// The pullback of a scalar whose gradient `g` was computed with its value
/// (a fused loss): `x̄ = ȳ · g`. Keeps `g`, or, where no gradient was
/// wanted when the value was computed, only the shape (and gives zeros).
#[derive(Clone, Debug)]
pub struct GradientPullback<S: Shape, E: Element, D: Device> {
    grad: Option<Tensor<S, E, D>>,
    shape: S,
    device: D,
}

impl<S: Shape, E: Element, D: Device> GradientPullback<S, E, D> {
    /// The pullback of a scalar whose gradient is `grad`.
    #[inline]
    pub fn new(grad: Tensor<S, E, D>) -> Self {
        let (shape, device) = (grad.shape(), grad.device().clone());
        GradientPullback {
            grad: Some(grad),
            shape,
            device,
        }
    }

    /// The pullback of a scalar of a tensor of `shape` on `device` whose
    /// gradient was not computed: it gives zeros, and is not meant to run.
    #[inline]
    pub fn unwanted(shape: S, device: D) -> Self {
        GradientPullback {
            grad: None,
            shape,
            device,
        }
    }

    #[inline]
    fn grad(self) -> Tensor<S, E, D> {
        self.grad
            .unwrap_or_else(|| Tensor::full_on(self.shape, E::zero(), &self.device))
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<(), E, D>> for GradientPullback<S, E, D> {
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, dl: Tensor<(), E, D>) -> Tensor<S, E, D> {
        self.grad() * dl.item()
    }

    #[inline]
    fn pullback_fill(self, dl: <Tensor<(), E, D> as Cotangent>::Fill) -> Tensor<S, E, D> {
        self.grad() * dl.value()
    }
}
