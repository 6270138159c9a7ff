//! The backward half of an operation: a pullback.

use super::fill::Cotangent;
#[cfg(doc)]
use super::fill::Fill;
use super::node::Backward;

/// The backward half of a differentiable operation.
///
/// A rule's forward function returns the operation's value together with a
/// pullback. Given the cotangent `ȳ` of the value (the gradient of a scalar
/// loss with respect to it), [`pullback`](Self::pullback) returns the
/// cotangents of the inputs. It takes `self` by value: what the forward pass
/// kept for the backward pass is used once, then dropped, and a cotangent
/// that is no longer needed lends its buffer to the result.
///
/// Rules return named structs, so that a composed backward pass is a type
/// (see [`Then`](super::Then)); a closure `FnOnce(Dy) -> G` is a pullback too,
/// for a rule written in place.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::unary};
/// use typeflux_core::prelude::*;
///
/// let x: Vector<2> = Tensor::from_array([0.0, 1.0]);
/// let (y, back) = unary::exp(x); // y = eˣ, back keeps y
/// let dx = back.pullback(Tensor::from_array([1.0, 2.0]));
/// assert_eq!(dx, &y * &Tensor::from_array([1.0, 2.0])); // x̄ = ȳ ⊙ eˣ
///
/// let double = |dy: Vector<2>| dy * 2.0;
/// assert_eq!(double.pullback(Vector::<2>::ones()).to_vec(), vec![2.0, 2.0]);
/// ```
pub trait Pullback<Dy> {
    /// The cotangents of the inputs: one value for a unary operation, a pair
    /// for a binary one.
    type Grads;

    /// Maps the output cotangent `dy` to the input cotangents.
    fn pullback(self, dy: Dy) -> Self::Grads;

    /// The same from a borrowed cotangent, for the half of a [`Both`] that
    /// runs while the other half still needs `dy`. By default `dy` is
    /// cloned; a rule whose result does not reuse the cotangent's buffer
    /// (`-ȳ`, `ȳ ⊙ b`) computes it from `dy` directly, one pass instead of
    /// two.
    #[inline]
    fn pullback_ref(self, dy: &Dy) -> Self::Grads
    where
        Self: Sized,
        Dy: Clone,
    {
        self.pullback(dy.clone())
    }

    /// The same from a cotangent with every element equal (the pullback of a
    /// sum). By default the [`Fill`] becomes a tensor first; a rule that can
    /// use the scalar as it is (`x̄ = 2x · s̄` for a square) does.
    #[inline]
    fn pullback_fill(self, dy: Dy::Fill) -> Self::Grads
    where
        Self: Sized,
        Dy: Cotangent,
    {
        self.pullback(Dy::from_fill(dy))
    }

    /// Runs the pullback and hands the result to the backward pass `next`.
    /// A reduction to a scalar overrides it to hand on a [`Fill`] instead of
    /// spreading its cotangent into a tensor.
    #[inline(always)]
    fn pullback_into<B: Backward<Self::Grads, G>, G>(self, dy: Dy, next: B, grads: &mut G)
    where
        Self: Sized,
    {
        next.backward(self.pullback(dy), grads);
    }
}

impl<Dy, G, F: FnOnce(Dy) -> G> Pullback<Dy> for F {
    type Grads = G;

    #[inline]
    fn pullback(self, dy: Dy) -> G {
        self(dy)
    }
}

/// The pullback of a binary operation toward both operands: the pullback
/// toward the left operand next to the one toward the right.
///
/// Each half keeps only what its own gradient needs (for `C = A·B`, the left
/// half keeps `B` and the right half keeps `A`), so a computation in which one
/// operand is a constant keeps the other half and drops this one at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Both<L, R>(pub L, pub R);

impl<Dy: Clone, L: Pullback<Dy>, R: Pullback<Dy>> Pullback<Dy> for Both<L, R> {
    type Grads = (L::Grads, R::Grads);

    /// The right half borrows `dy`, the left one then takes it: a left half
    /// that works in place needs no copy.
    #[inline]
    fn pullback(self, dy: Dy) -> Self::Grads {
        let rhs = self.1.pullback_ref(&dy);
        (self.0.pullback(dy), rhs)
    }
}

/// The pullback of an operation whose Jacobian is the identity (`x + c`): the
/// cotangent passes through unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity;

impl<Dy> Pullback<Dy> for Identity {
    type Grads = Dy;

    #[inline(always)]
    fn pullback(self, dy: Dy) -> Dy {
        dy
    }
}
