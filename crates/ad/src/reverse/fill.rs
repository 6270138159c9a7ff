//! Cotangents with every element equal: what a sum or a mean hands back.

use typeflux_core::{Device, Element, Shape, Tensor};

/// The cotangent of a tensor of `shape` whose every element is `value`: the
/// pullback of a sum or a mean, kept as one scalar until it meets a pullback
/// that can use it as such (the square's scales the tensor it keeps, in
/// place) or has to become a tensor, which then costs one fill and no more.
#[derive(Clone, Debug, PartialEq)]
pub struct Fill<S, E, D> {
    value: E,
    shape: S,
    device: D,
}

impl<S: Shape, E: Element, D: Device> Fill<S, E, D> {
    /// `value` everywhere in a tensor of `shape` on `device`.
    #[inline]
    pub fn new(value: E, shape: S, device: D) -> Self {
        Fill {
            value,
            shape,
            device,
        }
    }

    /// The value of every element.
    #[inline(always)]
    pub fn value(&self) -> E {
        self.value
    }

    /// The cotangent as a tensor.
    #[inline]
    pub fn into_tensor(self) -> Tensor<S, E, D> {
        Tensor::full_on(self.shape, self.value, &self.device)
    }
}

/// A cotangent type that has a [`Fill`] form: the tensors.
pub trait Cotangent: Sized {
    /// The cotangent with every element equal.
    type Fill;

    /// The filled form as a cotangent of this type.
    fn from_fill(fill: Self::Fill) -> Self;
}

impl<S: Shape, E: Element, D: Device> Cotangent for Tensor<S, E, D> {
    type Fill = Fill<S, E, D>;

    #[inline]
    fn from_fill(fill: Fill<S, E, D>) -> Self {
        fill.into_tensor()
    }
}
