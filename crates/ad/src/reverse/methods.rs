//! Methods of traced tensors, mirroring the core tensor methods: elementwise
//! functions, reductions, products and shape changes.
//!
//! Products take their right operand as anything [`IntoTraced`]: a traced
//! value, or a tensor (`t` moved, `&t` cloned) that counts as a constant.

// The signatures name every tensor with its shape and every pullback with its
// type parameters: that is the information a reader of a rule needs, and
// aliases per signature would only hide it.
#![allow(clippy::type_complexity)]

use super::lazy::{Lazy, Mean, Settle, Square, Sum};
use super::node::{Combine, Node};
use super::rules::matmul::{
    self as products, DotLhs, DotRhs, MatMulRule, MatMulTLhs, MatMulTRhs, OuterLhs, OuterRhs,
    TMatMulLhs, TMatMulRhs, VecMatLhs, VecMatRhs,
};
use super::rules::reduce::{
    self, MaxAlongPullback, MaxPullback, MeanAlongPullback, MeanPullback, Reduced,
    SumAlongPullback, SumPullback,
};
use super::rules::shape::{
    self, ConcatLhs, ConcatRhs, IntoBatchPullback, ReshapePullback, TransposePullback,
    VectorIntoBatchPullback,
};
use super::rules::unary::{
    self, AbsPullback, CosPullback, ExpPullback, LnPullback, MapPullback, SinPullback,
    SqrtPullback, TanhPullback, UnaryPullback,
};
use super::traced::{IntoTraced, Traced};
use num_dual::Dual;
use typeflux_core::ops::{AddsUpTo, ReshapeTo};
use typeflux_core::{
    Const, ConstShape, Cpu, Device, Dim, Element, ReduceAxis, Scalar, Shape, Tensor, UnaryOp,
};

/// A unary rule's result: the value `V`, and `B` (settled, for an input
/// `I`) extended by the pullback `P`.
type Next<I, V, B, P> = Traced<V, <<B as Settle<I>>::Settled as Node>::Then<P>>;

/// A binary rule's result: the value `W`, and the node joining `B` (settled,
/// for an input `I`) and `R`'s node under the halves `PL` and `PR`.
type Joined<I, W, B, R, PL, PR> =
    Traced<W, <<B as Settle<I>>::Settled as Combine<<R as IntoTraced>::Back>>::Join<PL, PR>>;

macro_rules! elementwise_methods {
    ($($(#[$doc:meta])* $f:ident $Pullback:ident;)*) => {$(
        $(#[$doc])*
        #[inline]
        pub fn $f(self) -> Next<Tensor<S, E, D>, Tensor<S, E, D>, B, $Pullback<S, E, D>> {
            self.apply(unary::$f)
        }
    )*};
}

impl<S: Shape, E: Element, D: Device, B: Settle<Tensor<S, E, D>, Settled: Node>>
    Traced<Tensor<S, E, D>, B>
{
    elementwise_methods! {
        /// `|x|`, elementwise (gradient 0 at 0).
        abs AbsPullback;
        /// `√x`, elementwise.
        sqrt SqrtPullback;
        /// `eˣ`, elementwise.
        exp ExpPullback;
        /// `ln x`, elementwise.
        ln LnPullback;
        /// `tanh x`, elementwise.
        tanh TanhPullback;
        /// `sin x`, elementwise.
        sin SinPullback;
        /// `cos x`, elementwise.
        cos CosPullback;
    }

    /// `op(x)`, elementwise, for an operation chosen at run time: one traced
    /// type for every `op`, so that the branches of an `if` agree.
    ///
    /// ```
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::{UnaryOp, prelude::*};
    ///
    /// let x: Vector<2> = Tensor::from_array([0.0, 1.0]);
    /// for smooth in [true, false] {
    ///     let g = gradient(
    ///         |x| {
    ///             let y = if smooth { x.unary(UnaryOp::Tanh) } else { x.unary(UnaryOp::Abs) };
    ///             y.sum()
    ///         },
    ///         &x,
    ///     );
    ///     let expected = if smooth { [1.0, 1.0 - 1f32.tanh().powi(2)] } else { [0.0, 1.0] };
    ///     assert_eq!(g.to_vec(), expected);
    /// }
    /// ```
    #[inline]
    pub fn unary(
        self,
        op: UnaryOp,
    ) -> Next<Tensor<S, E, D>, Tensor<S, E, D>, B, UnaryPullback<S, E, D>> {
        self.apply(|x| unary::unary(x, op))
    }

    /// `x²`, elementwise: the single-use form of `x * x`.
    ///
    /// The square is deferred (see [`Lazy`]): a following
    /// [`sum`](Self::sum) or [`mean`](Self::mean) computes `Σ x²` in one
    /// pass without storing `x²`, and any other use squares first. The
    /// backward pass is the same either way.
    ///
    /// ```
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::prelude::*;
    ///
    /// let (x, y): (Vector<2>, Vector<2>) = (Tensor::from_array([2.0, 1.0]), Tensor::from_array([2.0, 0.0]));
    /// // The seed's gradient((x, y) -> sum((x .- y).^2), x, y).
    /// let (dx, dy) = gradient(|(x, y)| (x - y).square().sum(), (&x, &y));
    /// assert_eq!((dx.to_vec(), dy.to_vec()), (vec![0.0, 2.0], vec![-0.0, -2.0]));
    /// // Used otherwise, the square is applied first.
    /// let dx = gradient(|x| (x.square() * 3.0).sum(), &x);
    /// assert_eq!(dx.to_vec(), vec![12.0, 6.0]);
    /// ```
    #[inline]
    pub fn square(self) -> Traced<Tensor<S, E, D>, Lazy<Square, B::Settled>> {
        let (x, back) = self.settle().into_raw();
        Traced::new(x, Lazy::new(back))
    }

    /// The sum of all elements, as a scalar tensor (of a fresh
    /// [`square`](Self::square): `Σ x²` in one pass).
    #[inline]
    pub fn sum(self) -> Next<Tensor<S, E, D>, Scalar<E, D>, B, SumPullback<S, D>> {
        let (x, back) = self.into_raw();
        let (s, back) = back.settle_reduce(x, Sum);
        Traced::new(s, back)
    }

    /// The mean of all elements, as a scalar tensor (of a fresh
    /// [`square`](Self::square): `Σ x² / n` in one pass).
    #[inline]
    pub fn mean(self) -> Next<Tensor<S, E, D>, Scalar<E, D>, B, MeanPullback<S, D>> {
        let (x, back) = self.into_raw();
        let (m, back) = back.settle_reduce(x, Mean);
        Traced::new(m, back)
    }

    /// The largest element, as a scalar tensor; its gradient goes to the
    /// first of equals.
    ///
    /// # Panics
    /// On an empty tensor.
    #[inline]
    #[track_caller]
    pub fn max(self) -> Next<Tensor<S, E, D>, Scalar<E, D>, B, MaxPullback<S, E, D>> {
        self.apply(reduce::max)
    }

    /// The sums along `AXIS`, which leaves the shape: `x.sum_along::<1>()` of
    /// a features × batch matrix sums over the batch.
    #[inline]
    pub fn sum_along<const AXIS: usize>(
        self,
    ) -> Next<Tensor<S, E, D>, Reduced<S, E, D, AXIS>, B, SumAlongPullback<AXIS, S, D>>
    where
        Tensor<S, E, D>: ReduceAxis<AXIS>,
    {
        self.apply(reduce::sum_along::<AXIS, S, E, D>)
    }

    /// The means along `AXIS`.
    #[inline]
    pub fn mean_along<const AXIS: usize>(
        self,
    ) -> Next<Tensor<S, E, D>, Reduced<S, E, D, AXIS>, B, MeanAlongPullback<AXIS, S, D>>
    where
        Tensor<S, E, D>: ReduceAxis<AXIS>,
    {
        self.apply(reduce::mean_along::<AXIS, S, E, D>)
    }

    /// The maxima along `AXIS`.
    #[inline]
    #[track_caller]
    pub fn max_along<const AXIS: usize>(
        self,
    ) -> Next<Tensor<S, E, D>, Reduced<S, E, D, AXIS>, B, MaxAlongPullback<AXIS, S, E, D>>
    where
        Tensor<S, E, D>: ReduceAxis<AXIS>,
    {
        self.apply(reduce::max_along::<AXIS, S, E, D>)
    }
}

impl<A, B> Traced<A, B> {
    /// The matrix product `self · rhs`, for a matrix or a vector `rhs`.
    ///
    /// ```
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::prelude::*;
    ///
    /// let w: Matrix<1, 2> = Tensor::from_array([[3.0, 4.0]]);
    /// let x: Vector<2> = Tensor::from_array([1.0, 2.0]);
    /// let dw = gradient(|w| w.matmul(&x).sum(), &w); // ∂(w·x)/∂w = xᵀ
    /// assert_eq!(dw, Tensor::from_array([[1.0, 2.0]]));
    /// ```
    #[inline]
    #[track_caller]
    pub fn matmul<R: IntoTraced>(
        self,
        rhs: R,
    ) -> Joined<
        A,
        A::Output,
        B,
        R,
        <A as MatMulRule<R::Value>>::Lhs,
        <A as MatMulRule<R::Value>>::Rhs,
    >
    where
        A: MatMulRule<R::Value>,
        B: Settle<A, Settled: Node>,
        B::Settled: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), A::matmul_rule)
    }
}

impl<M: Dim, K: Dim, E: Element, D: Device, B> Traced<Tensor<(M, K), E, D>, B> {
    /// `selfᵀ · rhs`, without forming the transpose.
    #[inline]
    #[track_caller]
    pub fn t_matmul<N: Dim, R: IntoTraced<Value = Tensor<(M, N), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<
        Tensor<(M, K), E, D>,
        Tensor<(K, N), E, D>,
        B,
        R,
        TMatMulLhs<M, N, E, D>,
        TMatMulRhs<M, K, E, D>,
    >
    where
        B: Settle<Tensor<(M, K), E, D>, Settled: Node>,
        B::Settled: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::t_matmul)
    }

    /// `self · rhsᵀ`, without forming the transpose.
    #[inline]
    #[track_caller]
    pub fn matmul_t<N: Dim, R: IntoTraced<Value = Tensor<(N, K), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<
        Tensor<(M, K), E, D>,
        Tensor<(M, N), E, D>,
        B,
        R,
        MatMulTLhs<N, K, E, D>,
        MatMulTRhs<M, K, E, D>,
    >
    where
        B: Settle<Tensor<(M, K), E, D>, Settled: Node>,
        B::Settled: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::matmul_t)
    }

    /// The transpose.
    #[inline]
    pub fn transpose(self) -> Next<Tensor<(M, K), E, D>, Tensor<(K, M), E, D>, B, TransposePullback>
    where
        B: Settle<Tensor<(M, K), E, D>, Settled: Node>,
    {
        self.apply(shape::transpose)
    }

    /// Short for [`transpose`](Self::transpose).
    #[inline]
    pub fn t(self) -> Next<Tensor<(M, K), E, D>, Tensor<(K, M), E, D>, B, TransposePullback>
    where
        B: Settle<Tensor<(M, K), E, D>, Settled: Node>,
    {
        self.transpose()
    }

    /// The same matrix with its column count as a runtime dim (a batch).
    #[inline]
    pub fn into_batch(
        self,
    ) -> Next<Tensor<(M, K), E, D>, Tensor<(M, usize), E, D>, B, IntoBatchPullback<K>>
    where
        B: Settle<Tensor<(M, K), E, D>, Settled: Node>,
    {
        self.apply(shape::into_batch)
    }
}

impl<M: Dim, E: Element, D: Device, B> Traced<Tensor<(M,), E, D>, B> {
    /// The outer product `self · rhsᵀ`.
    #[inline]
    pub fn outer<N: Dim, R: IntoTraced<Value = Tensor<(N,), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<Tensor<(M,), E, D>, Tensor<(M, N), E, D>, B, R, OuterLhs<N, E, D>, OuterRhs<M, E, D>>
    where
        B: Settle<Tensor<(M,), E, D>, Settled: Node>,
        B::Settled: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::outer)
    }

    /// `selfᵀ · rhs` for a matrix `rhs`, as a vector.
    #[inline]
    #[track_caller]
    pub fn vecmat<N: Dim, R: IntoTraced<Value = Tensor<(M, N), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<
        Tensor<(M,), E, D>,
        Tensor<(N,), E, D>,
        B,
        R,
        VecMatLhs<M, N, E, D>,
        VecMatRhs<M, E, D>,
    >
    where
        B: Settle<Tensor<(M,), E, D>, Settled: Node>,
        B::Settled: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::vecmat)
    }

    /// The dot product, as a scalar tensor.
    #[inline]
    #[track_caller]
    pub fn dot<R: IntoTraced<Value = Tensor<(M,), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<Tensor<(M,), E, D>, Tensor<(), E, D>, B, R, DotLhs<M, E, D>, DotRhs<M, E, D>>
    where
        B: Settle<Tensor<(M,), E, D>, Settled: Node>,
        B::Settled: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::dot)
    }

    /// The vector as a batch of one column.
    #[inline]
    pub fn into_batch(
        self,
    ) -> Next<Tensor<(M,), E, D>, Tensor<(M, usize), E, D>, B, VectorIntoBatchPullback>
    where
        B: Settle<Tensor<(M,), E, D>, Settled: Node>,
    {
        self.apply(shape::vector_into_batch)
    }
}

impl<S: ConstShape, E: Element, D: Device, B: Settle<Tensor<S, E, D>, Settled: Node>>
    Traced<Tensor<S, E, D>, B>
{
    /// The same elements under another static shape with the same count.
    #[inline]
    pub fn reshape<S2: ConstShape>(
        self,
    ) -> Next<Tensor<S, E, D>, Tensor<S2, E, D>, B, ReshapePullback<S>>
    where
        S: ReshapeTo<S2>,
    {
        self.apply(shape::reshape)
    }

    /// All elements as one vector of `N`, column by column.
    #[inline]
    pub fn flatten<const N: usize>(
        self,
    ) -> Next<Tensor<S, E, D>, Tensor<(Const<N>,), E, D>, B, ReshapePullback<S>>
    where
        S: ReshapeTo<(Const<N>,)>,
        (Const<N>,): ConstShape,
    {
        self.apply(shape::flatten)
    }
}

impl<const A: usize, C: Dim, E: Element, D: Device, B> Traced<Tensor<(Const<A>, C), E, D>, B> {
    /// Stacks `self` (`A` features) over `other` (`P` features) into
    /// `N = A + P` features, checked by the type checker.
    #[inline]
    #[track_caller]
    pub fn concat<const P: usize, const N: usize, R>(
        self,
        other: R,
    ) -> Joined<
        Tensor<(Const<A>, C), E, D>,
        Tensor<(Const<N>, C), E, D>,
        B,
        R,
        ConcatLhs<A>,
        ConcatRhs<A, P>,
    >
    where
        R: IntoTraced<Value = Tensor<(Const<P>, C), E, D>>,
        B: Settle<Tensor<(Const<A>, C), E, D>, Settled: Node>,
        B::Settled: Combine<R::Back>,
        Const<A>: AddsUpTo<Const<P>, Const<N>>,
    {
        self.apply2(other.into_traced(), shape::concat)
    }
}

impl<const A: usize, E: Element, D: Device, B> Traced<Tensor<(Const<A>,), E, D>, B> {
    /// Joins two vectors into one of `N = A + P` elements, checked by the type
    /// checker.
    #[inline]
    pub fn concat<const P: usize, const N: usize, R>(
        self,
        other: R,
    ) -> Joined<
        Tensor<(Const<A>,), E, D>,
        Tensor<(Const<N>,), E, D>,
        B,
        R,
        ConcatLhs<A>,
        ConcatRhs<A, P>,
    >
    where
        R: IntoTraced<Value = Tensor<(Const<P>,), E, D>>,
        B: Settle<Tensor<(Const<A>,), E, D>, Settled: Node>,
        B::Settled: Combine<R::Back>,
        Const<A>: AddsUpTo<Const<P>, Const<N>>,
    {
        self.apply2(other.into_traced(), shape::concat_vectors)
    }
}

impl<S: Shape, E: Element, B> Traced<Tensor<S, E, Cpu>, B> {
    /// `f(a, b)` for every pair of elements of `self` and `rhs` (CPU), `f`
    /// written for dual numbers.
    ///
    /// ```
    /// use typeflux_ad::DualNum;
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::prelude::*;
    ///
    /// let a: Vector<2, f64> = Tensor::from_array([1.0, 2.0]);
    /// let b: Vector<2, f64> = Tensor::from_array([3.0, 4.0]);
    /// let (da, db) = gradient(|(a, b)| a.zip_map(b, |x, y| x * y * y).sum(), (&a, &b));
    /// assert_eq!((da.to_vec(), db.to_vec()), (vec![9.0, 16.0], vec![6.0, 16.0]));
    /// ```
    #[inline]
    #[track_caller]
    pub fn zip_map<R: IntoTraced<Value = Tensor<S, E, Cpu>>>(
        self,
        rhs: R,
        f: impl Fn(Dual<E>, Dual<E>) -> Dual<E>,
    ) -> Joined<Tensor<S, E, Cpu>, Tensor<S, E, Cpu>, B, R, MapPullback<S, E>, MapPullback<S, E>>
    where
        B: Settle<Tensor<S, E, Cpu>, Settled: Node>,
        B::Settled: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), |a, b| unary::zip_map(a, b, f))
    }
}

impl<S: Shape, E: Element, B: Settle<Tensor<S, E, Cpu>, Settled: Node>>
    Traced<Tensor<S, E, Cpu>, B>
{
    /// `f` applied to every element (CPU), `f` written for dual numbers so
    /// that its derivative comes with its value.
    ///
    /// ```
    /// use typeflux_ad::DualNum;
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::prelude::*;
    ///
    /// let x: Vector<2, f64> = Tensor::from_array([1.0, 2.0]);
    /// let g = gradient(|x| x.map(|v| v.powi(3)).sum(), &x);
    /// assert_eq!(g.to_vec(), vec![3.0, 12.0]);
    /// ```
    #[inline]
    pub fn map(
        self,
        f: impl Fn(Dual<E>) -> Dual<E>,
    ) -> Next<Tensor<S, E, Cpu>, Tensor<S, E, Cpu>, B, MapPullback<S, E>> {
        self.apply(|x| unary::map(x, f))
    }
}
