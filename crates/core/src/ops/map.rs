//! Elementwise maps with any Rust function (CPU).

use crate::cpu::Host;
use crate::element::Element;
use crate::shape::{Shape, assert_same};
use crate::tensor::Tensor;

impl<S: Shape, E: Element, D: Host> Tensor<S, E, D> {
    /// `f` applied to every element; the element type may change.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let x = Tensor::from_array([1.0f32, 4.0, 9.0]);
    /// let y: Vector<3, f64> = x.map(|v| (v as f64).sqrt());
    /// assert_eq!(y.to_vec(), vec![1.0, 2.0, 3.0]);
    /// ```
    #[inline]
    pub fn map<E2: Element>(&self, f: impl FnMut(E) -> E2) -> Tensor<S, E2, D> {
        Tensor::from_parts(
            self.shape,
            D::collect::<S, E2, _>(self.iter().copied().map(f)),
            self.device,
        )
    }

    /// `f` applied to every element in place.
    #[inline]
    pub fn map_inplace(&mut self, mut f: impl FnMut(E) -> E) {
        self.iter_mut().for_each(|x| *x = f(*x));
    }

    /// `f(a, b)` for every pair of elements of two tensors of the same shape.
    #[inline]
    #[track_caller]
    pub fn zip_map<E2: Element, E3: Element>(
        &self,
        other: &Tensor<S, E2, D>,
        mut f: impl FnMut(E, E2) -> E3,
    ) -> Tensor<S, E3, D> {
        assert_same("zip_map", &self.shape, &other.shape);
        let data = D::collect::<S, E3, _>(self.iter().zip(other.iter()).map(|(&a, &b)| f(a, b)));
        Tensor::from_parts(self.shape, data, self.device)
    }
}
