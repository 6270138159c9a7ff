//! Arithmetic rules: `+ - * /` between tensors, with broadcasting, and with
//! constant scalars.
//!
//! The tensor–tensor rules are written once for every pair of operands that
//! [`Broadcast`] allows (same shape, matrix with vector, tensor with scalar
//! tensor). The result has the left operand's shape, so the pullback toward
//! the left operand is the elementwise rule, and the one toward the right
//! operand adds [`Broadcast::unbroadcast`], the sum over the axes the right
//! operand was repeated along.

use super::unary::NegPullback;
use crate::reverse::pullback::{Both, Identity, Pullback};
use crate::reverse::rules::shape::Broadcast;
use core::marker::PhantomData;
use core::ops::Neg;
use typeflux_core::{BinaryOp, Element, Kernels, Shape, Tensor};

/// `fn() -> T` keeps a type in a pullback without owning a value of it.
type Marker<T> = PhantomData<fn() -> T>;

macro_rules! marker_pullback {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<A, B>(Marker<(A, B)>);

        impl<A, B> $name<A, B> {
            fn new() -> Self {
                $name(PhantomData)
            }
        }

        impl<A, B> Clone for $name<A, B> {
            fn clone(&self) -> Self {
                Self::new()
            }
        }
    )*};
}

marker_pullback! {
    /// `a + b` toward `a`: `ā = ȳ`. Keeps nothing.
    AddLhs;
    /// `a + b` toward `b`: `b̄ = Σ ȳ` over the repeated axes. Keeps nothing.
    AddRhs;
    /// `a - b` toward `a`: `ā = ȳ`. Keeps nothing.
    SubLhs;
    /// `a - b` toward `b`: `b̄ = -Σ ȳ` over the repeated axes. Keeps nothing.
    SubRhs;
}

/// The pullback of [`add`] toward both operands.
pub type AddPullback<A, B> = Both<AddLhs<A, B>, AddRhs<A, B>>;
/// The pullback of [`sub`] toward both operands.
pub type SubPullback<A, B> = Both<SubLhs<A, B>, SubRhs<A, B>>;
/// The pullback of [`mul`] toward both operands.
pub type MulPullback<A, B> = Both<MulLhs<A, B>, MulRhs<A, B>>;
/// The pullback of [`div`] toward both operands.
pub type DivPullback<A, B> = Both<DivLhs<A, B>, DivRhs<A, B>>;

/// `y = a + b`, `b` broadcast to the shape of `a`; keeps nothing, and the sum
/// reuses the buffer of `a`.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::arith};
/// use typeflux_core::prelude::*;
///
/// let m: Matrix<2, 3> = Matrix::ones();
/// let b: Vector<2> = Tensor::from_array([1.0, 2.0]);
/// let (y, back) = arith::add(m, b);
/// assert_eq!(y.to_vec(), vec![2.0, 3.0, 2.0, 3.0, 2.0, 3.0]);
/// let (dm, db) = back.pullback(Matrix::<2, 3>::ones());
/// assert_eq!((dm, db.to_vec()), (Matrix::ones(), vec![3.0, 3.0])); // b̄ sums the batch
/// ```
#[inline]
#[track_caller]
pub fn add<A: Broadcast<B>, B>(a: A, b: B) -> (A, AddPullback<A, B>) {
    (
        a.combine_into(BinaryOp::Add, &b),
        Both(AddLhs::new(), AddRhs::new()),
    )
}

impl<A, B> Pullback<A> for AddLhs<A, B> {
    type Grads = A;

    #[inline(always)]
    fn pullback(self, dy: A) -> A {
        dy
    }
}

impl<A: Broadcast<B>, B> Pullback<A> for AddRhs<A, B> {
    type Grads = B;

    #[inline]
    fn pullback(self, dy: A) -> B {
        A::unbroadcast(dy)
    }

    #[inline]
    fn pullback_ref(self, dy: &A) -> B
    where
        A: Clone,
    {
        A::unbroadcast_ref(dy)
    }
}

/// `y = a - b`, `b` broadcast to the shape of `a`; keeps nothing, and the
/// difference reuses the buffer of `a`.
#[inline]
#[track_caller]
pub fn sub<A: Broadcast<B>, B>(a: A, b: B) -> (A, SubPullback<A, B>) {
    (
        a.combine_into(BinaryOp::Sub, &b),
        Both(SubLhs::new(), SubRhs::new()),
    )
}

impl<A, B> Pullback<A> for SubLhs<A, B> {
    type Grads = A;

    #[inline(always)]
    fn pullback(self, dy: A) -> A {
        dy
    }
}

impl<A: Broadcast<B>, B: Neg<Output = B>> Pullback<A> for SubRhs<A, B> {
    type Grads = B;

    #[inline]
    fn pullback(self, dy: A) -> B {
        -A::unbroadcast(dy)
    }

    #[inline]
    fn pullback_ref(self, dy: &A) -> B
    where
        A: Clone,
    {
        A::unbroadcast_neg(dy)
    }
}

/// `y = a ⊙ b`, `b` broadcast to the shape of `a`. Each half of the pullback
/// keeps the other operand.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::arith};
/// use typeflux_core::prelude::*;
///
/// let a: Vector<2> = Tensor::from_array([2.0, 3.0]);
/// let b: Vector<2> = Tensor::from_array([5.0, 7.0]);
/// let (y, back) = arith::mul(a, b);
/// assert_eq!(y.to_vec(), vec![10.0, 21.0]);
/// let (da, db) = back.pullback(Vector::<2>::ones());
/// assert_eq!((da.to_vec(), db.to_vec()), (vec![5.0, 7.0], vec![2.0, 3.0]));
/// ```
#[inline]
#[track_caller]
pub fn mul<A: Broadcast<B>, B>(a: A, b: B) -> (A, MulPullback<A, B>) {
    let y = a.combine(BinaryOp::Mul, &b);
    (
        y,
        Both(MulLhs { b, a: PhantomData }, MulRhs { a, b: PhantomData }),
    )
}

/// `a ⊙ b` toward `a`: `ā = ȳ ⊙ b`. Keeps `b`.
#[derive(Clone, Debug)]
pub struct MulLhs<A, B> {
    b: B,
    a: Marker<A>,
}

/// `a ⊙ b` toward `b`: `b̄ = Σ ȳ ⊙ a` over the repeated axes. Keeps `a`.
#[derive(Clone, Debug)]
pub struct MulRhs<A, B> {
    a: A,
    b: Marker<B>,
}

impl<A: Broadcast<B>, B> Pullback<A> for MulLhs<A, B> {
    type Grads = A;

    #[inline]
    fn pullback(self, dy: A) -> A {
        dy.combine_into(BinaryOp::Mul, &self.b)
    }

    #[inline]
    fn pullback_ref(self, dy: &A) -> A
    where
        A: Clone,
    {
        dy.combine(BinaryOp::Mul, &self.b)
    }
}

impl<A: Broadcast<B> + Broadcast<A>, B> Pullback<A> for MulRhs<A, B> {
    type Grads = B;

    #[inline]
    fn pullback(self, dy: A) -> B {
        <A as Broadcast<B>>::unbroadcast(<A as Broadcast<A>>::combine_into(
            dy,
            BinaryOp::Mul,
            &self.a,
        ))
    }

    #[inline]
    fn pullback_ref(self, dy: &A) -> B
    where
        A: Clone,
    {
        <A as Broadcast<B>>::unbroadcast(<A as Broadcast<A>>::combine(dy, BinaryOp::Mul, &self.a))
    }
}

/// `y = a / b`, `b` broadcast to the shape of `a`. The divisor is needed by
/// both halves of the pullback and is cloned once for them.
#[inline]
#[track_caller]
pub fn div<A: Broadcast<B>, B: Clone>(a: A, b: B) -> (A, DivPullback<A, B>) {
    let y = a.combine(BinaryOp::Div, &b);
    (
        y,
        Both(
            DivLhs {
                b: b.clone(),
                a: PhantomData,
            },
            DivRhs { a, b },
        ),
    )
}

/// `a / b` toward `a`: `ā = ȳ / b`. Keeps `b`.
#[derive(Clone, Debug)]
pub struct DivLhs<A, B> {
    b: B,
    a: Marker<A>,
}

/// `a / b` toward `b`: `b̄ = -Σ ȳ ⊙ a / b²` over the repeated axes. Keeps
/// `a` and `b`.
#[derive(Clone, Debug)]
pub struct DivRhs<A, B> {
    a: A,
    b: B,
}

impl<A: Broadcast<B>, B> Pullback<A> for DivLhs<A, B> {
    type Grads = A;

    #[inline]
    fn pullback(self, dy: A) -> A {
        dy.combine_into(BinaryOp::Div, &self.b)
    }
}

impl<A: Broadcast<B> + Broadcast<A>, B: Neg<Output = B>> Pullback<A> for DivRhs<A, B> {
    type Grads = B;

    #[inline]
    fn pullback(self, dy: A) -> B {
        let dy_a = <A as Broadcast<A>>::combine_into(dy, BinaryOp::Mul, &self.a);
        div_rhs(dy_a, &self.b)
    }

    #[inline]
    fn pullback_ref(self, dy: &A) -> B
    where
        A: Clone,
    {
        div_rhs(
            <A as Broadcast<A>>::combine(dy, BinaryOp::Mul, &self.a),
            &self.b,
        )
    }
}

/// `-Σ (ȳ ⊙ a) / b²` over the repeated axes, from `ȳ ⊙ a`.
#[inline]
fn div_rhs<A: Broadcast<B>, B: Neg<Output = B>>(dy_a: A, b: &B) -> B {
    // Dividing twice rather than by b² keeps b² from overflowing.
    let g = dy_a
        .combine_into(BinaryOp::Div, b)
        .combine_into(BinaryOp::Div, b);
    -A::unbroadcast(g)
}

/// `y = x + s` for a constant scalar `s`; the cotangent passes through.
#[inline]
pub fn add_scalar<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
    s: E,
) -> (Tensor<S, E, D>, Identity) {
    (x + s, Identity)
}

/// `y = s + x` for a constant scalar `s`; the cotangent passes through.
#[inline]
pub fn scalar_add<S: Shape, E: Element, D: Kernels<E>>(
    s: E,
    x: Tensor<S, E, D>,
) -> (Tensor<S, E, D>, Identity) {
    (x + s, Identity)
}

/// `y = x - s` for a constant scalar `s`; the cotangent passes through.
#[inline]
pub fn sub_scalar<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
    s: E,
) -> (Tensor<S, E, D>, Identity) {
    (x - s, Identity)
}

/// `y = s - x` for a constant scalar `s`: `x̄ = -ȳ`.
#[inline]
pub fn scalar_sub<S: Shape, E: Element, D: Kernels<E>>(
    s: E,
    x: Tensor<S, E, D>,
) -> (Tensor<S, E, D>, NegPullback) {
    (x.scalar_op_left(BinaryOp::Sub, s), NegPullback)
}

/// `y = x · s` for a constant scalar `s`: `x̄ = ȳ · s`.
#[inline]
pub fn mul_scalar<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
    s: E,
) -> (Tensor<S, E, D>, ScalePullback<E>) {
    (x * s, ScalePullback { s })
}

/// `y = s · x` for a constant scalar `s`: `x̄ = ȳ · s`.
#[inline]
pub fn scalar_mul<S: Shape, E: Element, D: Kernels<E>>(
    s: E,
    x: Tensor<S, E, D>,
) -> (Tensor<S, E, D>, ScalePullback<E>) {
    (x * s, ScalePullback { s })
}

/// `y = x / s` for a constant scalar `s`: `x̄ = ȳ / s`.
#[inline]
pub fn div_scalar<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
    s: E,
) -> (Tensor<S, E, D>, DivScalarPullback<E>) {
    (x / s, DivScalarPullback { s })
}

/// `y = s / x` for a constant scalar `s`: `x̄ = -ȳ · s / x²`. Keeps `x`.
#[inline]
pub fn scalar_div<S: Shape, E: Element, D: Kernels<E>>(
    s: E,
    x: Tensor<S, E, D>,
) -> (Tensor<S, E, D>, ScalarDivPullback<S, E, D>) {
    (
        x.scalar_op_left(BinaryOp::Div, s),
        ScalarDivPullback { s, x },
    )
}

/// The pullback of `x · s`: `x̄ = ȳ · s`. Keeps the scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScalePullback<E> {
    s: E,
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<S, E, D>> for ScalePullback<E> {
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        dy * self.s
    }
}

/// The pullback of `x / s`: `x̄ = ȳ / s`. Keeps the scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DivScalarPullback<E> {
    s: E,
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<S, E, D>> for DivScalarPullback<E> {
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        dy / self.s
    }
}

/// The pullback of `s / x`: `x̄ = -ȳ · s / x²`. Keeps `s` and `x`.
#[derive(Clone, Debug)]
pub struct ScalarDivPullback<S: Shape, E: Element, D: Kernels<E>> {
    s: E,
    x: Tensor<S, E, D>,
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<S, E, D>> for ScalarDivPullback<S, E, D> {
    type Grads = Tensor<S, E, D>;

    #[inline]
    #[track_caller]
    fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        (dy * -self.s) / &self.x / &self.x
    }
}
