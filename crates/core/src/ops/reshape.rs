//! Reshape and flatten, with the element count proven equal by the type checker.

use crate::device::Device;
use crate::dims::{Const, ConstDim, Dim, ToConst, ToTypenum};
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

/// `W·H·C` of three static dims, as a typenum number.
pub type Volume<W, H, C> =
    Prod<Prod<<W as ToTypenum>::Output, <H as ToTypenum>::Output>, <C as ToTypenum>::Output>;

impl<const A: usize, const B: usize, const C: usize> StaticCount for (Const<A>, Const<B>, Const<C>)
where
    Const<A>: ToTypenum,
    Const<B>: ToTypenum,
    Const<C>: ToTypenum,
    <Const<A> as ToTypenum>::Output: core::ops::Mul<<Const<B> as ToTypenum>::Output>,
    Prod<<Const<A> as ToTypenum>::Output, <Const<B> as ToTypenum>::Output>:
        core::ops::Mul<<Const<C> as ToTypenum>::Output>,
    Volume<Const<A>, Const<B>, Const<C>>: Unsigned,
{
    type Count = Volume<Const<A>, Const<B>, Const<C>>;
}

impl<const A: usize, const B: usize, const C: usize, const N: usize> StaticCount
    for (Const<A>, Const<B>, Const<C>, Const<N>)
where
    (Const<A>, Const<B>, Const<C>): StaticCount,
    Const<N>: ToTypenum,
    <(Const<A>, Const<B>, Const<C>) as StaticCount>::Count:
        core::ops::Mul<<Const<N> as ToTypenum>::Output>,
    Prod<<(Const<A>, Const<B>, Const<C>) as StaticCount>::Count, <Const<N> as ToTypenum>::Output>:
        Unsigned,
{
    type Count = Prod<
        <(Const<A>, Const<B>, Const<C>) as StaticCount>::Count,
        <Const<N> as ToTypenum>::Output,
    >;
}

/// The static axes of one sample of an image batch, `(W, H, C)`: their
/// element count `W·H·C` computed by the type checker, and the same count as
/// a [`Const`] ([`Flat`](Self::Flat)), the feature size of the flattened
/// batch.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be flattened into features",
    label = "the sizes must be static and their product at most 2048"
)]
pub trait Features {
    /// `W·H·C` in typenum.
    type Count: Unsigned;
    /// `W·H·C` as a dim.
    type Flat: ConstDim;
}

impl<W: ToTypenum, H: ToTypenum, C: ToTypenum> Features for (W, H, C)
where
    W::Output: core::ops::Mul<H::Output>,
    Prod<W::Output, H::Output>: core::ops::Mul<C::Output>,
    Volume<W, H, C>: ToConst,
{
    type Count = Volume<W, H, C>;
    type Flat = <Volume<W, H, C> as ToConst>::Output;
}

/// The flattened shape of an image batch: `(W·H·C, N)`.
pub type Flattened<W, H, C, N> = (<(W, H, C) as Features>::Flat, N);

impl<W: Dim, H: Dim, C: Dim, E: Element, D: Device> Tensor<(W, H, C, usize), E, D>
where
    (W, H, C): Features,
{
    /// Flux's `flatten` of a batch of images: each sample's `W·H·C`
    /// elements as one column of features, the batch (known at run time)
    /// kept. ([`flatten`](Tensor::flatten) makes one vector of a static
    /// shape.) The feature count is computed by the type
    /// checker, so the layer after it must take exactly that many.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let x = Tensor::<(Const<4>, Const<3>, Const<2>, usize)>::ones_with((Const, Const, Const, 5));
    /// let y: Batch<24> = x.flatten_features();
    /// assert_eq!(y.shape(), (Const::<24>, 5));
    /// ```
    ///
    /// ```compile_fail
    /// use typeflux_core::prelude::*;
    /// let x = Tensor::<(Const<4>, Const<3>, Const<2>, usize)>::ones_with((Const, Const, Const, 5));
    /// let y: Batch<25> = x.flatten_features(); // 4·3·2 is 24
    /// ```
    #[inline]
    pub fn flatten_features(self) -> Tensor<Flattened<W, H, C, usize>, E, D> {
        let shape = (<(W, H, C) as Features>::Flat::default(), self.shape.3);
        let data = self
            .device
            .reshape::<(W, H, C, usize), Flattened<W, H, C, usize>, E>(self.data);
        Tensor::from_parts(shape, data, self.device)
    }
}

impl<F: ConstDim, E: Element, D: Device> Tensor<(F, usize), E, D> {
    /// The inverse of [`flatten_features`](Tensor::flatten_features):
    /// each column of `W·H·C` features as one `W × H × C` image.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let x = Batch::<12>::ones_with((Const, 3));
    /// let y: Tensor<(Const<2>, Const<3>, Const<2>, usize)> = x.unflatten();
    /// assert_eq!(y.shape().3, 3);
    /// ```
    #[inline]
    pub fn unflatten<W: ConstDim, H: ConstDim, C: ConstDim>(self) -> Tensor<(W, H, C, usize), E, D>
    where
        (W, H, C): Features<Flat = F>,
    {
        let shape = (W::default(), H::default(), C::default(), self.shape.1);
        let data = self
            .device
            .reshape::<(F, usize), (W, H, C, usize), E>(self.data);
        Tensor::from_parts(shape, data, self.device)
    }
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
