//! Selecting columns by index: NNlib's `gather`, an embedding's lookup.

use crate::device::Kernels;
use crate::dims::Dim;
use crate::element::Element;
use crate::shape::Shape;
use crate::tensor::Tensor;

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> Tensor<(R, C), E, D> {
    /// The columns `indices`, in that order and repeats allowed, as a
    /// batch of `indices.len()` columns: NNlib's `gather(src, idx)`, how
    /// an embedding looks up the vectors of a sequence of words. Indices
    /// count from 0.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let m: Matrix<2, 3> = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let g = m.gather(&[2, 0, 2]);
    /// assert_eq!(g.shape(), (Const::<2>, 3));
    /// assert_eq!(g.to_vec(), vec![3.0, 6.0, 1.0, 4.0, 3.0, 6.0]);
    /// ```
    ///
    /// # Panics
    /// When an index is not below the column count.
    #[inline]
    #[track_caller]
    pub fn gather(&self, indices: &[usize]) -> Tensor<(R, usize), E, D> {
        self.gather_into((self.shape.0, indices.len()), indices)
    }

    /// Column `index` as a vector, on any device (`column` reads a host
    /// tensor in place).
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let m: Matrix<2, 3> = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(m.gather_column(1).to_vec(), vec![2.0, 5.0]);
    /// ```
    ///
    /// # Panics
    /// When `index` is not below the column count.
    #[inline]
    #[track_caller]
    pub fn gather_column(&self, index: usize) -> Tensor<(R,), E, D> {
        self.gather_into((self.shape.0,), &[index])
    }

    /// The columns `indices` as a tensor of `shape`, whose elements are
    /// that many columns of `R` rows.
    #[track_caller]
    fn gather_into<S: Shape>(&self, shape: S, indices: &[usize]) -> Tensor<S, E, D> {
        let (rows, cols) = (self.shape.0.size(), self.shape.1.size());
        if let Some(&bad) = indices.iter().find(|&&i| i >= cols) {
            panic!("gather: column {bad} of a matrix of {cols} columns");
        }
        let host: Vec<E> = indices
            .iter()
            .flat_map(|&j| {
                (j * rows..(j + 1) * rows).map(|k| self.device.read::<(R, C), E>(&self.data, k))
            })
            .collect();
        Tensor::from_parts(shape, self.device.upload(&host), self.device.clone())
    }
}
