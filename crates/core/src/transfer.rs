//! Copying tensors, and whole models, to another device: Flux's `gpu`/`cpu`
//! with the device as a type.

use crate::device::Device;
use crate::element::Element;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// A value that can be copied to the device `D2`: a tensor, an `Option`, a
/// `Vec`, an array, a `Box` or a tuple of such values, every layer and chain
/// of `typeflux-nn`, and a struct deriving `Functor` with a device
/// parameter. The
/// copy has the same structure, with every tensor's device type changed.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_core::{Stack, ToDevice};
///
/// let params = (Matrix::<2, 3>::ones(), Some(Vector::<2>::zeros()));
/// let on_stack: (Matrix<2, 3, f32, Stack>, Option<Vector<2, f32, Stack>>) =
///     params.to_device(&Stack);
/// assert_eq!(on_stack.0.to_device(&Cpu), params.0);
/// ```
pub trait ToDevice<D2: Device> {
    /// The same value on `D2`.
    type Output;

    /// A copy on `device`.
    fn to_device(&self, device: &D2) -> Self::Output;
}

impl<S: Shape, E: Element, D: Device, D2: Device> ToDevice<D2> for Tensor<S, E, D> {
    type Output = Tensor<S, E, D2>;

    #[inline]
    fn to_device(&self, device: &D2) -> Tensor<S, E, D2> {
        Tensor::to_device(self, device)
    }
}

impl<T: ToDevice<D2>, D2: Device> ToDevice<D2> for Option<T> {
    type Output = Option<T::Output>;

    #[inline]
    fn to_device(&self, device: &D2) -> Self::Output {
        self.as_ref().map(|t| t.to_device(device))
    }
}

impl<T: ToDevice<D2>, D2: Device> ToDevice<D2> for Vec<T> {
    type Output = Vec<T::Output>;

    #[inline]
    fn to_device(&self, device: &D2) -> Self::Output {
        self.iter().map(|t| t.to_device(device)).collect()
    }
}

impl<T: ToDevice<D2>, D2: Device, const N: usize> ToDevice<D2> for [T; N] {
    type Output = [T::Output; N];

    #[inline]
    fn to_device(&self, device: &D2) -> Self::Output {
        core::array::from_fn(|i| self[i].to_device(device))
    }
}

impl<T: ToDevice<D2> + ?Sized, D2: Device> ToDevice<D2> for Box<T> {
    type Output = Box<T::Output>;

    #[inline]
    fn to_device(&self, device: &D2) -> Self::Output {
        Box::new((**self).to_device(device))
    }
}

macro_rules! tuples {
    ($($T:ident $i:tt),*) => {
        impl<D2: Device, $($T: ToDevice<D2>),*> ToDevice<D2> for ($($T,)*) {
            type Output = ($($T::Output,)*);

            #[inline]
            fn to_device(&self, device: &D2) -> Self::Output {
                ($(self.$i.to_device(device),)*)
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

/// The element type `E` and the device `D` of a layer's tensors, as a
/// field: for a layer whose tensor fields are type parameters (so that they
/// can be traced) and which still names its element and device, as
/// typeflux-nn's `Dense` does. It holds nothing, and moves with the layer.
pub struct TensorKind<E, D>(core::marker::PhantomData<fn() -> (E, D)>);

impl<E, D> TensorKind<E, D> {
    /// The marker.
    #[inline(always)]
    pub const fn new() -> Self {
        TensorKind(core::marker::PhantomData)
    }
}

impl<E, D> Clone for TensorKind<E, D> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}

impl<E, D> Copy for TensorKind<E, D> {}

impl<E, D> Default for TensorKind<E, D> {
    #[inline(always)]
    fn default() -> Self {
        Self::new()
    }
}

impl<E, D> PartialEq for TensorKind<E, D> {
    #[inline(always)]
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<E, D> core::fmt::Debug for TensorKind<E, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "TensorKind<{}, {}>",
            core::any::type_name::<E>(),
            core::any::type_name::<D>()
        )
    }
}

impl<E, D, D2: Device> ToDevice<D2> for TensorKind<E, D> {
    type Output = TensorKind<E, D2>;

    #[inline(always)]
    fn to_device(&self, _: &D2) -> TensorKind<E, D2> {
        TensorKind::new()
    }
}
