//! Gathering columns by index, an embedding's lookup, and its pullback,
//! which adds each column's cotangent back where the column came from.
//!
//! The indices are data, not differentiated. The pullback scatters the
//! cotangent into a matrix of the source's shape on the host (the device
//! has no scatter kernel): the gradient of an embedding's weight is that
//! whole matrix, zero in the columns no index chose.

// A rule's signature names the value's shape and its pullback in full.
#![allow(clippy::type_complexity)]

use super::on_host;
use crate::reverse::pullback::Pullback;
use typeflux_core::{Dim, Element, Kernels, Shape, Tensor};

/// `y = w[:, indices]`, the columns `indices` of `w` as a batch; the
/// pullback adds column `k` of `ȳ` into column `indices[k]` of `w̄`, so a
/// column chosen twice gets both. Keeps the indices and `w`'s shape.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::gather};
/// use typeflux_core::prelude::*;
///
/// let w: Matrix<2, 3> = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// let (y, back) = gather::gather(w, &[2, 0, 2]);
/// assert_eq!(y.to_vec(), vec![3.0, 6.0, 1.0, 4.0, 3.0, 6.0]);
/// let dw = back.pullback(Batch::<2>::ones_with((Const, 3)));
/// assert_eq!(dw, Tensor::from_array([[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]]));
/// ```
///
/// # Panics
/// When an index is not below `w`'s column count.
#[inline]
#[track_caller]
pub fn gather<R: Dim, C: Dim, E: Element, D: Kernels<E>>(
    w: Tensor<(R, C), E, D>,
    indices: &[usize],
) -> (Tensor<(R, usize), E, D>, GatherPullback<R, C>) {
    (
        w.gather(indices),
        GatherPullback {
            indices: indices.to_vec(),
            shape: w.shape(),
        },
    )
}

/// `y = w[:, index]`, one column as a vector; the pullback puts `ȳ` in
/// column `index` of a zero `w̄`.
///
/// # Panics
/// When `index` is not below `w`'s column count.
#[inline]
#[track_caller]
pub fn gather_column<R: Dim, C: Dim, E: Element, D: Kernels<E>>(
    w: Tensor<(R, C), E, D>,
    index: usize,
) -> (Tensor<(R,), E, D>, GatherPullback<R, C>) {
    (
        w.gather_column(index),
        GatherPullback {
            indices: vec![index],
            shape: w.shape(),
        },
    )
}

/// The pullback of [`gather`] and [`gather_column`]: the cotangent's
/// columns added into a zero matrix of the source's shape at their
/// indices.
#[derive(Clone, Debug)]
pub struct GatherPullback<R, C> {
    indices: Vec<usize>,
    shape: (R, C),
}

impl<R: Dim, C: Dim> GatherPullback<R, C> {
    /// `w̄` from the cotangent `dy`, whose columns follow the indices.
    fn scatter<S: Shape, E: Element, D: Kernels<E>>(
        self,
        dy: &Tensor<S, E, D>,
    ) -> Tensor<(R, C), E, D> {
        let rows = self.shape.0.size();
        on_host(dy, self.shape, |dy| {
            let mut dw = vec![E::zero(); rows * self.shape.1.size()];
            for (column, &j) in dy.chunks_exact(rows.max(1)).zip(&self.indices) {
                for (sum, &g) in dw[j * rows..(j + 1) * rows].iter_mut().zip(column) {
                    *sum += g;
                }
            }
            dw
        })
    }
}

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(R, usize), E, D>>
    for GatherPullback<R, C>
{
    type Grads = Tensor<(R, C), E, D>;

    fn pullback(self, dy: Tensor<(R, usize), E, D>) -> Tensor<(R, C), E, D> {
        self.scatter(&dy)
    }
}

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(R,), E, D>>
    for GatherPullback<R, C>
{
    type Grads = Tensor<(R, C), E, D>;

    fn pullback(self, dy: Tensor<(R,), E, D>) -> Tensor<(R, C), E, D> {
        self.scatter(&dy)
    }
}
