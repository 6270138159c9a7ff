//! Shape rules: broadcasting, transpose, reshape, flatten, concatenation and
//! the batch view.
//!
//! None of these changes a value, only where it sits, so each pullback puts
//! the cotangent back where the value came from: a transpose transposes it
//! back, a reshape reshapes it back, a concatenation splits it, and a
//! broadcast (one value repeated over many places) sums the cotangents of all
//! the places.

use super::on_host;
use crate::reverse::pullback::{Both, Pullback};
use core::marker::PhantomData;
use core::ops::Neg;
use typeflux_core::ops::{AddsUpTo, Features, Flattened, ReshapeTo};
use typeflux_core::{BinaryOp, Const, ConstDim, ConstShape, Dim, Element, Kernels, Shape, Tensor};

/// `Self op Rhs` elementwise, with `Rhs` repeated over the axes of `Self`
/// that it lacks: a tensor with a tensor of the same shape, a matrix with a
/// vector repeated over its columns (the `.+ b` of `W*x .+ b`), a tensor with
/// a scalar tensor repeated everywhere.
///
/// The result has the shape of `Self`, so the pullback toward `Self` needs no
/// reduction; the pullback toward `Rhs` is [`unbroadcast`](Self::unbroadcast),
/// the sum of the cotangent over the repeated axes (Zygote's `unbroadcast`).
///
/// ```
/// use typeflux_ad::reverse::rules::shape::Broadcast;
/// use typeflux_core::{BinaryOp, prelude::*};
///
/// let m: Matrix<2, 3> = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
/// let b: Vector<2> = Tensor::from_array([10.0, 20.0]);
/// let y = m.combine(BinaryOp::Add, &b);
/// assert_eq!(y, &m + &b);
/// // Each element of `b` was used in 3 columns: its cotangent is their sum.
/// let db = <Matrix<2, 3> as Broadcast<Vector<2>>>::unbroadcast(y);
/// assert_eq!(db.to_vec(), vec![36.0, 75.0]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Rhs}` cannot be broadcast to `{Self}`",
    label = "no elementwise operation between these shapes",
    note = "the right operand must have the left one's shape, its feature size (a vector \
            repeated over the columns), or no axes at all (a scalar tensor)"
)]
pub trait Broadcast<Rhs>: Sized {
    /// `self op rhs`, `rhs` repeated to the shape of `self`.
    fn combine(&self, op: BinaryOp, rhs: &Rhs) -> Self;

    /// `self op rhs`, reusing the buffer of `self` where the shapes allow.
    fn combine_into(self, op: BinaryOp, rhs: &Rhs) -> Self;

    /// The pullback of the repetition: `dy` summed over the repeated axes.
    fn unbroadcast(dy: Self) -> Rhs;

    /// The same from a borrowed cotangent; by default from a clone of it.
    #[inline]
    fn unbroadcast_ref(dy: &Self) -> Rhs
    where
        Self: Clone,
    {
        Self::unbroadcast(dy.clone())
    }

    /// `-unbroadcast(dy)` from a borrowed cotangent: the pullback of `a - b`
    /// toward `b`.
    #[inline]
    fn unbroadcast_neg(dy: &Self) -> Rhs
    where
        Self: Clone,
        Rhs: Neg<Output = Rhs>,
    {
        -Self::unbroadcast_ref(dy)
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> Broadcast<Tensor<S, E, D>> for Tensor<S, E, D> {
    #[inline]
    #[track_caller]
    fn combine(&self, op: BinaryOp, rhs: &Self) -> Self {
        self.binary(op, rhs)
    }

    #[inline]
    #[track_caller]
    fn combine_into(mut self, op: BinaryOp, rhs: &Self) -> Self {
        self.binary_assign(op, rhs);
        self
    }

    #[inline(always)]
    fn unbroadcast(dy: Self) -> Self {
        dy
    }

    /// `-dy` in one pass, not a copy negated in place.
    #[inline]
    fn unbroadcast_neg(dy: &Self) -> Self {
        -dy
    }
}

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> Broadcast<Tensor<(R,), E, D>>
    for Tensor<(R, C), E, D>
{
    #[inline]
    #[track_caller]
    fn combine(&self, op: BinaryOp, rhs: &Tensor<(R,), E, D>) -> Self {
        self.broadcast(op, rhs)
    }

    #[inline]
    #[track_caller]
    fn combine_into(self, op: BinaryOp, rhs: &Tensor<(R,), E, D>) -> Self {
        self.broadcast(op, rhs)
    }

    /// `b̄ᵢ = Σⱼ ȳᵢⱼ`: the sum over the batch.
    #[inline]
    fn unbroadcast(dy: Self) -> Tensor<(R,), E, D> {
        dy.sum_along::<1>()
    }

    #[inline]
    fn unbroadcast_ref(dy: &Self) -> Tensor<(R,), E, D> {
        dy.sum_along::<1>()
    }
}

/// A scalar tensor repeated over every element: the device's broadcast of a
/// one-element vector over a `1 × len` matrix.
macro_rules! scalar_broadcast {
    ($($dims:ident),+) => {
        impl<$($dims: Dim,)+ E: Element, D: Kernels<E>> Broadcast<Tensor<(), E, D>>
            for Tensor<($($dims,)+), E, D>
        {
            #[inline]
            fn combine(&self, op: BinaryOp, rhs: &Tensor<(), E, D>) -> Self {
                let data = self.device().broadcast(op, self.buffer(), 1, rhs.buffer());
                Tensor::from_parts(self.shape(), data, self.device().clone())
            }

            #[inline]
            fn combine_into(self, op: BinaryOp, rhs: &Tensor<(), E, D>) -> Self {
                self.combine(op, rhs)
            }

            /// `s̄ = Σ ȳ`, summed on the device.
            #[inline]
            fn unbroadcast(dy: Self) -> Tensor<(), E, D> {
                Self::unbroadcast_ref(&dy)
            }

            #[inline]
            fn unbroadcast_ref(dy: &Self) -> Tensor<(), E, D> {
                let data = dy.device().sum_axis(dy.buffer(), dy.len(), 1, 0);
                Tensor::from_parts((), data, dy.device().clone())
            }
        }
    };
}

scalar_broadcast!(D0);
scalar_broadcast!(D0, D1);

/// `y = xᵀ`; the pullback transposes back: `x̄ = ȳᵀ`.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::shape};
/// use typeflux_core::prelude::*;
///
/// let (y, back) = shape::transpose(Tensor::from_array([[1.0, 2.0, 3.0]]));
/// assert_eq!(y.shape(), (Const::<3>, Const::<1>));
/// assert_eq!(back.pullback(y.clone()), y.transpose());
/// ```
#[inline]
pub fn transpose<R: Dim, C: Dim, E: Element, D: Kernels<E>>(
    x: Tensor<(R, C), E, D>,
) -> (Tensor<(C, R), E, D>, TransposePullback) {
    (x.transpose(), TransposePullback)
}

/// The pullback of [`transpose`]: `x̄ = ȳᵀ`. Keeps nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransposePullback;

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(C, R), E, D>>
    for TransposePullback
{
    type Grads = Tensor<(R, C), E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<(C, R), E, D>) -> Tensor<(R, C), E, D> {
        dy.transpose()
    }
}

/// `y = reshape(x)`, the same column-major elements under the static shape
/// `S2`; the pullback reshapes back. Neither direction copies.
#[inline]
pub fn reshape<S: ConstShape + ReshapeTo<S2>, S2: ConstShape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Tensor<S2, E, D>, ReshapePullback<S>) {
    (x.reshape(), ReshapePullback(PhantomData))
}

/// `y = flatten(x)`: all elements as one vector of `N`; the pullback reshapes
/// back.
#[inline]
pub fn flatten<S: ConstShape + ReshapeTo<(Const<N>,)>, const N: usize, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Tensor<(Const<N>,), E, D>, ReshapePullback<S>)
where
    (Const<N>,): ConstShape,
{
    reshape(x)
}

/// `y = flatten(x)` for a batch of images: each sample's `W·H·C` elements
/// as one column of features; the pullback puts the cotangent back in the
/// image shape.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::shape};
/// use typeflux_core::prelude::*;
///
/// let x = Tensor::<(Const<2>, Const<2>, Const<3>, usize)>::from_fn((Const, Const, Const, 2), |[i, j]| (i + 12 * j) as f32);
/// let (y, back) = shape::flatten_features(x.clone());
/// let y: Batch<12> = y;
/// assert_eq!(y.to_vec(), x.to_vec());
/// assert_eq!(back.pullback(y), x);
/// ```
#[allow(clippy::type_complexity)]
#[inline]
pub fn flatten_features<W: ConstDim, H: ConstDim, C: ConstDim, E: Element, D: Kernels<E>>(
    x: Tensor<(W, H, C, usize), E, D>,
) -> (
    Tensor<Flattened<W, H, C, usize>, E, D>,
    UnflattenPullback<(W, H, C, usize)>,
)
where
    (W, H, C): Features,
{
    (x.flatten_features(), UnflattenPullback(PhantomData))
}

/// The pullback of [`flatten_features`]: the cotangent in the shape `S` of
/// the images.
#[derive(Debug)]
pub struct UnflattenPullback<S>(PhantomData<fn() -> S>);

impl<S> Clone for UnflattenPullback<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for UnflattenPullback<S> {}

impl<W: ConstDim, H: ConstDim, C: ConstDim, E: Element, D: Kernels<E>>
    Pullback<Tensor<Flattened<W, H, C, usize>, E, D>> for UnflattenPullback<(W, H, C, usize)>
where
    (W, H, C): Features,
{
    type Grads = Tensor<(W, H, C, usize), E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<Flattened<W, H, C, usize>, E, D>) -> Self::Grads {
        dy.unflatten()
    }
}

/// The pullback of [`reshape`] and [`flatten`]: `x̄ = reshape(ȳ)` back to the
/// shape `S`. Keeps nothing.
#[derive(Debug)]
pub struct ReshapePullback<S>(PhantomData<fn() -> S>);

impl<S> Clone for ReshapePullback<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for ReshapePullback<S> {}

impl<S: ConstShape, S2: ConstShape + ReshapeTo<S>, E: Element, D: Kernels<E>>
    Pullback<Tensor<S2, E, D>> for ReshapePullback<S>
{
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<S2, E, D>) -> Tensor<S, E, D> {
        dy.reshape()
    }
}

/// The pullback of [`concat()`] and [`concat_vectors`] toward both operands.
pub type ConcatPullback<const A: usize, const B: usize> = Both<ConcatLhs<A>, ConcatRhs<A, B>>;

/// `y = [a; b]`: `A` features over `B` features for every column, with
/// `N = A + B` proven by the type checker; the pullback splits the
/// cotangent's rows: `ā = ȳ[..A]`, `b̄ = ȳ[A..]`.
///
/// The split runs through host memory (the device has no slicing kernel).
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::shape};
/// use typeflux_core::prelude::*;
///
/// let a: Matrix<1, 2> = Tensor::from_array([[1.0, 2.0]]);
/// let b: Matrix<2, 2> = Tensor::from_array([[3.0, 4.0], [5.0, 6.0]]);
/// let (y, back) = shape::concat::<1, 2, 3, _, _, _>(a.clone(), b.clone());
/// assert_eq!(y, a.concat::<2, 3>(&b));
/// assert_eq!(back.pullback(y), (a, b));
/// ```
///
/// ```compile_fail
/// use typeflux_ad::reverse::rules::shape;
/// use typeflux_core::prelude::*;
///
/// // 1 + 2 features do not make 4.
/// let (y, _) = shape::concat::<1, 2, 4, _, _, _>(Matrix::<1, 2>::ones(), Matrix::<2, 2>::ones());
/// ```
#[inline]
#[track_caller]
pub fn concat<const A: usize, const B: usize, const N: usize, C: Dim, E: Element, D: Kernels<E>>(
    a: Tensor<(Const<A>, C), E, D>,
    b: Tensor<(Const<B>, C), E, D>,
) -> (Tensor<(Const<N>, C), E, D>, ConcatPullback<A, B>)
where
    Const<A>: AddsUpTo<Const<B>, Const<N>>,
{
    (a.concat(&b), Both(ConcatLhs, ConcatRhs))
}

/// `y = [a; b]` for vectors of `A` and `B` elements, `N = A + B`; the pullback
/// splits the cotangent (through host memory).
#[inline]
pub fn concat_vectors<const A: usize, const B: usize, const N: usize, E: Element, D: Kernels<E>>(
    a: Tensor<(Const<A>,), E, D>,
    b: Tensor<(Const<B>,), E, D>,
) -> (Tensor<(Const<N>,), E, D>, ConcatPullback<A, B>)
where
    Const<A>: AddsUpTo<Const<B>, Const<N>>,
{
    (a.concat(&b), Both(ConcatLhs, ConcatRhs))
}

/// The pullback of a concatenation toward its first operand: the first `A`
/// rows of the cotangent. Keeps nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConcatLhs<const A: usize>;

/// The pullback of a concatenation toward its second operand: the `B` rows
/// after the first `A`. Keeps nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConcatRhs<const A: usize, const B: usize>;

/// Rows `start..start + count` of every column of a `rows × cols` cotangent.
fn rows_of<S: Shape, S2: Shape, E: Element, D: Kernels<E>>(
    dy: &Tensor<S, E, D>,
    shape: S2,
    start: usize,
    count: usize,
) -> Tensor<S2, E, D> {
    let rows = dy.shape().dims()[0];
    on_host(dy, shape, |host| {
        host.chunks_exact(rows.max(1))
            .flat_map(|col| col[start..start + count].iter().copied())
            .collect()
    })
}

impl<const A: usize, const N: usize, C: Dim, E: Element, D: Kernels<E>>
    Pullback<Tensor<(Const<N>, C), E, D>> for ConcatLhs<A>
{
    type Grads = Tensor<(Const<A>, C), E, D>;

    fn pullback(self, dy: Tensor<(Const<N>, C), E, D>) -> Self::Grads {
        rows_of(&dy, (Const, dy.shape().1), 0, A)
    }
}

impl<const A: usize, const B: usize, const N: usize, C: Dim, E: Element, D: Kernels<E>>
    Pullback<Tensor<(Const<N>, C), E, D>> for ConcatRhs<A, B>
{
    type Grads = Tensor<(Const<B>, C), E, D>;

    fn pullback(self, dy: Tensor<(Const<N>, C), E, D>) -> Self::Grads {
        rows_of(&dy, (Const, dy.shape().1), A, B)
    }
}

impl<const A: usize, const N: usize, E: Element, D: Kernels<E>> Pullback<Tensor<(Const<N>,), E, D>>
    for ConcatLhs<A>
{
    type Grads = Tensor<(Const<A>,), E, D>;

    fn pullback(self, dy: Tensor<(Const<N>,), E, D>) -> Self::Grads {
        rows_of(&dy, (Const,), 0, A)
    }
}

impl<const A: usize, const B: usize, const N: usize, E: Element, D: Kernels<E>>
    Pullback<Tensor<(Const<N>,), E, D>> for ConcatRhs<A, B>
{
    type Grads = Tensor<(Const<B>,), E, D>;

    fn pullback(self, dy: Tensor<(Const<N>,), E, D>) -> Self::Grads {
        rows_of(&dy, (Const,), A, B)
    }
}

/// `y = x` seen as a batch: the column count becomes a runtime `usize`; the
/// pullback gives the cotangent its static column count back.
#[inline]
pub fn into_batch<R: Dim, C: Dim, E: Element, D: Kernels<E>>(
    x: Tensor<(R, C), E, D>,
) -> (Tensor<(R, usize), E, D>, IntoBatchPullback<C>) {
    let cols = x.shape().1;
    (x.into_batch(), IntoBatchPullback(cols))
}

/// `y = x` as a batch of one column; the pullback takes the column back.
#[inline]
pub fn vector_into_batch<R: Dim, E: Element, D: Kernels<E>>(
    x: Tensor<(R,), E, D>,
) -> (Tensor<(R, usize), E, D>, VectorIntoBatchPullback) {
    (x.into_batch(), VectorIntoBatchPullback)
}

/// The pullback of [`into_batch`]: the cotangent under the static column
/// count `C` it had. It copies the buffer once, as core tensors give no way
/// to move a buffer out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntoBatchPullback<C>(C);

/// The pullback of [`vector_into_batch`]: the one column of the cotangent as
/// a vector (one copy of the buffer, as for [`IntoBatchPullback`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VectorIntoBatchPullback;

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(R, usize), E, D>>
    for IntoBatchPullback<C>
{
    type Grads = Tensor<(R, C), E, D>;

    #[track_caller]
    fn pullback(self, dy: Tensor<(R, usize), E, D>) -> Tensor<(R, C), E, D> {
        let (rows, cols) = dy.shape();
        assert_eq!(
            cols,
            self.0.size(),
            "into_batch pullback: the cotangent has {cols} columns, the value had {}",
            self.0.size()
        );
        let data = dy
            .device()
            .reshape::<(R, usize), (R, C), E>(dy.buffer().clone());
        Tensor::from_parts((rows, self.0), data, dy.device().clone())
    }
}

impl<R: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(R, usize), E, D>>
    for VectorIntoBatchPullback
{
    type Grads = Tensor<(R,), E, D>;

    #[track_caller]
    fn pullback(self, dy: Tensor<(R, usize), E, D>) -> Tensor<(R,), E, D> {
        let (rows, cols) = dy.shape();
        assert_eq!(
            cols, 1,
            "into_batch pullback: the cotangent has {cols} columns, the vector had 1"
        );
        let data = dy
            .device()
            .reshape::<(R, usize), (R,), E>(dy.buffer().clone());
        Tensor::from_parts((rows,), data, dy.device().clone())
    }
}
