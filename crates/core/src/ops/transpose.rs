//! Transposition.

use crate::device::Kernels;
use crate::dims::Dim;
use crate::element::Element;
use crate::tensor::Tensor;

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> Tensor<(R, C), E, D> {
    /// The transpose: a `C × R` matrix.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let m = Tensor::from_array([[1.0, 2.0, 3.0]]);
    /// let t: Matrix<3, 1> = m.transpose();
    /// assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0]);
    /// ```
    #[inline]
    pub fn transpose(&self) -> Tensor<(C, R), E, D> {
        let (r, c) = self.shape;
        let data = self.device.transpose(&self.data, r.size(), c.size());
        Tensor::from_parts((c, r), data, self.device.clone())
    }

    /// Short for [`transpose`](Self::transpose).
    #[inline]
    pub fn t(&self) -> Tensor<(C, R), E, D> {
        self.transpose()
    }
}
