//! Whole models in another precision: Flux's `f32(m)` and `f64(m)`.
//!
//! [`to_f64`] and [`to_f32`] copy a model (a tensor, a layer, a `Chain`, a
//! struct deriving `Functor`) with every tensor's elements converted, and
//! the element type in the model's type changed with them, so that a
//! `Dense<3, 4, Tanh, f32>` becomes a `Dense<3, 4, Tanh, f64>`.
//!
//! ```
//! use typeflux_core::precision::{to_f32, to_f64};
//! use typeflux_core::prelude::*;
//!
//! let params = (Matrix::<2, 2>::from_array([[0.1, 0.2], [0.3, 0.4]]), Some(Vector::<2>::zeros()));
//! let wide: (Matrix<2, 2, f64>, Option<Vector<2, f64>>) = to_f64(&params);
//! assert_eq!(wide.0[[1, 0]], f64::from(0.3f32));
//! let back: (Matrix<2, 2, f32>, Option<Vector<2, f32>>) = to_f32(&wide);
//! assert_eq!(back, params);
//! ```

use crate::device::Device;
use crate::element::Element;
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::transfer::TensorKind;

/// An element type whose numbers convert to `E2`'s: between `f32` and
/// `f64` (to `f32` rounding to nearest), and each to itself.
pub trait ConvertElement<E2>: Element {
    /// The number as an `E2`.
    fn convert_element(self) -> E2;
}

macro_rules! convert {
    ($($from:ty => $to:ty),*) => {$(
        impl ConvertElement<$to> for $from {
            #[inline(always)]
            #[allow(clippy::cast_possible_truncation, clippy::unnecessary_cast)]
            fn convert_element(self) -> $to {
                self as $to
            }
        }
    )*};
}

convert!(f32 => f32, f32 => f64, f64 => f32, f64 => f64);

/// A value that can be copied with its tensors' elements converted to
/// `E2`: a tensor, an `Option`, a `Vec`, an array, a `Box` or a tuple of
/// such values, every layer and chain of typeflux-nn, and a struct deriving
/// `Functor` (its element type parameter, the one bounded by `Element` or
/// named by `#[functor(element = E)]`, becomes `E2`).
pub trait ToElement<E2> {
    /// The same value with `E2`s.
    type Output;

    /// A copy with every tensor's elements converted to `E2`.
    fn to_element(&self) -> Self::Output;
}

impl<S: Shape, E: ConvertElement<E2>, E2: Element, D: Device> ToElement<E2> for Tensor<S, E, D> {
    type Output = Tensor<S, E2, D>;

    fn to_element(&self) -> Tensor<S, E2, D> {
        let data: Vec<E2> = self
            .to_vec()
            .into_iter()
            .map(ConvertElement::convert_element)
            .collect();
        let device = self.device().clone();
        Tensor::from_parts(self.shape(), device.upload::<S, E2>(&data), device)
    }
}

impl<T: ToElement<E2>, E2> ToElement<E2> for Option<T> {
    type Output = Option<T::Output>;

    #[inline]
    fn to_element(&self) -> Self::Output {
        self.as_ref().map(T::to_element)
    }
}

impl<T: ToElement<E2>, E2> ToElement<E2> for Vec<T> {
    type Output = Vec<T::Output>;

    #[inline]
    fn to_element(&self) -> Self::Output {
        self.iter().map(T::to_element).collect()
    }
}

impl<T: ToElement<E2>, E2, const N: usize> ToElement<E2> for [T; N] {
    type Output = [T::Output; N];

    #[inline]
    fn to_element(&self) -> Self::Output {
        core::array::from_fn(|i| self[i].to_element())
    }
}

impl<T: ToElement<E2> + ?Sized, E2> ToElement<E2> for Box<T> {
    type Output = Box<T::Output>;

    #[inline]
    fn to_element(&self) -> Self::Output {
        Box::new((**self).to_element())
    }
}

/// The marker of a layer's element type changes with its tensors.
impl<E, D, E2> ToElement<E2> for TensorKind<E, D> {
    type Output = TensorKind<E2, D>;

    #[inline(always)]
    fn to_element(&self) -> TensorKind<E2, D> {
        TensorKind::new()
    }
}

macro_rules! tuples {
    ($($T:ident $i:tt),*) => {
        impl<E2, $($T: ToElement<E2>),*> ToElement<E2> for ($($T,)*) {
            type Output = ($($T::Output,)*);

            #[inline]
            fn to_element(&self) -> Self::Output {
                ($(self.$i.to_element(),)*)
            }
        }
    };
}

tuples!(A 0);
tuples!(A 0, B 1);
tuples!(A 0, B 1, C 2);
tuples!(A 0, B 1, C 2, F 3);
tuples!(A 0, B 1, C 2, F 3, G 4);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11, O 12);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11, O 12, P 13);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11, O 12, P 13, Q 14);
tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11, O 12, P 13, Q 14, R 15);

/// A copy of `model` in double precision: Flux's `f64(m)`.
#[inline]
pub fn to_f64<M: ToElement<f64>>(model: &M) -> M::Output {
    model.to_element()
}

/// A copy of `model` in single precision, each number rounded to the
/// nearest `f32`: Flux's `f32(m)`.
#[inline]
pub fn to_f32<M: ToElement<f32>>(model: &M) -> M::Output {
    model.to_element()
}
