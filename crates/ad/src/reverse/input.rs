//! What a gradient is taken with respect to: tensors, scalars, `Option`s,
//! tuples of them nested as deep as needed, and structs that derive
//! `Functor`.

use super::node::Leaf;
use super::slots::{Root, Step, TensorSlot};
use super::traced::Traced;
use typeflux_core::functor::{Functor, Rebuild, TieTable, Trace, TraceLeaf, TraceTies};
use typeflux_core::{Device, Element, Shape, Tensor};

/// Something [`gradient`](super::gradient) can differentiate with respect to,
/// with its tensors at the gradient slots below the type-level path `P`:
/// whatever core's [`Trace`] traces under reverse mode's [`Reverse`].
///
/// That is a tensor (`&x` is cloned into the computation, `x` moved), an
/// `f32` or `f64`, an `Option` (an absent bias), a tuple of up to 16
/// inputs, nested as deep as needed, [`Params`](super::Params), a model
/// (`Dense`, `Chain`, a struct deriving `Functor` whose children are bare
/// type parameters), and a struct deriving `Functor` through [`fields`].
///
/// The function receives [`Traced`](Trace::Traced), the input with each
/// tensor traced, and the gradient comes back as [`Grads`](Trace::Grads), in
/// the input's own shape: a tensor for a tensor, a tuple for a tuple, the
/// struct for a struct.
///
/// A type can also implement [`Trace`] by hand, by delegating to a tuple of
/// its parts:
///
/// ```
/// use typeflux_ad::reverse::{Reverse, gradient};
/// use typeflux_core::functor::Trace;
/// use typeflux_core::prelude::*;
///
/// struct Linear {
///     w: Matrix<2, 3>,
///     b: Vector<2>,
/// }
///
/// type Parts<'a> = (&'a Matrix<2, 3>, &'a Vector<2>);
///
/// impl<'a, P> Trace<Reverse, P> for &'a Linear
/// where
///     Parts<'a>: Trace<Reverse, P, Grads = (Matrix<2, 3>, Vector<2>)>,
/// {
///     type Traced = <Parts<'a> as Trace<Reverse, P>>::Traced;
///     type Slots = <Parts<'a> as Trace<Reverse, P>>::Slots;
///     type Grads = Linear;
///
///     fn trace(self, kind: &Reverse) -> (Self::Traced, Self::Slots) {
///         Trace::<Reverse, P>::trace((&self.w, &self.b), kind)
///     }
///
///     fn grads(slots: Self::Slots) -> Linear {
///         let (w, b) = <Parts<'a> as Trace<Reverse, P>>::grads(slots);
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
pub trait Input<P = Root>: Trace<Reverse, P> {}

impl<P, X: Trace<Reverse, P>> Input<P> for X {}

/// Reverse mode's leaf kind for core's [`Trace`]: a tensor at path `P`
/// becomes a [`Traced`] value whose [`Leaf`] adds its cotangent into a
/// [`TensorSlot`], and the filled slot gives the gradient.
///
/// It keeps the ties of one trace ([`TraceTies`]): the places of a
/// [`Tied`](typeflux_core::functor::Tied) node come back as one gradient,
/// the sum of theirs. [`gradient`](super::gradient) makes one per call.
#[derive(Debug, Default)]
pub struct Reverse {
    ties: TieTable,
}

impl TraceTies for Reverse {
    #[inline]
    fn ties(&self) -> &TieTable {
        &self.ties
    }
}

impl<P, S: Shape, E: Element, D: Device> TraceLeaf<Tensor<S, E, D>, P> for Reverse {
    type Traced = Traced<Tensor<S, E, D>, Leaf<P>>;
    type Slot = TensorSlot<S, E, D>;
    type Grad = Tensor<S, E, D>;

    #[inline]
    fn trace(&self, tensor: Tensor<S, E, D>) -> (Self::Traced, Self::Slot) {
        let slot = TensorSlot::new(tensor.shape(), tensor.device().clone());
        (Traced::new(tensor, Leaf::new()), slot)
    }

    #[inline]
    fn grad(slot: Self::Slot) -> Tensor<S, E, D> {
        slot.into_grad()
    }
}

// The children of a `Functor` struct are traced at field 0 of its slots;
// field 1 holds the fields that are not children, which the gradient keeps,
// as rebuilding needs them.
type ChildSlots<T, P> = <<T as Functor>::Children as Trace<Reverse, Step<P, 0>>>::Slots;
type ChildGrads<T, P> = <<T as Functor>::Children as Trace<Reverse, Step<P, 0>>>::Grads;
type ChildTraced<T, P> = <<T as Functor>::Children as Trace<Reverse, Step<P, 0>>>::Traced;

/// A struct that derives `Functor`, differentiated with respect to its
/// children, which the function receives as a tuple of traced values; from
/// [`fields`].
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a, T>(&'a T);

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

/// The model to differentiate with respect to, Flux's
/// `gradient(m -> loss(m), model)`: the function receives the model with
/// its parameters traced and uses it as the model (its fields by name, its
/// `forward`), and the gradient comes back as a value of the model's own
/// type. Any traceable model works (see [`Trace`]): `Dense`, `Chain`, and a
/// struct deriving `Functor` whose children's types are type parameters
/// (`struct Linear<W, B>`). Passing `&model` does the same; `model(&m)`
/// says what is meant.
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
#[inline(always)]
pub fn model<T>(model: &T) -> &T {
    model
}

impl<'a, P, T> Trace<Reverse, P> for Fields<'a, T>
where
    T: Functor + Clone + Rebuild<ChildGrads<T, P>, Output = T>,
    T::Children: Trace<Reverse, Step<P, 0>>,
{
    type Traced = ChildTraced<T, P>;
    type Slots = (ChildSlots<T, P>, T::Rest);
    type Grads = T;

    fn trace(self, kind: &Reverse) -> (Self::Traced, Self::Slots) {
        let (children, rest) = self.0.clone().into_children();
        let (traced, slots) = children.trace(kind);
        (traced, (slots, rest))
    }

    fn grads((slots, rest): Self::Slots) -> T {
        T::rebuild(
            rest,
            <T::Children as Trace<Reverse, Step<P, 0>>>::grads(slots),
        )
    }
}
