//! Concatenation along the feature axis, with the sizes proven to add up.

use crate::device::Kernels;
use crate::dims::{Const, Dim, ToTypenum};
use crate::element::Element;
use crate::shape::{Shape, shape_mismatch};
use crate::tensor::Tensor;
use typenum::{B1, Eq, IsEqual, Sum};

/// Implemented only for typenum's `True`: `A + B == C`.
#[diagnostic::on_unimplemented(
    message = "the feature sizes do not add up to the size of the result",
    label = "concatenating `A` and `B` features gives `A + B` features",
    note = "the three sizes are named in the `AddsUpTo` requirement below"
)]
pub trait SizesAddUp {}

impl SizesAddUp for B1 {}

type Tn<const N: usize> = <Const<N> as ToTypenum>::Output;

/// `Const<A>: AddsUpTo<Const<B>, Const<N>>` holds when `A + B == N`, proven by
/// the type checker with typenum. When it does not, the error names the three
/// sizes in decimal, as this requirement.
#[diagnostic::on_unimplemented(
    message = "`{Self}` features and `{B}` features do not make `{N}` features",
    label = "concatenating `A` and `B` features gives `A + B` features"
)]
pub trait AddsUpTo<B, N> {}

impl<const A: usize, const B: usize, const N: usize> AddsUpTo<Const<B>, Const<N>> for Const<A>
where
    Const<A>: ToTypenum,
    Const<B>: ToTypenum,
    Const<N>: ToTypenum,
    Tn<A>: core::ops::Add<Tn<B>>,
    Sum<Tn<A>, Tn<B>>: IsEqual<Tn<N>>,
    Eq<Sum<Tn<A>, Tn<B>>, Tn<N>>: SizesAddUp,
{
}

impl<const A: usize, C: Dim, E: Element, D: Kernels<E>> Tensor<(Const<A>, C), E, D> {
    /// Stacks `self` (`A` features) over `other` (`B` features) into `N = A + B`
    /// features, for every column of the batch; `N` is checked by the type
    /// checker.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let a = Matrix::<2, 3>::ones();
    /// let b = Matrix::<1, 3>::zeros();
    /// let c: Matrix<3, 3> = a.concat(&b);
    /// assert_eq!(c.sum_along::<1>().to_vec(), vec![3.0, 3.0, 0.0]);
    /// ```
    #[inline]
    #[track_caller]
    pub fn concat<const B: usize, const N: usize>(
        &self,
        other: &Tensor<(Const<B>, C), E, D>,
    ) -> Tensor<(Const<N>, C), E, D>
    where
        Const<A>: AddsUpTo<Const<B>, Const<N>>,
    {
        let cols = self.shape.1;
        if cols != other.shape.1 {
            shape_mismatch("concat", self.shape.describe(), other.shape.describe());
        }
        let data = self
            .device
            .concat_rows(&self.data, A, &other.data, B, cols.size());
        Tensor::from_parts((Const, cols), data, self.device.clone())
    }
}

impl<const A: usize, E: Element, D: Kernels<E>> Tensor<(Const<A>,), E, D> {
    /// Joins two vectors into one of `N = A + B` elements, `N` checked by the
    /// type checker.
    #[inline]
    pub fn concat<const B: usize, const N: usize>(
        &self,
        other: &Tensor<(Const<B>,), E, D>,
    ) -> Tensor<(Const<N>,), E, D>
    where
        Const<A>: AddsUpTo<Const<B>, Const<N>>,
    {
        let data = self.device.concat_rows(&self.data, A, &other.data, B, 1);
        Tensor::from_parts((Const,), data, self.device.clone())
    }
}
