//! Operators on traced values: `+ - * /` with traced values, tensors (data),
//! broadcast vectors and scalars, and unary `-`.
//!
//! A tensor operand is a constant: the operation keeps only the pullback
//! toward the traced operand. Writing `&t` clones the tensor into the
//! operation; writing `t` moves it.

use super::node::{Combine, Constant, Node};
use super::pullback::Identity;
use super::rules::arith::{
    self, AddLhs, AddRhs, DivLhs, DivRhs, DivScalarPullback, MulLhs, MulRhs, ScalarDivPullback,
    ScalePullback, SubLhs, SubRhs,
};
use super::rules::matmul::MatMulRule;
use super::rules::shape::Broadcast;
use super::rules::unary::{self, NegPullback};
use super::traced::IntoTraced;
use super::traced::Traced;
use core::ops::{Add, Div, Mul, Neg, Sub};
use typeflux_core::{Dim, Element, Kernels, MatMul, Shape, Tensor};

macro_rules! arith_ops {
    ($($Op:ident $op:ident: $rule:ident $Lhs:ident $Rhs:ident, $scalar:ident $Scalar:ty;)*) => {$(
        /// Both operands traced; `rhs` is broadcast to the shape of `self`.
        impl<A: Broadcast<V>, BA: Combine<BB>, V: Clone, BB> $Op<Traced<V, BB>> for Traced<A, BA> {
            type Output = Traced<A, BA::Join<$Lhs<A, V>, $Rhs<A, V>>>;

            #[inline]
            #[track_caller]
            fn $op(self, rhs: Traced<V, BB>) -> Self::Output {
                self.apply2(rhs, arith::$rule)
            }
        }

        /// A traced value and a constant tensor, broadcast to its shape.
        impl<S: Shape, S2: Shape, E: Element, D: Kernels<E>, BA: Combine<Constant>>
            $Op<Tensor<S2, E, D>> for Traced<Tensor<S, E, D>, BA>
        where
            Tensor<S, E, D>: Broadcast<Tensor<S2, E, D>>,
        {
            type Output = Traced<
                Tensor<S, E, D>,
                <BA as Combine<Constant>>::Join<
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
        impl<S: Shape, S2: Shape, E: Element, D: Kernels<E>, BA: Combine<Constant>>
            $Op<&Tensor<S2, E, D>> for Traced<Tensor<S, E, D>, BA>
        where
            Tensor<S, E, D>: Broadcast<Tensor<S2, E, D>>,
        {
            type Output = Traced<
                Tensor<S, E, D>,
                <BA as Combine<Constant>>::Join<
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
        impl<S: Shape, S2: Shape, E: Element, D: Kernels<E>, BB> $Op<Traced<Tensor<S2, E, D>, BB>>
            for Tensor<S, E, D>
        where
            Tensor<S, E, D>: Broadcast<Tensor<S2, E, D>>,
            Constant: Combine<BB>,
        {
            type Output = Traced<
                Tensor<S, E, D>,
                <Constant as Combine<BB>>::Join<
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
        impl<S: Shape, S2: Shape, E: Element, D: Kernels<E>, BB> $Op<Traced<Tensor<S2, E, D>, BB>>
            for &Tensor<S, E, D>
        where
            Tensor<S, E, D>: Broadcast<Tensor<S2, E, D>>,
            Constant: Combine<BB>,
        {
            type Output = Traced<
                Tensor<S, E, D>,
                <Constant as Combine<BB>>::Join<
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
        impl<S: Shape, E: Element, D: Kernels<E>, B: Node> $Op<E> for Traced<Tensor<S, E, D>, B> {
            type Output = Traced<Tensor<S, E, D>, B::Then<$Scalar>>;

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
        impl<S: Shape, D: Kernels<$f>, B: Node> Add<Traced<Tensor<S, $f, D>, B>> for $f {
            type Output = Traced<Tensor<S, $f, D>, B::Then<Identity>>;

            #[inline]
            fn add(self, x: Traced<Tensor<S, $f, D>, B>) -> Self::Output {
                x.apply(|x| arith::scalar_add(self, x))
            }
        }

        impl<S: Shape, D: Kernels<$f>, B: Node> Sub<Traced<Tensor<S, $f, D>, B>> for $f {
            type Output = Traced<Tensor<S, $f, D>, B::Then<NegPullback>>;

            #[inline]
            fn sub(self, x: Traced<Tensor<S, $f, D>, B>) -> Self::Output {
                x.apply(|x| arith::scalar_sub(self, x))
            }
        }

        impl<S: Shape, D: Kernels<$f>, B: Node> Mul<Traced<Tensor<S, $f, D>, B>> for $f {
            type Output = Traced<Tensor<S, $f, D>, B::Then<ScalePullback<$f>>>;

            #[inline]
            fn mul(self, x: Traced<Tensor<S, $f, D>, B>) -> Self::Output {
                x.apply(|x| arith::scalar_mul(self, x))
            }
        }

        impl<S: Shape, D: Kernels<$f>, B: Node> Div<Traced<Tensor<S, $f, D>, B>> for $f {
            type Output = Traced<Tensor<S, $f, D>, B::Then<ScalarDivPullback<S, $f, D>>>;

            #[inline]
            fn div(self, x: Traced<Tensor<S, $f, D>, B>) -> Self::Output {
                x.apply(|x| arith::scalar_div(self, x))
            }
        }
    )*};
}

scalar_left_ops!(f32, f64);

impl<S: Shape, E: Element, D: Kernels<E>, B: Node> Neg for Traced<Tensor<S, E, D>, B> {
    type Output = Traced<Tensor<S, E, D>, B::Then<NegPullback>>;

    #[inline]
    fn neg(self) -> Self::Output {
        self.apply(unary::neg)
    }
}

/// core's [`MatMul`] for a traced left operand and any right operand a
/// traced product takes (a traced value, or a tensor by value or by
/// reference): what a layer written once over plain and traced tensors
/// (`self.w.matmul(&x)`) uses. The operands are copied (a large CPU buffer is
/// shared), as the product keeps them for its pullback.
impl<A, B, R> MatMul<R> for Traced<A, B>
where
    A: MatMulRule<R::Value> + Clone,
    B: Combine<R::Back> + Clone,
    R: IntoTraced + Clone,
{
    type Output = Traced<A::Output, B::Join<A::Lhs, A::Rhs>>;

    #[inline]
    #[track_caller]
    fn matmul(&self, rhs: &R) -> Self::Output {
        self.clone()
            .apply2(rhs.clone().into_traced(), A::matmul_rule)
    }
}

/// core's [`MatMul`] for a plain tensor (a constant) times a traced value.
impl<M: Dim, K: Dim, E: Element, D: Kernels<E>, V, BV> MatMul<Traced<V, BV>>
    for Tensor<(M, K), E, D>
where
    Tensor<(M, K), E, D>: MatMulRule<V>,
    Constant: Combine<BV>,
    V: Clone,
    BV: Clone,
{
    type Output = Traced<
        <Tensor<(M, K), E, D> as MatMulRule<V>>::Output,
        <Constant as Combine<BV>>::Join<
            <Tensor<(M, K), E, D> as MatMulRule<V>>::Lhs,
            <Tensor<(M, K), E, D> as MatMulRule<V>>::Rhs,
        >,
    >;

    #[inline]
    #[track_caller]
    fn matmul(&self, rhs: &Traced<V, BV>) -> Self::Output {
        Traced::constant(self.clone()).apply2(rhs.clone(), MatMulRule::matmul_rule)
    }
}
