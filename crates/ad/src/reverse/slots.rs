//! Gradient slots: where the backward pass adds the gradient of each input.
//!
//! The slots of a [`gradient`](super::gradient) call mirror its input: one
//! [`TensorSlot`] per tensor, tuples for tuples, nested as the input nests.
//! Each input's [`Leaf`](super::Leaf) knows the way to its slot as a type,
//! a [`Step`] path from the [`Root`], so finding a slot compiles to a field
//! access, and a leaf cannot reach a slot of the wrong type.

use core::fmt;
use core::marker::PhantomData;
use typeflux_core::{Device, Element, Shape, Tensor};

/// The empty path: the slots themselves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Root;

/// The path `P` followed by field `I` of the tuple found there.
pub struct Step<P, const I: usize>(PhantomData<fn() -> P>);

impl<P, const I: usize> fmt::Debug for Step<P, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Step<{}, {I}>", core::any::type_name::<P>())
    }
}

/// Field `I` of a tuple, for tuples of 1 to 8 fields.
pub trait Field<const I: usize> {
    /// The field's type.
    type Item;

    /// The field.
    fn field(&mut self) -> &mut Self::Item;
}

macro_rules! tuple_fields {
    ($(($($T:ident),+) => [$($i:tt : $F:ident),+];)+) => {
        $(tuple_fields!(@each ($($T),+) $($i : $F),+);)+
    };
    (@each $tuple:tt $($i:tt : $F:ident),+) => {
        $(tuple_fields!(@one $tuple $i $F);)+
    };
    (@one ($($T:ident),+) $i:tt $F:ident) => {
        impl<$($T),+> Field<$i> for ($($T,)+) {
            type Item = $F;

            #[inline(always)]
            fn field(&mut self) -> &mut $F {
                &mut self.$i
            }
        }
    };
}

tuple_fields! {
    (A) => [0: A];
    (A, B) => [0: A, 1: B];
    (A, B, C) => [0: A, 1: B, 2: C];
    (A, B, C, D) => [0: A, 1: B, 2: C, 3: D];
    (A, B, C, D, E) => [0: A, 1: B, 2: C, 3: D, 4: E];
    (A, B, C, D, E, F) => [0: A, 1: B, 2: C, 3: D, 4: E, 5: F];
    (A, B, C, D, E, F, G) => [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G];
    (A, B, C, D, E, F, G, H) => [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G, 7: H];
}

/// The slots of a present `Option` input. A leaf inside an absent one is
/// never traced, so a path never leads there.
impl<T> Field<0> for Option<T> {
    type Item = T;

    #[inline(always)]
    fn field(&mut self) -> &mut T {
        self.as_mut()
            .expect("a traced leaf lies inside an input that is present")
    }
}

/// A path that leads into the slots `G`.
pub trait Locate<G> {
    /// What is found at the end of the path.
    type Target;

    /// Follows the path.
    fn locate(grads: &mut G) -> &mut Self::Target;
}

impl<G> Locate<G> for Root {
    type Target = G;

    #[inline(always)]
    fn locate(grads: &mut G) -> &mut G {
        grads
    }
}

// Paths are types without data, so `'static`; that lets the compiler see
// that what a path leads to lives as long as the slots.
impl<G, P: Locate<G> + 'static, const I: usize> Locate<G> for Step<P, I>
where
    P::Target: Field<I>,
{
    type Target = <P::Target as Field<I>>::Item;

    #[inline(always)]
    fn locate(grads: &mut G) -> &mut Self::Target {
        P::locate(grads).field()
    }
}

/// A slot that sums the gradients reaching it.
pub trait Accumulate<G> {
    /// Adds `grad`.
    fn accumulate(&mut self, grad: G);
}

/// The gradient slot of a tensor input: empty until the first gradient
/// arrives, which it takes without a copy; later ones are added in place.
/// An input that the output does not depend on gets zeros.
#[derive(Clone, Debug)]
pub struct TensorSlot<S: Shape, E: Element, D: Device> {
    grad: Option<Tensor<S, E, D>>,
    shape: S,
    device: D,
}

impl<S: Shape, E: Element, D: Device> TensorSlot<S, E, D> {
    /// An empty slot for a tensor of `shape` on `device`.
    pub fn new(shape: S, device: D) -> Self {
        TensorSlot {
            grad: None,
            shape,
            device,
        }
    }

    /// The gradient: the sum of what arrived, or zeros.
    pub fn into_grad(self) -> Tensor<S, E, D> {
        self.grad
            .unwrap_or_else(|| Tensor::full_on(self.shape, E::zero(), &self.device))
    }
}

impl<S: Shape, E: Element, D: Device> Accumulate<Tensor<S, E, D>> for TensorSlot<S, E, D> {
    #[inline]
    #[track_caller]
    fn accumulate(&mut self, grad: Tensor<S, E, D>) {
        match &mut self.grad {
            Some(sum) => *sum += grad,
            None => self.grad = Some(grad),
        }
    }
}
