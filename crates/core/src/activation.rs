//! Activations: what a layer applies to its output, with what its pullback
//! needs.
//!
//! Every elementwise operation of the [table](crate::elementwise) is an
//! activation (`Tanh`, `Sigmoid`, `Relu`, ...), and so are [`Identity`],
//! which costs nothing, and [`Softmax`] and [`LogSoftmax`], which act on each
//! column (each sample of a batch) as a whole. typeflux-nn gives them Flux's
//! lowercase names (`sigmoid`, `softmax`); typeflux-ad's layer rules apply
//! them fused with the product that precedes them.
//!
//! ```
//! use typeflux_core::activation::{Activation, Softmax};
//! use typeflux_core::elementwise::Tanh;
//! use typeflux_core::prelude::*;
//!
//! let mut z = Vector::<3>::from_array([0.0, 1.0, -1.0]);
//! let slopes = Tanh.activate(&mut z, true).unwrap();
//! assert_eq!(z, Vector::<3>::from_array([0.0, 1f32.tanh(), -1f32.tanh()]));
//! assert_eq!(slopes[0], 1.0);
//!
//! let mut p = Vector::<3>::from_array([1.0e4, 0.0, -1.0e4]);
//! Softmax.activate(&mut p, false);
//! assert_eq!(p.to_vec(), vec![1.0, 0.0, 0.0]);
//! ```

use crate::device::Kernels;
use crate::device::UnaryOp;
use crate::element::Element;
use crate::elementwise::Elementwise;
use crate::shape::Shape;
use crate::tensor::Tensor;
use core::fmt::Debug;

/// A function applied to a layer's output, in place, keeping what its
/// pullback needs when asked to.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an activation",
    label = "expected an activation such as `identity`, `sigmoid`, `relu` or `softmax`",
    note = "an elementwise operation of typeflux's table (`Tanh`, `Sigmoid`, ...) is an activation, \
            and so are `Identity`, `Softmax` and `LogSoftmax`"
)]
pub trait Activation: Copy + Default + Send + Sync + Debug + 'static {
    /// Applies the activation to `z` in place. With `keep`, returns what
    /// [`pullback`](Self::pullback) needs (the slopes of an elementwise
    /// activation, the output of a softmax); `None` when nothing is needed.
    fn activate<S: Shape, E: Element, D: Kernels<E>>(
        self,
        z: &mut Tensor<S, E, D>,
        keep: bool,
    ) -> Option<Tensor<S, E, D>>;

    /// The cotangent of the input from the cotangent `dy` of the output and
    /// what [`activate`](Self::activate) kept.
    fn pullback<S: Shape, E: Element, D: Kernels<E>>(
        self,
        kept: Option<Tensor<S, E, D>>,
        dy: Tensor<S, E, D>,
    ) -> Tensor<S, E, D>;

    /// What the activation computes, for a device that builds it into a
    /// kernel of its own (a GPU's fused chain of layers): an operation of
    /// the table, nothing, or something else (the default).
    ///
    /// ```
    /// use typeflux_core::activation::{Activation, ActivationKind, Identity, Softmax};
    /// use typeflux_core::elementwise::Tanh;
    /// use typeflux_core::UnaryOp;
    ///
    /// assert_eq!(Tanh.kind(), ActivationKind::Table(UnaryOp::Tanh));
    /// assert_eq!(Identity.kind(), ActivationKind::Identity);
    /// assert_eq!(Softmax.kind(), ActivationKind::Other);
    /// ```
    #[inline(always)]
    fn kind(self) -> ActivationKind {
        ActivationKind::Other
    }
}

/// What an [`Activation`] computes, as [`Activation::kind`] says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActivationKind {
    /// Nothing: the output is the input.
    Identity,
    /// An operation of the elementwise table, on each element.
    Table(UnaryOp),
    /// Anything else (a softmax over each column, an activation of a user's).
    Other,
}

impl<F: Elementwise> Activation for F {
    #[inline]
    fn activate<S: Shape, E: Element, D: Kernels<E>>(
        self,
        z: &mut Tensor<S, E, D>,
        keep: bool,
    ) -> Option<Tensor<S, E, D>> {
        if keep {
            Some(z.unary_slope_assign(F::OP))
        } else {
            z.unary_assign(F::OP);
            None
        }
    }

    /// `dy ⊙ f'(x)`, in `dy`'s buffer.
    #[inline]
    #[track_caller]
    fn pullback<S: Shape, E: Element, D: Kernels<E>>(
        self,
        kept: Option<Tensor<S, E, D>>,
        dy: Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        dy * kept.expect("an elementwise activation keeps its slopes for its pullback")
    }

    #[inline(always)]
    fn kind(self) -> ActivationKind {
        ActivationKind::Table(F::OP)
    }
}

/// `x`: no activation, Flux's `identity`. Costs nothing, forwards or
/// backwards, on every device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Identity;

impl Activation for Identity {
    #[inline(always)]
    fn activate<S: Shape, E: Element, D: Kernels<E>>(
        self,
        _: &mut Tensor<S, E, D>,
        _: bool,
    ) -> Option<Tensor<S, E, D>> {
        None
    }

    #[inline(always)]
    fn pullback<S: Shape, E: Element, D: Kernels<E>>(
        self,
        _: Option<Tensor<S, E, D>>,
        dy: Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        dy
    }

    #[inline(always)]
    fn kind(self) -> ActivationKind {
        ActivationKind::Identity
    }
}

/// `eˣ / Σ eˣ` over each column (the features of one sample), Flux's
/// `softmax`: each column of the result sums to 1. Computed with the
/// column's maximum subtracted, so no `exp` overflows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Softmax;

/// `x - ln Σ eˣ` over each column, Flux's `logsoftmax`: the logarithm of
/// [`Softmax`], without its rounding to 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LogSoftmax;

macro_rules! column_activation {
    ($($Type:ident $log:literal;)*) => {$(
        impl Activation for $Type {
            /// Keeps the output.
            #[inline]
            fn activate<S: Shape, E: Element, D: Kernels<E>>(
                self,
                z: &mut Tensor<S, E, D>,
                keep: bool,
            ) -> Option<Tensor<S, E, D>> {
                *z = z.softmax_columns($log);
                keep.then(|| z.clone())
            }

            #[inline]
            #[track_caller]
            fn pullback<S: Shape, E: Element, D: Kernels<E>>(
                self,
                kept: Option<Tensor<S, E, D>>,
                dy: Tensor<S, E, D>,
            ) -> Tensor<S, E, D> {
                let y = kept.expect("a softmax keeps its output for its pullback");
                y.softmax_columns_pullback(&dy, $log)
            }
        }
    )*};
}

column_activation! {
    Softmax false;
    LogSoftmax true;
}

impl<S: Shape, E: Element, D: Kernels<E>> Tensor<S, E, D> {
    /// Softmax of each column (of the vector, for a vector), or its
    /// logarithm when `log`.
    #[inline]
    pub fn softmax_columns(&self, log: bool) -> Self {
        let rows = self.shape().dims()[0];
        Tensor::from_parts(
            self.shape(),
            self.device().softmax(self.buffer(), rows, log),
            self.device().clone(),
        )
    }

    /// Softmax of each column: Flux's `softmax`.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    ///
    /// let p = Vector::<2>::from_array([0.0, 0.0]).softmax();
    /// assert_eq!(p.to_vec(), vec![0.5, 0.5]);
    /// ```
    #[inline]
    pub fn softmax(&self) -> Self {
        self.softmax_columns(false)
    }

    /// The logarithm of the softmax of each column: Flux's `logsoftmax`.
    #[inline]
    pub fn logsoftmax(&self) -> Self {
        self.softmax_columns(true)
    }

    /// The cotangent of a softmax's input (its logarithm's, when `log`)
    /// from its output `self` and the output's cotangent `dy`.
    #[inline]
    #[track_caller]
    pub fn softmax_columns_pullback(&self, dy: &Self, log: bool) -> Self {
        crate::shape::assert_same("softmax pullback", &self.shape(), &dy.shape());
        let rows = self.shape().dims()[0];
        Tensor::from_parts(
            self.shape(),
            self.device()
                .softmax_pullback(self.buffer(), dy.buffer(), rows, log),
            self.device().clone(),
        )
    }
}

/// An activation has no tensors: a walk stops at it, a device move and a
/// trace keep it as it is. It prints as the function Flux and typeflux-nn
/// call it (`tanh`, `softmax`).
macro_rules! parameter_free {
    ($($Type:ty => $name:expr),*) => {$(
        impl crate::functor::Leaf for $Type {}

        impl core::fmt::Display for $Type {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str($name)
            }
        }

        impl<D2: crate::Device> crate::ToDevice<D2> for $Type {
            type Output = $Type;

            #[inline(always)]
            fn to_device(&self, _: &D2) -> $Type {
                *self
            }
        }

        impl<E2> crate::ToElement<E2> for $Type {
            type Output = $Type;

            #[inline(always)]
            fn to_element(&self) -> $Type {
                *self
            }
        }

        impl<K, P> crate::functor::Trace<K, P> for $Type {
            type Traced = $Type;
            type Slots = ();
            type Grads = $Type;

            #[inline(always)]
            fn trace(self, _: &K) -> ($Type, ()) {
                (self, ())
            }

            #[inline(always)]
            fn grads((): ()) -> $Type {
                <$Type>::default()
            }
        }

        impl<K, P> crate::functor::TraceMut<'_, K, P> for $Type {
            type Traced = $Type;
            type Slots = ();
            type Grads = $Type;

            #[inline(always)]
            fn trace_mut(&mut self, _: &K) -> ($Type, ()) {
                (*self, ())
            }

            #[inline(always)]
            fn grads((): ()) -> $Type {
                <$Type>::default()
            }
        }
    )*};
}

parameter_free!(Identity => "identity", Softmax => "softmax", LogSoftmax => "logsoftmax");

macro_rules! parameter_free_ops {
    ($($(#[$doc:meta])* $Op:ident $name:ident $T:ident |$x:ident| $value:expr;)*) => {
        parameter_free!($(crate::elementwise::$Op => stringify!($name)),*);
    };
}

crate::unary_ops!(parameter_free_ops);
