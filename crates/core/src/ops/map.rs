//! Elementwise maps with any Rust function (CPU).

use crate::cpu::Cpu;
use crate::element::Element;
use crate::shape::{Shape, assert_same};
use crate::tensor::Tensor;

impl<S: Shape, E: Element> Tensor<S, E, Cpu> {
    /// `f` applied to every element; the element type may change.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let x = Tensor::from_array([1.0f32, 4.0, 9.0]);
    /// let y: Vector<3, f64> = x.map(|v| (v as f64).sqrt());
    /// assert_eq!(y.to_vec(), vec![1.0, 2.0, 3.0]);
    /// ```
    #[inline]
    pub fn map<E2: Element>(&self, f: impl FnMut(E) -> E2) -> Tensor<S, E2, Cpu> {
        Tensor::from_parts(
            self.shape,
            crate::cpu::collect(self.data.iter().copied().map(f)),
            Cpu,
        )
    }

    /// `f` applied to every element in place.
    #[inline]
    pub fn map_inplace(&mut self, mut f: impl FnMut(E) -> E) {
        self.data.iter_mut().for_each(|x| *x = f(*x));
    }

    /// `f(a, b)` for every pair of elements of two tensors of the same shape.
    #[inline]
    #[track_caller]
    pub fn zip_map<E2: Element, E3: Element>(
        &self,
        other: &Tensor<S, E2, Cpu>,
        mut f: impl FnMut(E, E2) -> E3,
    ) -> Tensor<S, E3, Cpu> {
        assert_same("zip_map", &self.shape, &other.shape);
        let data = crate::cpu::collect(
            self.data
                .iter()
                .zip(other.data.iter())
                .map(|(&a, &b)| f(a, b)),
        );
        Tensor::from_parts(self.shape, data, Cpu)
    }
}
