//! Elementwise arithmetic, scalar arithmetic and broadcasting over the batch.

use crate::device::{BinaryOp, Device, UnaryOp};
use crate::dims::Dim;
use crate::element::Element;
use crate::shape::{Shape, assert_same, shape_mismatch};
use crate::tensor::Tensor;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

impl<S: Shape, E: Element, D: Device> Tensor<S, E, D> {
    /// `self op rhs`, elementwise; runtime dims must agree.
    #[inline]
    #[track_caller]
    pub fn binary(&self, op: BinaryOp, rhs: &Self) -> Self {
        assert_same(op.symbol(), &self.shape, &rhs.shape);
        Tensor::from_parts(
            self.shape,
            self.device.binary(op, &self.data, &rhs.data),
            self.device.clone(),
        )
    }

    /// `self = self op rhs`, elementwise.
    #[inline]
    #[track_caller]
    pub fn binary_assign(&mut self, op: BinaryOp, rhs: &Self) {
        assert_same(op.symbol(), &self.shape, &rhs.shape);
        self.device.binary_assign(op, &mut self.data, &rhs.data);
    }

    /// `self op s` for every element.
    #[inline]
    pub fn scalar_op(&self, op: BinaryOp, s: E) -> Self {
        Tensor::from_parts(
            self.shape,
            self.device.scalar(op, &self.data, s, false),
            self.device.clone(),
        )
    }

    /// `s op self` for every element (`1.0 - x`, `1.0 / x`).
    #[inline]
    pub fn scalar_op_left(&self, op: BinaryOp, s: E) -> Self {
        Tensor::from_parts(
            self.shape,
            self.device.scalar(op, &self.data, s, true),
            self.device.clone(),
        )
    }

    /// `op(self)`, elementwise.
    #[inline]
    pub fn unary(&self, op: UnaryOp) -> Self {
        Tensor::from_parts(
            self.shape,
            self.device.unary(op, &self.data),
            self.device.clone(),
        )
    }

    /// `self += alpha · x`, in place: the update step of an optimiser.
    #[inline]
    #[track_caller]
    pub fn axpy(&mut self, alpha: E, x: &Self) {
        assert_same("axpy", &self.shape, &x.shape);
        self.device.axpy(&mut self.data, alpha, &x.data);
    }

    /// Every element squared.
    #[inline]
    pub fn square(&self) -> Self {
        self.unary(UnaryOp::Square)
    }

    /// `eˣ`, elementwise.
    #[inline]
    pub fn exp(&self) -> Self {
        self.unary(UnaryOp::Exp)
    }

    /// `ln x`, elementwise.
    #[inline]
    pub fn ln(&self) -> Self {
        self.unary(UnaryOp::Ln)
    }

    /// `√x`, elementwise.
    #[inline]
    pub fn sqrt(&self) -> Self {
        self.unary(UnaryOp::Sqrt)
    }

    /// `|x|`, elementwise.
    #[inline]
    pub fn abs(&self) -> Self {
        self.unary(UnaryOp::Abs)
    }

    /// `tanh x`, elementwise.
    #[inline]
    pub fn tanh(&self) -> Self {
        self.unary(UnaryOp::Tanh)
    }

    /// `sin x`, elementwise.
    #[inline]
    pub fn sin(&self) -> Self {
        self.unary(UnaryOp::Sin)
    }

    /// `cos x`, elementwise.
    #[inline]
    pub fn cos(&self) -> Self {
        self.unary(UnaryOp::Cos)
    }
}

macro_rules! binary_ops {
    ($($Trait:ident $method:ident $Assign:ident $assign:ident $op:ident;)*) => {$(
        impl<S: Shape, E: Element, D: Device> $Trait<&Tensor<S, E, D>> for &Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: &Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.binary(BinaryOp::$op, rhs)
            }
        }

        impl<S: Shape, E: Element, D: Device> $Trait<Tensor<S, E, D>> for Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            #[track_caller]
            fn $method(mut self, rhs: Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.binary_assign(BinaryOp::$op, &rhs);
                self
            }
        }

        impl<S: Shape, E: Element, D: Device> $Trait<&Tensor<S, E, D>> for Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            #[track_caller]
            fn $method(mut self, rhs: &Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.binary_assign(BinaryOp::$op, rhs);
                self
            }
        }

        impl<S: Shape, E: Element, D: Device> $Trait<Tensor<S, E, D>> for &Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.binary(BinaryOp::$op, &rhs)
            }
        }

        impl<S: Shape, E: Element, D: Device> $Assign<&Tensor<S, E, D>> for Tensor<S, E, D> {
            #[inline]
            #[track_caller]
            fn $assign(&mut self, rhs: &Tensor<S, E, D>) {
                self.binary_assign(BinaryOp::$op, rhs);
            }
        }

        impl<S: Shape, E: Element, D: Device> $Assign<Tensor<S, E, D>> for Tensor<S, E, D> {
            #[inline]
            #[track_caller]
            fn $assign(&mut self, rhs: Tensor<S, E, D>) {
                self.binary_assign(BinaryOp::$op, &rhs);
            }
        }

        impl<S: Shape, E: Element, D: Device> $Trait<E> for &Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            fn $method(self, s: E) -> Tensor<S, E, D> {
                self.scalar_op(BinaryOp::$op, s)
            }
        }

        impl<S: Shape, E: Element, D: Device> $Trait<E> for Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            fn $method(mut self, s: E) -> Tensor<S, E, D> {
                self.device.scalar_assign(BinaryOp::$op, &mut self.data, s);
                self
            }
        }

        impl<S: Shape, E: Element, D: Device> $Assign<E> for Tensor<S, E, D> {
            #[inline]
            fn $assign(&mut self, s: E) {
                self.device.scalar_assign(BinaryOp::$op, &mut self.data, s);
            }
        }

        impl<R: Dim, C: Dim, E: Element, D: Device> $Trait<&Tensor<(R,), E, D>>
            for &Tensor<(R, C), E, D>
        {
            type Output = Tensor<(R, C), E, D>;
            /// Broadcasts the vector over the columns (the batch).
            #[inline]
            #[track_caller]
            fn $method(self, v: &Tensor<(R,), E, D>) -> Tensor<(R, C), E, D> {
                self.broadcast(BinaryOp::$op, v)
            }
        }

        impl<R: Dim, C: Dim, E: Element, D: Device> $Trait<&Tensor<(R,), E, D>>
            for Tensor<(R, C), E, D>
        {
            type Output = Tensor<(R, C), E, D>;
            /// Broadcasts the vector over the columns (the batch), in place.
            #[inline]
            #[track_caller]
            fn $method(mut self, v: &Tensor<(R,), E, D>) -> Tensor<(R, C), E, D> {
                self.broadcast_assign(BinaryOp::$op, v);
                self
            }
        }

        impl<R: Dim, C: Dim, E: Element, D: Device> $Assign<&Tensor<(R,), E, D>>
            for Tensor<(R, C), E, D>
        {
            /// Broadcasts the vector over the columns (the batch), in place.
            #[inline]
            #[track_caller]
            fn $assign(&mut self, v: &Tensor<(R,), E, D>) {
                self.broadcast_assign(BinaryOp::$op, v);
            }
        }
    )*};
}

binary_ops! {
    Add add AddAssign add_assign Add;
    Sub sub SubAssign sub_assign Sub;
    Mul mul MulAssign mul_assign Mul;
    Div div DivAssign div_assign Div;
}

impl<S: Shape, E: Element, D: Device> Neg for Tensor<S, E, D> {
    type Output = Tensor<S, E, D>;
    /// In place: multiplying by -1 flips the sign exactly as negation does.
    #[inline]
    fn neg(mut self) -> Self {
        self.device
            .scalar_assign(BinaryOp::Mul, &mut self.data, -E::one());
        self
    }
}

impl<S: Shape, E: Element, D: Device> Neg for &Tensor<S, E, D> {
    type Output = Tensor<S, E, D>;
    #[inline]
    fn neg(self) -> Tensor<S, E, D> {
        self.unary(UnaryOp::Neg)
    }
}

impl<R: Dim, C: Dim, E: Element, D: Device> Tensor<(R, C), E, D> {
    /// `self[i, j] = self[i, j] op v[i]`, in place: the broadcast of
    /// [`broadcast`](Self::broadcast) without a new buffer (`m += &b`).
    #[inline]
    #[track_caller]
    pub fn broadcast_assign(&mut self, op: BinaryOp, v: &Tensor<(R,), E, D>) {
        if self.shape.0 != v.shape.0 {
            shape_mismatch(op.symbol(), self.shape.describe(), v.shape.describe());
        }
        let rows = self.shape.0.size();
        self.device
            .broadcast_assign(op, &mut self.data, rows, &v.data);
    }

    /// `self[i, j] op v[i]`: the vector `v` broadcast over the columns (the
    /// batch axis), the `.+ b` of `W*x .+ b`.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let m = Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]);
    /// let b = Tensor::from_array([10.0, 20.0]);
    /// assert_eq!((&m + &b).to_vec(), vec![11.0, 23.0, 12.0, 24.0]);
    /// ```
    #[inline]
    #[track_caller]
    pub fn broadcast(&self, op: BinaryOp, v: &Tensor<(R,), E, D>) -> Self {
        if self.shape.0 != v.shape.0 {
            shape_mismatch(op.symbol(), self.shape.describe(), v.shape.describe());
        }
        Tensor::from_parts(
            self.shape,
            self.device
                .broadcast(op, &self.data, self.shape.0.size(), &v.data),
            self.device.clone(),
        )
    }
}
