//! Elementwise arithmetic, scalar arithmetic and broadcasting over the batch.

use crate::device::{BinaryOp, Kernels, UnaryOp};
use crate::dims::Dim;
use crate::element::Element;
use crate::shape::{Shape, assert_same, shape_mismatch};
use crate::tensor::Tensor;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

impl<S: Shape, E: Element, D: Kernels<E>> Tensor<S, E, D> {
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

    /// Adam's moments and change: this gradient is replaced by the change
    /// its parameters take (they become `p − self`), and the moments `m`
    /// and `v` advance, all in place (see
    /// [`Kernels::adam`]); one pass on the CPU
    /// devices and the GPU.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_core::AdamStep;
    ///
    /// let mut g = Vector::<2, f64>::from_array([0.5, 0.0]);
    /// let (mut m, mut v) = (Vector::zeros(), Vector::zeros());
    /// // The first step of Adam(0.1): the corrections undo the moments' decay.
    /// let h = AdamStep {
    ///     beta1: 0.9, one_minus_beta1: 0.1, beta2: 0.999, one_minus_beta2: 0.001,
    ///     inv_correction2: 1.0 / 0.001, epsilon: 1e-8, step: 0.1 / 0.1,
    /// };
    /// g.adam(&mut m, &mut v, h);
    /// assert!((g[0] - 0.1).abs() < 1e-6); // η·sign(g) at first
    /// assert_eq!(g[1], 0.0);
    /// ```
    #[inline]
    #[track_caller]
    pub fn adam(&mut self, m: &mut Self, v: &mut Self, h: crate::AdamStep<E>) {
        assert_same("adam", &self.shape, &m.shape);
        assert_same("adam", &self.shape, &v.shape);
        self.device
            .adam(&mut self.data, &mut m.data, &mut v.data, h);
    }

    /// `op(self)` elementwise, in place.
    #[inline]
    pub fn unary_assign(&mut self, op: UnaryOp) {
        self.device.unary_assign(op, &mut self.data);
    }

    /// `op(self)` and its derivative `op'(self)`, elementwise, in one pass.
    ///
    /// ```
    /// use typeflux_core::{UnaryOp, prelude::*};
    ///
    /// let x = Vector::<2, f64>::from_array([0.0, 2.0]);
    /// let (y, dy) = x.unary_slope(UnaryOp::Square);
    /// assert_eq!((y.to_vec(), dy.to_vec()), (vec![0.0, 4.0], vec![0.0, 4.0]));
    /// ```
    #[inline]
    pub fn unary_slope(&self, op: UnaryOp) -> (Self, Self) {
        let (values, slopes) = self.device.unary_slope(op, &self.data);
        (
            Tensor::from_parts(self.shape, values, self.device.clone()),
            Tensor::from_parts(self.shape, slopes, self.device.clone()),
        )
    }

    /// `self = op(self)` elementwise, returning the derivative `op'` at the
    /// former values: an activation applied in place, with its slopes.
    #[inline]
    pub fn unary_slope_assign(&mut self, op: UnaryOp) -> Self {
        let slopes = self.device.unary_slope_assign(op, &mut self.data);
        Tensor::from_parts(self.shape, slopes, self.device.clone())
    }

    /// `-Σ y · logsoftmax(x)` over each column of the logits `self` against
    /// the targets `y`, summed over the columns and times `scale`, and its
    /// gradient in `self`: per column `scale · (softmax(x) · Σ y - y)`.
    /// Terms whose target is 0 are left out, so the loss is finite for
    /// every finite logit.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    ///
    /// let x = Vector::<2, f64>::from_array([0.0, 0.0]);
    /// let y = Vector::<2, f64>::from_array([1.0, 0.0]);
    /// let (loss, grad) = x.logit_cross_entropy(&y, 1.0);
    /// assert_eq!(loss, 2f64.ln());
    /// assert_eq!(grad.to_vec(), vec![-0.5, 0.5]);
    /// ```
    #[inline]
    #[track_caller]
    pub fn logit_cross_entropy(&self, y: &Self, scale: E) -> (E, Self) {
        assert_same("logit cross-entropy", &self.shape, &y.shape);
        let rows = self.shape.dims()[0];
        let (loss, grad) = self
            .device
            .logit_cross_entropy(&self.data, &y.data, rows, scale);
        (
            loss,
            Tensor::from_parts(self.shape, grad, self.device.clone()),
        )
    }
}

/// One method per line of the table of elementwise operations
/// ([`unary_ops!`](crate::unary_ops)): `x.exp()`, `x.tanh()`, `x.sigmoid()`, ...
macro_rules! elementwise_methods {
    ($(#[$ndoc:meta])* Neg neg $NT:ident |$nx:ident| $nvalue:expr;
     $($(#[$doc:meta])* $Op:ident $name:ident $T:ident |$x:ident| $value:expr;)*) => {
        /// Elementwise operations, one per line of the table in
        /// [`unary_ops!`](crate::unary_ops).
        impl<S: Shape, E: Element, D: Kernels<E>> Tensor<S, E, D> {
            $(
                $(#[$doc])*
                #[doc = ""]
                #[doc = concat!("Elementwise; the kernel's `UnaryOp::", stringify!($Op), "`.")]
                #[inline]
                pub fn $name(&self) -> Self {
                    self.unary(UnaryOp::$Op)
                }
            )*
        }
    };
}

crate::unary_ops!(elementwise_methods);

macro_rules! binary_ops {
    ($($Trait:ident $method:ident $Assign:ident $assign:ident $op:ident;)*) => {$(
        impl<S: Shape, E: Element, D: Kernels<E>> $Trait<&Tensor<S, E, D>> for &Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: &Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.binary(BinaryOp::$op, rhs)
            }
        }

        impl<S: Shape, E: Element, D: Kernels<E>> $Trait<Tensor<S, E, D>> for Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            #[track_caller]
            fn $method(mut self, rhs: Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.binary_assign(BinaryOp::$op, &rhs);
                self
            }
        }

        impl<S: Shape, E: Element, D: Kernels<E>> $Trait<&Tensor<S, E, D>> for Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            #[track_caller]
            fn $method(mut self, rhs: &Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.binary_assign(BinaryOp::$op, rhs);
                self
            }
        }

        impl<S: Shape, E: Element, D: Kernels<E>> $Trait<Tensor<S, E, D>> for &Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.binary(BinaryOp::$op, &rhs)
            }
        }

        impl<S: Shape, E: Element, D: Kernels<E>> $Assign<&Tensor<S, E, D>> for Tensor<S, E, D> {
            #[inline]
            #[track_caller]
            fn $assign(&mut self, rhs: &Tensor<S, E, D>) {
                self.binary_assign(BinaryOp::$op, rhs);
            }
        }

        impl<S: Shape, E: Element, D: Kernels<E>> $Assign<Tensor<S, E, D>> for Tensor<S, E, D> {
            #[inline]
            #[track_caller]
            fn $assign(&mut self, rhs: Tensor<S, E, D>) {
                self.binary_assign(BinaryOp::$op, &rhs);
            }
        }

        impl<S: Shape, E: Element, D: Kernels<E>> $Trait<E> for &Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            fn $method(self, s: E) -> Tensor<S, E, D> {
                self.scalar_op(BinaryOp::$op, s)
            }
        }

        impl<S: Shape, E: Element, D: Kernels<E>> $Trait<E> for Tensor<S, E, D> {
            type Output = Tensor<S, E, D>;
            #[inline]
            fn $method(mut self, s: E) -> Tensor<S, E, D> {
                self.device.scalar_assign(BinaryOp::$op, &mut self.data, s);
                self
            }
        }

        impl<S: Shape, E: Element, D: Kernels<E>> $Assign<E> for Tensor<S, E, D> {
            #[inline]
            fn $assign(&mut self, s: E) {
                self.device.scalar_assign(BinaryOp::$op, &mut self.data, s);
            }
        }

        impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> $Trait<&Tensor<(R,), E, D>>
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

        impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> $Trait<&Tensor<(R,), E, D>>
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

        impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> $Trait<Tensor<(R,), E, D>>
            for Tensor<(R, C), E, D>
        {
            type Output = Tensor<(R, C), E, D>;
            /// Broadcasts the vector over the columns (the batch), in place.
            #[inline]
            #[track_caller]
            fn $method(mut self, v: Tensor<(R,), E, D>) -> Tensor<(R, C), E, D> {
                self.broadcast_assign(BinaryOp::$op, &v);
                self
            }
        }

        impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> $Assign<&Tensor<(R,), E, D>>
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

impl<S: Shape, E: Element, D: Kernels<E>> Neg for Tensor<S, E, D> {
    type Output = Tensor<S, E, D>;
    /// In place: multiplying by -1 flips the sign exactly as negation does.
    #[inline]
    fn neg(mut self) -> Self {
        self.device
            .scalar_assign(BinaryOp::Mul, &mut self.data, -E::one());
        self
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> Neg for &Tensor<S, E, D> {
    type Output = Tensor<S, E, D>;
    #[inline]
    fn neg(self) -> Tensor<S, E, D> {
        self.unary(UnaryOp::Neg)
    }
}

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> Tensor<(R, C), E, D> {
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
