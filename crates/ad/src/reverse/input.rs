//! What a gradient is taken with respect to: tensors, scalars, and tuples
//! of them, nested as deep as needed.

use super::node::Leaf;
use super::slots::{Step, TensorSlot};
use super::traced::Traced;
use typeflux_core::{Cpu, Device, Element, Shape, Tensor};

/// Something [`gradient`](super::gradient) can differentiate with respect to:
/// a tensor (`&x` is cloned into the computation, `x` moved), an `f32` or
/// `f64`, a tuple of up to 8 of these, a tuple of tuples, [`Params`](super::Params).
///
/// The function receives [`Traced`](Self::Traced), the input with each
/// tensor traced, and the gradient comes back as [`Grads`](Self::Grads), in
/// the input's own shape: a tensor for a tensor, a tuple for a tuple.
///
/// A struct of parameters takes part by implementing `Input` for a reference
/// to it; when the struct is generic over its field types, the function can
/// even receive it with traced fields, used by name:
///
/// ```
/// use typeflux_ad::reverse::{Input, Step, gradient};
/// use typeflux_core::prelude::*;
///
/// struct Linear<W = Matrix<2, 3>, B = Vector<2>> {
///     w: W,
///     b: B,
/// }
///
/// impl<'a> Input for &'a Linear {
///     type Traced<P> = Linear<
///         <&'a Matrix<2, 3> as Input>::Traced<Step<P, 0>>,
///         <&'a Vector<2> as Input>::Traced<Step<P, 1>>,
///     >;
///     type Slots = <(&'a Matrix<2, 3>, &'a Vector<2>) as Input>::Slots;
///     type Grads = Linear;
///
///     fn trace<P>(self) -> (Self::Traced<P>, Self::Slots) {
///         let ((w, b), slots) = (&self.w, &self.b).trace::<P>();
///         (Linear { w, b }, slots)
///     }
///
///     fn grads(slots: Self::Slots) -> Linear {
///         let (w, b) = <(&'a Matrix<2, 3>, &'a Vector<2>)>::grads(slots);
///         Linear { w, b }
///     }
/// }
///
/// let model = Linear { w: Matrix::ones(), b: Vector::zeros() };
/// let x: Vector<3> = Tensor::from_array([1.0, 2.0, 3.0]);
/// let g: Linear = gradient(|m| (m.w.matmul(&x) + m.b).sum(), &model);
/// assert_eq!(g.w, Tensor::from_array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]));
/// assert_eq!(g.b, Vector::ones());
/// ```
pub trait Input {
    /// The input as the function receives it, its tensors traced, their
    /// leaves at paths below `P`.
    type Traced<P>;
    /// The gradient slots, in the input's shape.
    type Slots;
    /// The gradient, in the input's shape.
    type Grads;

    /// The traced input and its empty slots; the tensors of `self` are the
    /// leaves at the paths below `P`.
    fn trace<P>(self) -> (Self::Traced<P>, Self::Slots);

    /// The gradient from the filled slots.
    fn grads(slots: Self::Slots) -> Self::Grads;
}

impl<S: Shape, E: Element, D: Device> Input for Tensor<S, E, D> {
    type Traced<P> = Traced<Tensor<S, E, D>, Leaf<P>>;
    type Slots = TensorSlot<S, E, D>;
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn trace<P>(self) -> (Self::Traced<P>, Self::Slots) {
        let slot = TensorSlot::new(self.shape(), self.device().clone());
        (Traced::new(self, Leaf::new()), slot)
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        slots.into_grad()
    }
}

impl<S: Shape, E: Element, D: Device> Input for &Tensor<S, E, D> {
    type Traced<P> = Traced<Tensor<S, E, D>, Leaf<P>>;
    type Slots = TensorSlot<S, E, D>;
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn trace<P>(self) -> (Self::Traced<P>, Self::Slots) {
        self.clone().trace()
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        slots.into_grad()
    }
}

macro_rules! scalar_input {
    ($($f:ty),*) => {$(
        /// A scalar, traced as a scalar tensor.
        impl Input for $f {
            type Traced<P> = Traced<Tensor<(), $f, Cpu>, Leaf<P>>;
            type Slots = TensorSlot<(), $f, Cpu>;
            type Grads = $f;

            #[inline]
            fn trace<P>(self) -> (Self::Traced<P>, Self::Slots) {
                Tensor::scalar(self).trace()
            }

            #[inline]
            fn grads(slots: Self::Slots) -> $f {
                slots.into_grad().as_slice()[0]
            }
        }
    )*};
}

scalar_input!(f32, f64);

macro_rules! tuple_input {
    ($(($($X:ident $i:tt),+);)+) => {$(
        impl<$($X: Input),+> Input for ($($X,)+) {
            type Traced<P> = ($($X::Traced<Step<P, $i>>,)+);
            type Slots = ($($X::Slots,)+);
            type Grads = ($($X::Grads,)+);

            #[inline]
            fn trace<P>(self) -> (Self::Traced<P>, Self::Slots) {
                let parts = ($(self.$i.trace::<Step<P, $i>>(),)+);
                (($(parts.$i.0,)+), ($(parts.$i.1,)+))
            }

            #[inline]
            fn grads(slots: Self::Slots) -> Self::Grads {
                ($($X::grads(slots.$i),)+)
            }
        }
    )+};
}

tuple_input! {
    (A 0);
    (A 0, B 1);
    (A 0, B 1, C 2);
    (A 0, B 1, C 2, D 3);
    (A 0, B 1, C 2, D 3, E 4);
    (A 0, B 1, C 2, D 3, E 4, F 5);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
}
