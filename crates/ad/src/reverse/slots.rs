//! Gradient slots: where the backward pass adds the gradient of each input.
//!
//! The slots of a [`gradient`](super::gradient) call mirror its input: one
//! [`TensorSlot`] per tensor, tuples for tuples, nested as the input nests.
//! Each input's [`Leaf`](super::Leaf) knows the way to its slot as a type,
//! a [`Step`] path from the [`Root`], so finding a slot compiles to a field
//! access, and a leaf cannot reach a slot of the wrong type.

use super::node::Product;
use core::ops::AddAssign;
pub use typeflux_core::functor::{Root, Step};
use typeflux_core::{Device, Element, Kernels, Shape, Tensor};

/// Field `I` of a tuple, for tuples of 1 to 16 fields.
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
    (A, B, C, D, E, F, G, H, I) => [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G, 7: H, 8: I];
    (A, B, C, D, E, F, G, H, I, J) =>
        [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G, 7: H, 8: I, 9: J];
    (A, B, C, D, E, F, G, H, I, J, K) =>
        [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G, 7: H, 8: I, 9: J, 10: K];
    (A, B, C, D, E, F, G, H, I, J, K, L) =>
        [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G, 7: H, 8: I, 9: J, 10: K, 11: L];
    (A, B, C, D, E, F, G, H, I, J, K, L, M) =>
        [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G, 7: H, 8: I, 9: J, 10: K, 11: L, 12: M];
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N) =>
        [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G, 7: H, 8: I, 9: J, 10: K, 11: L, 12: M, 13: N];
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O) =>
        [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G, 7: H, 8: I, 9: J, 10: K, 11: L, 12: M, 13: N,
         14: O];
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P) =>
        [0: A, 1: B, 2: C, 3: D, 4: E, 5: F, 6: G, 7: H, 8: I, 9: J, 10: K, 11: L, 12: M, 13: N,
         14: O, 15: P];
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

    /// Adds a gradient given as a product not yet formed (the factors of
    /// an outer product); by default the product is formed and added.
    #[inline]
    fn accumulate_product<P>(&mut self, product: P)
    where
        P: Product<Value = G>,
    {
        self.accumulate(product.value());
    }
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

impl<S: Shape, E: Element, D: Kernels<E>> Accumulate<Tensor<S, E, D>> for TensorSlot<S, E, D> {
    #[inline]
    #[track_caller]
    fn accumulate(&mut self, grad: Tensor<S, E, D>) {
        match &mut self.grad {
            Some(sum) => *sum += grad,
            None => self.grad = Some(grad),
        }
    }
}

/// The slots of a backward pass with one more slot, the *hole*: where the
/// cotangent of a layer's input arrives when a chain runs that layer's
/// backward pass (see [`Hole`](super::Hole)). Paths into the slots lead
/// through it to the slots it wraps, so leaves inside the layer find their
/// own slots as before.
pub struct WithHole<'a, G, H> {
    grads: &'a mut G,
    hole: &'a mut H,
}

impl<'a, G, H> WithHole<'a, G, H> {
    /// `grads` with the extra slot `hole`.
    #[inline(always)]
    pub fn new(grads: &'a mut G, hole: &'a mut H) -> Self {
        WithHole { grads, hole }
    }

    /// The hole's slot.
    #[inline(always)]
    pub fn hole(&mut self) -> &mut H {
        self.hole
    }
}

impl<G: Field<I>, H, const I: usize> Field<I> for WithHole<'_, G, H> {
    type Item = G::Item;

    #[inline(always)]
    fn field(&mut self) -> &mut G::Item {
        self.grads.field()
    }
}

impl<G: Accumulate<T>, H, T> Accumulate<T> for WithHole<'_, G, H> {
    #[inline(always)]
    fn accumulate(&mut self, grad: T) {
        self.grads.accumulate(grad);
    }

    #[inline(always)]
    fn accumulate_product<P>(&mut self, product: P)
    where
        P: Product<Value = T>,
    {
        self.grads.accumulate_product(product);
    }
}

/// The slot of a hole: empty until a cotangent arrives, which it takes;
/// later ones are added.
impl<T: AddAssign> Accumulate<T> for Option<T> {
    #[inline(always)]
    fn accumulate(&mut self, grad: T) {
        match self {
            Some(sum) => *sum += grad,
            None => *self = Some(grad),
        }
    }
}
