//! Operators on traced values: `+ - * /` with traced values, tensors (data),
//! broadcast vectors and scalars, and unary `-`.
//!
//! A tensor operand is a constant: the operation keeps only the pullback
//! toward the traced operand. Writing `&t` clones the tensor into the
//! operation; writing `t` moves it.

use super::lazy::Settle;
use super::node::{Combine, Constant, Node};
use super::pullback::Identity;
use super::rules::arith::{
    self, AddLhs, AddRhs, DivLhs, DivRhs, DivScalarPullback, MulLhs, MulRhs, ScalarDivPullback,
    ScalePullback, SubLhs, SubRhs,
};
use super::rules::shape::Broadcast;
use super::rules::unary::{self, NegPullback};
use super::traced::Traced;
use core::ops::{Add, Div, Mul, Neg, Sub};
use typeflux_core::{Device, Element, Shape, Tensor};

macro_rules! arith_ops {
    ($($Op:ident $op:ident: $rule:ident $Lhs:ident $Rhs:ident, $scalar:ident $Scalar:ty;)*) => {$(
        /// Both operands traced; `rhs` is broadcast to the shape of `self`.
        impl<A: Broadcast<V>, BA: Settle<A>, V: Clone, BB: Settle<V>> $Op<Traced<V, BB>> for Traced<A, BA>
        where
            BA::Settled: Combine<BB::Settled>,
        {
            type Output =
                Traced<A, <BA::Settled as Combine<BB::Settled>>::Join<$Lhs<A, V>, $Rhs<A, V>>>;

            #[inline]
            #[track_caller]
            fn $op(self, rhs: Traced<V, BB>) -> Self::Output {
                self.apply2(rhs, arith::$rule)
            }
        }

        /// A traced value and a constant tensor, broadcast to its shape.
        impl<S: Shape, S2: Shape, E: Element, D: Device, BA: Settle<Tensor<S, E, D>>>
            $Op<Tensor<S2, E, D>> for Traced<Tensor<S, E, D>, BA>
        where
            Tensor<S, E, D>: Broadcast<Tensor<S2, E, D>>,
            BA::Settled: Combine<Constant>,
        {
            type Output = Traced<
                Tensor<S, E, D>,
                <BA::Settled as Combine<Constant>>::Join<
                    $Lhs<Tensor<S, E, D>, Tensor<S2, E, D>>,
                    $Rhs<Tensor<S, E, D>, Tensor<S2, E, D>>,
                >,
            >;

            #[inline]
            #[track_caller]
            fn $op(self, rhs: Tensor<S2, E, D>) -> Self::Output {
                self.apply2(Traced::constant(rhs), arith::$rule)
            }
        }

        /// A traced value and a constant tensor (cloned), broadcast to its shape.
        impl<S: Shape, S2: Shape, E: Element, D: Device, BA: Settle<Tensor<S, E, D>>>
            $Op<&Tensor<S2, E, D>> for Traced<Tensor<S, E, D>, BA>
        where
            Tensor<S, E, D>: Broadcast<Tensor<S2, E, D>>,
            BA::Settled: Combine<Constant>,
        {
            type Output = Traced<
                Tensor<S, E, D>,
                <BA::Settled as Combine<Constant>>::Join<
                    $Lhs<Tensor<S, E, D>, Tensor<S2, E, D>>,
                    $Rhs<Tensor<S, E, D>, Tensor<S2, E, D>>,
                >,
            >;

            #[inline]
            #[track_caller]
            fn $op(self, rhs: &Tensor<S2, E, D>) -> Self::Output {
                self.apply2(Traced::constant(rhs.clone()), arith::$rule)
            }
        }

        /// A constant tensor and a traced value, broadcast to its shape.
        impl<S: Shape, S2: Shape, E: Element, D: Device, BB> $Op<Traced<Tensor<S2, E, D>, BB>>
            for Tensor<S, E, D>
        where
            Tensor<S, E, D>: Broadcast<Tensor<S2, E, D>>,
            BB: Settle<Tensor<S2, E, D>>,
            Constant: Combine<BB::Settled>,
        {
            type Output = Traced<
                Tensor<S, E, D>,
                <Constant as Combine<BB::Settled>>::Join<
                    $Lhs<Tensor<S, E, D>, Tensor<S2, E, D>>,
                    $Rhs<Tensor<S, E, D>, Tensor<S2, E, D>>,
                >,
            >;

            #[inline]
            #[track_caller]
            fn $op(self, rhs: Traced<Tensor<S2, E, D>, BB>) -> Self::Output {
                Traced::constant(self).apply2(rhs, arith::$rule)
            }
        }

        /// A constant tensor (cloned) and a traced value, broadcast to its shape.
        impl<S: Shape, S2: Shape, E: Element, D: Device, BB> $Op<Traced<Tensor<S2, E, D>, BB>>
            for &Tensor<S, E, D>
        where
            Tensor<S, E, D>: Broadcast<Tensor<S2, E, D>>,
            BB: Settle<Tensor<S2, E, D>>,
            Constant: Combine<BB::Settled>,
        {
            type Output = Traced<
                Tensor<S, E, D>,
                <Constant as Combine<BB::Settled>>::Join<
                    $Lhs<Tensor<S, E, D>, Tensor<S2, E, D>>,
                    $Rhs<Tensor<S, E, D>, Tensor<S2, E, D>>,
                >,
            >;

            #[inline]
            #[track_caller]
            fn $op(self, rhs: Traced<Tensor<S2, E, D>, BB>) -> Self::Output {
                Traced::constant(self.clone()).apply2(rhs, arith::$rule)
            }
        }

        /// A traced value and a constant scalar.
        impl<S: Shape, E: Element, D: Device, B: Settle<Tensor<S, E, D>, Settled: Node>> $Op<E>
            for Traced<Tensor<S, E, D>, B>
        {
            type Output = Traced<Tensor<S, E, D>, <B::Settled as Node>::Then<$Scalar>>;

            #[inline]
            fn $op(self, s: E) -> Self::Output {
                self.apply(|x| arith::$scalar(x, s))
            }
        }
    )*};
}

arith_ops! {
    Add add: add AddLhs AddRhs, add_scalar Identity;
    Sub sub: sub SubLhs SubRhs, sub_scalar Identity;
    Mul mul: mul MulLhs MulRhs, mul_scalar ScalePullback<E>;
    Div div: div DivLhs DivRhs, div_scalar DivScalarPullback<E>;
}

/// A constant scalar on the left, for `f32` and `f64` elements (a generic
/// element cannot be the left operand of an operator in Rust).
macro_rules! scalar_left_ops {
    ($($f:ty),*) => {$(
        impl<S: Shape, D: Device, B: Settle<Tensor<S, $f, D>, Settled: Node>> Add<Traced<Tensor<S, $f, D>, B>> for $f {
            type Output = Traced<Tensor<S, $f, D>, <B::Settled as Node>::Then<Identity>>;

            #[inline]
            fn add(self, x: Traced<Tensor<S, $f, D>, B>) -> Self::Output {
                x.apply(|x| arith::scalar_add(self, x))
            }
        }

        impl<S: Shape, D: Device, B: Settle<Tensor<S, $f, D>, Settled: Node>> Sub<Traced<Tensor<S, $f, D>, B>> for $f {
            type Output = Traced<Tensor<S, $f, D>, <B::Settled as Node>::Then<NegPullback>>;

            #[inline]
            fn sub(self, x: Traced<Tensor<S, $f, D>, B>) -> Self::Output {
                x.apply(|x| arith::scalar_sub(self, x))
            }
        }

        impl<S: Shape, D: Device, B: Settle<Tensor<S, $f, D>, Settled: Node>> Mul<Traced<Tensor<S, $f, D>, B>> for $f {
            type Output = Traced<Tensor<S, $f, D>, <B::Settled as Node>::Then<ScalePullback<$f>>>;

            #[inline]
            fn mul(self, x: Traced<Tensor<S, $f, D>, B>) -> Self::Output {
                x.apply(|x| arith::scalar_mul(self, x))
            }
        }

        impl<S: Shape, D: Device, B: Settle<Tensor<S, $f, D>, Settled: Node>> Div<Traced<Tensor<S, $f, D>, B>> for $f {
            type Output = Traced<Tensor<S, $f, D>, <B::Settled as Node>::Then<ScalarDivPullback<S, $f, D>>>;

            #[inline]
            fn div(self, x: Traced<Tensor<S, $f, D>, B>) -> Self::Output {
                x.apply(|x| arith::scalar_div(self, x))
            }
        }
    )*};
}

scalar_left_ops!(f32, f64);

impl<S: Shape, E: Element, D: Device, B: Settle<Tensor<S, E, D>, Settled: Node>> Neg
    for Traced<Tensor<S, E, D>, B>
{
    type Output = Traced<Tensor<S, E, D>, <B::Settled as Node>::Then<NegPullback>>;

    #[inline]
    fn neg(self) -> Self::Output {
        self.apply(unary::neg)
    }
}
