//! Reshape and flatten, with the element count proven equal by the type checker.

use crate::device::Device;
use crate::dims::{Const, ToTypenum};
use crate::element::Element;
use crate::shape::ConstShape;
use crate::tensor::Tensor;
use typenum::{B1, Eq, IsEqual, Prod, U1, Unsigned};

/// The element count of a static shape as a typenum number.
pub trait StaticCount: ConstShape {
    /// The count.
    type Count: Unsigned;
}

impl StaticCount for () {
    type Count = U1;
}

impl<const N: usize> StaticCount for (Const<N>,)
where
    Const<N>: ToTypenum,
{
    type Count = <Const<N> as ToTypenum>::Output;
}

impl<const A: usize, const B: usize> StaticCount for (Const<A>, Const<B>)
where
    Const<A>: ToTypenum,
    Const<B>: ToTypenum,
    <Const<A> as ToTypenum>::Output: core::ops::Mul<<Const<B> as ToTypenum>::Output>,
    Prod<<Const<A> as ToTypenum>::Output, <Const<B> as ToTypenum>::Output>: Unsigned,
{
    type Count = Prod<<Const<A> as ToTypenum>::Output, <Const<B> as ToTypenum>::Output>;
}

/// Implemented only for typenum's `True`: the two element counts are equal.
#[diagnostic::on_unimplemented(
    message = "the element counts of the two shapes differ",
    label = "a reshape must keep the number of elements",
    note = "the source and target shapes are named in the `ReshapeTo` requirement below"
)]
pub trait ElementCountsMatch {}

impl ElementCountsMatch for B1 {}

/// `Self` can be reshaped into `Target`: both are static and hold the same number
/// of elements, which the type checker proves with typenum.
#[diagnostic::on_unimplemented(
    message = "cannot reshape `{Self}` into `{Target}`",
    label = "the element counts differ"
)]
pub trait ReshapeTo<Target: ConstShape>: ConstShape {}

impl<S1: StaticCount, S2: StaticCount> ReshapeTo<S2> for S1
where
    S1::Count: IsEqual<S2::Count>,
    Eq<S1::Count, S2::Count>: ElementCountsMatch,
{
}

impl<S: ConstShape, E: Element, D: Device> Tensor<S, E, D> {
    /// The same elements (column-major) under another static shape with the same
    /// element count.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let m = Matrix::<3, 4>::ones();
    /// let v: Matrix<2, 6> = m.reshape();
    /// assert_eq!(v.sum(), 12.0);
    /// ```
    ///
    /// ```compile_fail
    /// use typeflux_core::prelude::*;
    /// let m = Matrix::<3, 4>::ones();
    /// let v: Matrix<2, 5> = m.reshape(); // 12 elements do not make 10
    /// ```
    #[inline]
    pub fn reshape<S2: ConstShape>(self) -> Tensor<S2, E, D>
    where
        S: ReshapeTo<S2>,
    {
        let data = self.device.reshape::<S, S2, E>(self.data);
        Tensor::from_parts(S2::default(), data, self.device)
    }

    /// All elements as one vector, column by column; `N` must be the element
    /// count.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let v: Vector<6> = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).flatten();
    /// assert_eq!(v.to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// ```
    #[inline]
    pub fn flatten<const N: usize>(self) -> Tensor<(Const<N>,), E, D>
    where
        S: ReshapeTo<(Const<N>,)>,
        (Const<N>,): ConstShape,
    {
        self.reshape()
    }
}
