//! What a gradient is taken with respect to: tensors, scalars, `Option`s,
//! tuples of them nested as deep as needed, and structs that derive
//! `Functor`.

use super::node::Leaf;
use super::slots::{Root, Step, TensorSlot};
use super::traced::Traced;
use typeflux_core::functor::{Functor, Rebuild};
use typeflux_core::{Cpu, Device, Element, Shape, Tensor};

/// Something [`gradient`](super::gradient) can differentiate with respect to,
/// with its tensors at the gradient slots below the type-level path `P`.
///
/// Implemented for a tensor (`&x` is cloned into the computation, `x`
/// moved), an `f32` or `f64`, an `Option` (an absent bias), a tuple of up to
/// 8 inputs, nested tuples, [`Params`](super::Params), and a struct that
/// derives `Functor` through [`fields`] or [`model`].
///
/// The function receives [`Traced`](Self::Traced), the input with each
/// tensor traced, and the gradient comes back as [`Grads`](Self::Grads), in
/// the input's own shape: a tensor for a tensor, a tuple for a tuple, the
/// struct for a struct.
///
/// A type can also implement it by hand, by delegating to a tuple of its
/// parts:
///
/// ```
/// use typeflux_ad::reverse::{Input, gradient};
/// use typeflux_core::prelude::*;
///
/// struct Linear {
///     w: Matrix<2, 3>,
///     b: Vector<2>,
/// }
///
/// type Parts<'a> = (&'a Matrix<2, 3>, &'a Vector<2>);
///
/// impl<'a, P> Input<P> for &'a Linear
/// where
///     Parts<'a>: Input<P, Grads = (Matrix<2, 3>, Vector<2>)>,
/// {
///     type Traced = <Parts<'a> as Input<P>>::Traced;
///     type Slots = <Parts<'a> as Input<P>>::Slots;
///     type Grads = Linear;
///
///     fn trace(self) -> (Self::Traced, Self::Slots) {
///         Input::<P>::trace((&self.w, &self.b))
///     }
///
///     fn grads(slots: Self::Slots) -> Linear {
///         let (w, b) = <Parts<'a> as Input<P>>::grads(slots);
///         Linear { w, b }
///     }
/// }
///
/// let layer = Linear { w: Matrix::ones(), b: Vector::zeros() };
/// let x: Vector<3> = Tensor::from_array([1.0, 2.0, 3.0]);
/// let g: Linear = gradient(|(w, b)| (w.matmul(&x) + b).sum(), &layer);
/// assert_eq!(g.w, Tensor::from_array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]));
/// assert_eq!(g.b, Vector::ones());
/// ```
///
/// A struct that derives `Functor` needs none of this: see [`fields`] and
/// [`model`].
pub trait Input<P = Root> {
    /// The input as the function receives it, its tensors traced.
    type Traced;
    /// The gradient slots, in the input's shape.
    type Slots;
    /// The gradient, in the input's shape.
    type Grads;

    /// The traced input and its empty slots.
    fn trace(self) -> (Self::Traced, Self::Slots);

    /// The gradient from the filled slots.
    fn grads(slots: Self::Slots) -> Self::Grads;
}

impl<P, S: Shape, E: Element, D: Device> Input<P> for Tensor<S, E, D> {
    type Traced = Traced<Tensor<S, E, D>, Leaf<P>>;
    type Slots = TensorSlot<S, E, D>;
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn trace(self) -> (Self::Traced, Self::Slots) {
        let slot = TensorSlot::new(self.shape(), self.device().clone());
        (Traced::new(self, Leaf::new()), slot)
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        slots.into_grad()
    }
}

impl<P, S: Shape, E: Element, D: Device> Input<P> for &Tensor<S, E, D> {
    type Traced = Traced<Tensor<S, E, D>, Leaf<P>>;
    type Slots = TensorSlot<S, E, D>;
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn trace(self) -> (Self::Traced, Self::Slots) {
        Input::<P>::trace(self.clone())
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        slots.into_grad()
    }
}

macro_rules! scalar_input {
    ($($f:ty),*) => {$(
        /// A scalar, traced as a scalar tensor.
        impl<P> Input<P> for $f {
            type Traced = Traced<Tensor<(), $f, Cpu>, Leaf<P>>;
            type Slots = TensorSlot<(), $f, Cpu>;
            type Grads = $f;

            #[inline]
            fn trace(self) -> (Self::Traced, Self::Slots) {
                Input::<P>::trace(Tensor::scalar(self))
            }

            #[inline]
            fn grads(slots: Self::Slots) -> $f {
                slots.into_grad().as_slice()[0]
            }
        }
    )*};
}

scalar_input!(f32, f64);

/// An input that may be absent, such as a layer's bias: the function
/// receives `None` for `None`, and the gradient is `None` too.
impl<P, X: Input<Step<P, 0>>> Input<P> for Option<X> {
    type Traced = Option<X::Traced>;
    type Slots = Option<X::Slots>;
    type Grads = Option<X::Grads>;

    #[inline]
    fn trace(self) -> (Self::Traced, Self::Slots) {
        match self.map(X::trace) {
            Some((traced, slots)) => (Some(traced), Some(slots)),
            None => (None, None),
        }
    }

    #[inline]
    fn grads(slots: Self::Slots) -> Self::Grads {
        slots.map(X::grads)
    }
}

macro_rules! tuple_input {
    ($(($($X:ident $i:tt),+);)+) => {$(
        impl<P, $($X: Input<Step<P, $i>>),+> Input<P> for ($($X,)+) {
            type Traced = ($($X::Traced,)+);
            type Slots = ($($X::Slots,)+);
            type Grads = ($($X::Grads,)+);

            #[inline]
            fn trace(self) -> (Self::Traced, Self::Slots) {
                let parts = ($(self.$i.trace(),)+);
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

// The children of a `Functor` struct are traced at field 0 of its slots;
// field 1 holds the fields that are not children, which the gradient keeps,
// as rebuilding needs them.
type ChildSlots<T, P> = <<T as Functor>::Children as Input<Step<P, 0>>>::Slots;
type ChildGrads<T, P> = <<T as Functor>::Children as Input<Step<P, 0>>>::Grads;
type ChildTraced<T, P> = <<T as Functor>::Children as Input<Step<P, 0>>>::Traced;

/// A struct that derives `Functor`, differentiated with respect to its
/// children, which the function receives as a tuple of traced values; from
/// [`fields`].
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a, T>(&'a T);

/// A struct that derives `Functor` and is generic over its fields' types,
/// which the function receives with its fields traced; from [`model`].
#[derive(Clone, Copy, Debug)]
pub struct Model<'a, T>(&'a T);

/// Differentiates with respect to the children of a struct that derives
/// `Functor` (its fields, less those marked `#[functor(skip)]`): the
/// function receives them as a tuple of traced values, and the gradient
/// comes back as the struct, each child replaced by its gradient and every
/// other field as it was. Works for any such struct whose children are
/// tensors, scalars, `Option`s or tuples of them.
///
/// ```
/// use typeflux_ad::reverse::{fields, gradient};
/// use typeflux_core::functor::Functor;
/// use typeflux_core::prelude::*;
///
/// #[derive(Clone, Debug, Functor)]
/// struct Affine {
///     weight: Matrix<2, 3>,
///     bias: Option<Vector<2>>,
///     #[functor(skip)]
///     name: &'static str,
/// }
///
/// let layer = Affine { weight: Matrix::ones(), bias: Some(Vector::zeros()), name: "first" };
/// let x: Vector<3> = Tensor::from_array([1.0, 2.0, 3.0]);
/// let g: Affine = gradient(
///     |(w, b)| match b {
///         Some(b) => (w.matmul(&x) + b).sum(),
///         None => unreachable!("the layer has a bias"),
///     },
///     fields(&layer),
/// );
/// assert_eq!(g.weight, Tensor::from_array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]));
/// assert_eq!(g.bias, Some(Vector::ones()));
/// assert_eq!(g.name, "first");
/// ```
#[inline]
pub fn fields<T: Functor + Clone>(model: &T) -> Fields<'_, T> {
    Fields(model)
}

/// Differentiates with respect to a struct that derives `Functor` and
/// whose children's types are type parameters (`struct Linear<W, B>`): the
/// function receives the struct with its children traced and uses them by
/// name; the gradient comes back as the struct, each child replaced by its
/// gradient. Flux's `gradient(m -> loss(m), model)`.
///
/// ```
/// use typeflux_ad::reverse::{gradient, model};
/// use typeflux_core::functor::Functor;
/// use typeflux_core::prelude::*;
///
/// #[derive(Clone, Functor)]
/// struct Linear<W = Matrix<2, 5>, B = Vector<2>> {
///     w: W,
///     b: B,
/// }
///
/// let lin = Linear { w: Matrix::ones(), b: Vector::zeros() };
/// let x = Vector::<5>::ones();
/// let y: Vector<2> = Tensor::from_array([1.0, 2.0]);
/// let g: Linear = gradient(|m| (&y - (m.w.matmul(&x) + m.b)).square().sum(), model(&lin));
/// // ŷ = [5, 5], r = y - ŷ = [-4, -3]: b̄ = -2r, W̄ = -2r xᵀ
/// assert_eq!(g.b.to_vec(), vec![8.0, 6.0]);
/// assert_eq!(g.w, Tensor::from_array([[8.0; 5], [6.0; 5]]));
/// ```
#[inline]
pub fn model<T: Functor + Clone>(model: &T) -> Model<'_, T> {
    Model(model)
}

impl<'a, P, T> Input<P> for Fields<'a, T>
where
    T: Functor + Clone + Rebuild<ChildGrads<T, P>, Output = T>,
    T::Children: Input<Step<P, 0>>,
{
    type Traced = ChildTraced<T, P>;
    type Slots = (ChildSlots<T, P>, T::Rest);
    type Grads = T;

    fn trace(self) -> (Self::Traced, Self::Slots) {
        let (children, rest) = self.0.clone().into_children();
        let (traced, slots) = children.trace();
        (traced, (slots, rest))
    }

    fn grads((slots, rest): Self::Slots) -> T {
        T::rebuild(rest, <T::Children as Input<Step<P, 0>>>::grads(slots))
    }
}

impl<'a, P, T> Input<P> for Model<'a, T>
where
    T: Functor + Clone + Rebuild<ChildTraced<T, P>> + Rebuild<ChildGrads<T, P>>,
    T::Children: Input<Step<P, 0>>,
    T::Rest: Clone,
{
    type Traced = <T as Rebuild<ChildTraced<T, P>>>::Output;
    type Slots = (ChildSlots<T, P>, T::Rest);
    type Grads = <T as Rebuild<ChildGrads<T, P>>>::Output;

    fn trace(self) -> (Self::Traced, Self::Slots) {
        let (children, rest) = self.0.clone().into_children();
        let (traced, slots) = children.trace();
        (T::rebuild(rest.clone(), traced), (slots, rest))
    }

    fn grads((slots, rest): Self::Slots) -> Self::Grads {
        T::rebuild(rest, <T::Children as Input<Step<P, 0>>>::grads(slots))
    }
}
