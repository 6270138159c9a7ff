//! Sums, means and maxima over everything or along an axis.

use crate::device::{Kernels, UnaryOp};
use crate::dims::Dim;
use crate::element::Element;
use crate::shape::Shape;
use crate::tensor::{Tensor, expect_len};

impl<S: Shape, E: Element, D: Kernels<E>> Tensor<S, E, D> {
    /// Sum of all elements.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// assert_eq!(Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]).sum(), 10.0);
    /// ```
    #[inline]
    pub fn sum(&self) -> E {
        self.device.sum(&self.data)
    }

    /// Sum of `op(x)` over all elements, in one pass that stores no
    /// intermediate tensor: `x.sum_of(UnaryOp::Square)` is `Σ x²`.
    ///
    /// ```
    /// use typeflux_core::{UnaryOp, prelude::*};
    /// let x = Tensor::from_array([1.0, -2.0, 3.0]);
    /// assert_eq!(x.sum_of(UnaryOp::Square), 14.0);
    /// assert_eq!(x.sum_of(UnaryOp::Abs), 6.0);
    /// ```
    #[inline]
    pub fn sum_of(&self, op: UnaryOp) -> E {
        self.device.sum_of(op, &self.data)
    }

    /// Mean of all elements (NaN for an empty tensor).
    #[inline]
    pub fn mean(&self) -> E {
        self.sum() / E::from_usize(self.len()).expect("element count fits the element type")
    }

    /// Largest element.
    ///
    /// # Panics
    /// On an empty tensor (a batch of size 0), which has no maximum.
    #[inline]
    #[track_caller]
    pub fn max(&self) -> E {
        match self.device.max(&self.data) {
            Some(m) => m,
            None => panic!("max: tensor of shape {} is empty", self.shape.describe()),
        }
    }
}

/// Reduction along axis `AXIS`, which removes that axis from the shape:
/// axis 0 of an `R × C` matrix leaves `C` values, axis 1 leaves `R`.
pub trait ReduceAxis<const AXIS: usize> {
    /// The tensor with the axis removed.
    type Output;
    /// Sums along the axis.
    fn sum_axis(&self) -> Self::Output;
    /// Means along the axis.
    fn mean_axis(&self) -> Self::Output;
    /// Maxima along the axis.
    fn max_axis(&self) -> Self::Output;
}

fn count<E: Element>(n: usize) -> E {
    E::from_usize(n).expect("element count fits the element type")
}

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> ReduceAxis<0> for Tensor<(R, C), E, D> {
    type Output = Tensor<(C,), E, D>;

    #[inline]
    #[track_caller]
    fn sum_axis(&self) -> Self::Output {
        let [rows, cols] = self.shape.dims();
        // An empty axis can leave more sums than memory holds: `0 × 2⁶²`.
        expect_len::<(C,), E>("sum_axis", &(self.shape.1,));
        let data = self.device.sum_axis(&self.data, rows, cols, 0);
        Tensor::from_parts((self.shape.1,), data, self.device.clone())
    }

    #[inline]
    fn mean_axis(&self) -> Self::Output {
        ReduceAxis::<0>::sum_axis(self) / count::<E>(self.shape.0.size())
    }

    #[inline]
    fn max_axis(&self) -> Self::Output {
        let [rows, cols] = self.shape.dims();
        assert!(
            rows > 0,
            "max_axis: shape {} has no rows",
            self.shape.describe()
        );
        let data = self.device.max_axis(&self.data, rows, cols, 0);
        Tensor::from_parts((self.shape.1,), data, self.device.clone())
    }
}

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> ReduceAxis<1> for Tensor<(R, C), E, D> {
    type Output = Tensor<(R,), E, D>;

    #[inline]
    #[track_caller]
    fn sum_axis(&self) -> Self::Output {
        let [rows, cols] = self.shape.dims();
        expect_len::<(R,), E>("sum_axis", &(self.shape.0,));
        let data = self.device.sum_axis(&self.data, rows, cols, 1);
        Tensor::from_parts((self.shape.0,), data, self.device.clone())
    }

    #[inline]
    fn mean_axis(&self) -> Self::Output {
        ReduceAxis::<1>::sum_axis(self) / count::<E>(self.shape.1.size())
    }

    #[inline]
    fn max_axis(&self) -> Self::Output {
        let [rows, cols] = self.shape.dims();
        assert!(
            cols > 0,
            "max_axis: shape {} has no columns",
            self.shape.describe()
        );
        let data = self.device.max_axis(&self.data, rows, cols, 1);
        Tensor::from_parts((self.shape.0,), data, self.device.clone())
    }
}

impl<N: Dim, E: Element, D: Kernels<E>> ReduceAxis<0> for Tensor<(N,), E, D> {
    type Output = Tensor<(), E, D>;

    #[inline]
    fn sum_axis(&self) -> Self::Output {
        Tensor::full_on((), self.sum(), &self.device)
    }

    #[inline]
    fn mean_axis(&self) -> Self::Output {
        Tensor::full_on((), self.mean(), &self.device)
    }

    #[inline]
    fn max_axis(&self) -> Self::Output {
        Tensor::full_on((), self.max(), &self.device)
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> Tensor<S, E, D> {
    /// Sum along `AXIS` (see [`ReduceAxis`]): `x.sum_along::<1>()` sums a
    /// features × batch matrix over the batch.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let m = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(m.sum_along::<0>().to_vec(), vec![5.0, 7.0, 9.0]);
    /// assert_eq!(m.sum_along::<1>().to_vec(), vec![6.0, 15.0]);
    /// ```
    #[inline]
    pub fn sum_along<const AXIS: usize>(&self) -> <Self as ReduceAxis<AXIS>>::Output
    where
        Self: ReduceAxis<AXIS>,
    {
        ReduceAxis::<AXIS>::sum_axis(self)
    }

    /// Mean along `AXIS` (see [`ReduceAxis`]).
    #[inline]
    pub fn mean_along<const AXIS: usize>(&self) -> <Self as ReduceAxis<AXIS>>::Output
    where
        Self: ReduceAxis<AXIS>,
    {
        ReduceAxis::<AXIS>::mean_axis(self)
    }

    /// Maximum along `AXIS` (see [`ReduceAxis`]).
    #[inline]
    pub fn max_along<const AXIS: usize>(&self) -> <Self as ReduceAxis<AXIS>>::Output
    where
        Self: ReduceAxis<AXIS>,
    {
        ReduceAxis::<AXIS>::max_axis(self)
    }
}
