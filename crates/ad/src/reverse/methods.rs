//! Methods of traced tensors, mirroring the core tensor methods: elementwise
//! functions, reductions, products and shape changes.
//!
//! Products take their right operand as anything [`IntoTraced`]: a traced
//! value, or a tensor (`t` moved, `&t` cloned) that counts as a constant.

// The signatures name every tensor with its shape and every pullback with its
// type parameters: that is the information a reader of a rule needs, and
// aliases per signature would only hide it.
#![allow(clippy::type_complexity)]

use super::node::{Backward, Combine, Hole, Node};
use super::rules;
use super::rules::activation::ActivationPullback;
use super::rules::conv::Images;
use super::rules::gather::{self, GatherPullback};
use super::rules::jet::{self, LiftPullback, PartPullback};
use super::rules::matmul::{
    self as products, DotLhs, DotRhs, MatMulRule, MatMulTLhs, MatMulTRhs, OuterLhs, OuterRhs,
    TMatMulLhs, TMatMulRhs, VecMatLhs, VecMatRhs,
};
use super::rules::pool::{self, PoolOut, PoolPullback};
use super::rules::reduce::{
    self, GradientPullback, MaxAlongPullback, MaxPullback, MeanAlongPullback, MeanPullback,
    Reduced, SquaresPullback, SumAlongPullback, SumPullback,
};
use super::rules::shape::{
    self, ConcatLhs, ConcatRhs, IntoBatchPullback, ReshapePullback, TransposePullback,
    UnflattenPullback, VectorIntoBatchPullback,
};
use super::rules::softmax::{self, SoftmaxPullback};
use super::rules::unary::{self, MapPullback, UnaryPullback};
use super::slots::WithHole;
use super::traced::{IntoTraced, Traced};
use num_dual::Dual;
use typeflux_core::activation::Activation;
use typeflux_core::ops::window::{Pool, Slide, Tiled};
use typeflux_core::ops::{AddsUpTo, Features, Flattened, ReshapeTo};
use typeflux_core::{
    Const, ConstDim, ConstShape, Cpu, Dim, Element, Host, Jet, Kernels, ReduceAxis, Scalar, Shape,
    Tensor, UnaryOp,
};

/// A unary rule's result: the value `V`, and `B` extended by the pullback
/// `P`.
type Next<V, B, P> = Traced<V, <B as Node>::Then<P>>;

/// A binary rule's result: the value `W`, and the node joining `B` and `R`'s
/// node under the halves `PL` and `PR`.
type Joined<W, B, R, PL, PR> = Traced<W, <B as Combine<<R as IntoTraced>::Back>>::Join<PL, PR>>;

/// One method per line of core's table of elementwise operations
/// ([`unary_ops!`](typeflux_core::unary_ops)), each through [`unary::unary`].
macro_rules! elementwise_methods {
    ($(#[$ndoc:meta])* Neg neg $NT:ident |$nx:ident| $nvalue:expr;
     $($(#[$doc:meta])* $Op:ident $name:ident $T:ident |$x:ident| $value:expr;)*) => {
        /// Elementwise operations, one per line of core's table: the value
        /// and its derivative in one pass, the derivative kept.
        impl<S: Shape, E: Element, D: Kernels<E>, B: Node> Traced<Tensor<S, E, D>, B> {
            $(
                $(#[$doc])*
                #[doc = ""]
                #[doc = "Elementwise; the pullback keeps the derivative."]
                #[inline]
                pub fn $name(self) -> Next<Tensor<S, E, D>, B, UnaryPullback<S, E, D>> {
                    self.apply(|x| unary::unary(x, UnaryOp::$Op))
                }
            )*
        }
    };
}

typeflux_core::unary_ops!(elementwise_methods);

/// Entering jet arithmetic: forward-mode derivatives inside reverse mode
/// (see [`rules::jet`]).
impl<S: Shape, E: Element, D: Host, B: Node> Traced<Tensor<S, E, D>, B> {
    /// Each element lifted to the jet `J`, its derivative parts zero; the
    /// gradient comes back through the lift. `cast` does this to every
    /// tensor of a traced model.
    #[inline]
    pub fn lift<J: Jet<Base = E>>(self) -> Next<Tensor<S, J, D>, B, LiftPullback<J>> {
        self.apply(jet::lift)
    }
}

/// Leaving jet arithmetic (see [`rules::jet`]).
impl<S: Shape, J: Jet, D: Host, B: Node> Traced<Tensor<S, J, D>, B> {
    /// Part `k` of each element: `0` the value, then the derivatives in
    /// num-dual's order (`Dual2`: value, first, second), as a tensor of
    /// the underlying float that reverse mode differentiates.
    ///
    /// # Panics
    /// If `k` is not below [`Jet::PARTS`].
    #[inline]
    pub fn part(self, k: usize) -> Next<Tensor<S, J::Base, D>, B, PartPullback<J>> {
        self.apply(|x| jet::part(x, k))
    }
}

impl<S: Shape, E: Element, D: Kernels<E>, B: Node> Traced<Tensor<S, E, D>, B> {
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
    pub fn unary(self, op: UnaryOp) -> Next<Tensor<S, E, D>, B, UnaryPullback<S, E, D>> {
        self.apply(|x| unary::unary(x, op))
    }

    /// The sum of all elements, as a scalar tensor.
    #[inline]
    pub fn sum(self) -> Next<Scalar<E, D>, B, SumPullback<S, D>> {
        self.apply(reduce::sum)
    }

    /// The mean of all elements, as a scalar tensor.
    #[inline]
    pub fn mean(self) -> Next<Scalar<E, D>, B, MeanPullback<S, D>> {
        self.apply(reduce::mean)
    }

    /// `Σ x²` in one pass that stores no `x²` (see
    /// [`reduce::sum_of_squares`]): `sum((x - y)²)` at the speed of memory.
    ///
    /// ```
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::prelude::*;
    ///
    /// let (x, y): (Vector<2>, Vector<2>) = (Tensor::from_array([2.0, 1.0]), Tensor::from_array([2.0, 0.0]));
    /// let (dx, dy) = gradient(|(x, y)| (x - y).sum_squares(), (&x, &y));
    /// assert_eq!((dx.to_vec(), dy.to_vec()), (vec![0.0, 2.0], vec![-0.0, -2.0]));
    /// ```
    #[inline]
    pub fn sum_squares(self) -> Next<Scalar<E, D>, B, SquaresPullback<S, E, D>> {
        self.apply(reduce::sum_of_squares)
    }

    /// `Σ x² / n` in one pass (see [`sum_squares`](Self::sum_squares)).
    #[inline]
    pub fn mean_squares(self) -> Next<Scalar<E, D>, B, SquaresPullback<S, E, D>> {
        self.apply(reduce::mean_of_squares)
    }

    /// An activation (see [`Activation`]): an elementwise operation of the
    /// table, `Identity`, `Softmax` or `LogSoftmax`. What its pullback needs
    /// is kept only when a gradient is wanted through this value.
    #[inline]
    pub fn activate<A: Activation>(
        self,
        activation: A,
    ) -> Next<Tensor<S, E, D>, B, ActivationPullback<A, S, E, D>> {
        let keep = self.back().active();
        self.apply(|x| rules::activation::activate(x, activation, keep))
    }

    /// A scalar function `f` of this value, differentiated at once: `f`
    /// receives the value behind a [`Hole`], its gradient is taken by
    /// running its backward pass right away (when a gradient is wanted
    /// through this value), and the result is one node whose pullback
    /// scales that gradient ([`GradientPullback`]). This is how a loss is
    /// written once, with the rules of this module, and yet has a short
    /// type: typeflux-nn's losses are built this way.
    ///
    /// ```
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::prelude::*;
    ///
    /// let x: Vector<2, f64> = Tensor::from_array([3.0, -4.0]);
    /// let y: Vector<2, f64> = Tensor::from_array([1.0, 1.0]);
    /// // Half the squared distance to `y`, differentiated at once.
    /// let g = gradient(|x| x.eager(|x| (x - &y).sum_squares() * 0.5), &x);
    /// assert_eq!(g.to_vec(), vec![2.0, -5.0]);
    /// ```
    #[inline]
    pub fn eager<N>(
        self,
        f: impl FnOnce(Traced<Tensor<S, E, D>, Hole>) -> Traced<Scalar<E, D>, N>,
    ) -> Next<Scalar<E, D>, B, GradientPullback<S, E, D>>
    where
        N: for<'a> Backward<Scalar<E, D>, WithHole<'a, (), Option<Tensor<S, E, D>>>>,
    {
        let want = self.back().active();
        self.apply(|x| {
            let (shape, device) = (x.shape(), x.device().clone());
            let (value, node) = f(Traced::new(x, Hole::new(want))).into_parts();
            if !want {
                return (value, GradientPullback::unwanted(shape, device));
            }
            let mut hole = None;
            let seed = Tensor::full_on((), E::one(), &device);
            node.backward(seed, &mut WithHole::new(&mut (), &mut hole));
            let grad = hole.unwrap_or_else(|| Tensor::full_on(shape, E::zero(), &device));
            (value, GradientPullback::new(grad))
        })
    }

    /// Softmax of each column (each sample of a batch): Flux's `softmax`.
    #[inline]
    pub fn softmax(self) -> Next<Tensor<S, E, D>, B, SoftmaxPullback<S, E, D>> {
        self.apply(|x| softmax::softmax(x, false))
    }

    /// The logarithm of the softmax of each column: Flux's `logsoftmax`.
    #[inline]
    pub fn logsoftmax(self) -> Next<Tensor<S, E, D>, B, SoftmaxPullback<S, E, D>> {
        self.apply(|x| softmax::softmax(x, true))
    }

    /// The largest element, as a scalar tensor; its gradient goes to the
    /// first of equals.
    ///
    /// # Panics
    /// On an empty tensor.
    #[inline]
    #[track_caller]
    pub fn max(self) -> Next<Scalar<E, D>, B, MaxPullback<S, E, D>> {
        self.apply(reduce::max)
    }

    /// The sums along `AXIS`, which leaves the shape: `x.sum_along::<1>()` of
    /// a features × batch matrix sums over the batch.
    #[inline]
    pub fn sum_along<const AXIS: usize>(
        self,
    ) -> Next<Reduced<S, E, D, AXIS>, B, SumAlongPullback<AXIS, S, D>>
    where
        Tensor<S, E, D>: ReduceAxis<AXIS>,
    {
        self.apply(reduce::sum_along::<AXIS, S, E, D>)
    }

    /// The means along `AXIS`.
    #[inline]
    pub fn mean_along<const AXIS: usize>(
        self,
    ) -> Next<Reduced<S, E, D, AXIS>, B, MeanAlongPullback<AXIS, S, D>>
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
    ) -> Next<Reduced<S, E, D, AXIS>, B, MaxAlongPullback<AXIS, S, E, D>>
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
    ) -> Joined<A::Output, B, R, <A as MatMulRule<R::Value>>::Lhs, <A as MatMulRule<R::Value>>::Rhs>
    where
        A: MatMulRule<R::Value>,
        B: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), A::matmul_rule)
    }
}

impl<M: Dim, K: Dim, E: Element, D: Kernels<E>, B> Traced<Tensor<(M, K), E, D>, B> {
    /// `selfᵀ · rhs`, without forming the transpose.
    #[inline]
    #[track_caller]
    pub fn t_matmul<N: Dim, R: IntoTraced<Value = Tensor<(M, N), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<Tensor<(K, N), E, D>, B, R, TMatMulLhs<M, N, E, D>, TMatMulRhs<M, K, E, D>>
    where
        B: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::t_matmul)
    }

    /// `self · rhsᵀ`, without forming the transpose.
    #[inline]
    #[track_caller]
    pub fn matmul_t<N: Dim, R: IntoTraced<Value = Tensor<(N, K), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<Tensor<(M, N), E, D>, B, R, MatMulTLhs<N, K, E, D>, MatMulTRhs<M, K, E, D>>
    where
        B: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::matmul_t)
    }

    /// The transpose.
    #[inline]
    pub fn transpose(self) -> Next<Tensor<(K, M), E, D>, B, TransposePullback>
    where
        B: Node,
    {
        self.apply(shape::transpose)
    }

    /// Short for [`transpose`](Self::transpose).
    #[inline]
    pub fn t(self) -> Next<Tensor<(K, M), E, D>, B, TransposePullback>
    where
        B: Node,
    {
        self.transpose()
    }

    /// The same matrix with its column count as a runtime dim (a batch).
    #[inline]
    pub fn into_batch(self) -> Next<Tensor<(M, usize), E, D>, B, IntoBatchPullback<K>>
    where
        B: Node,
    {
        self.apply(shape::into_batch)
    }
}

impl<R: Dim, C: Dim, E: Element, D: Kernels<E>, B: Node> Traced<Tensor<(R, C), E, D>, B> {
    /// The columns `indices` (counting from 0, repeats allowed) as a batch:
    /// an embedding's lookup. The gradient adds each column's cotangent
    /// back into the column it came from.
    ///
    /// ```
    /// use typeflux_ad::reverse::gradient;
    /// use typeflux_core::prelude::*;
    ///
    /// let w: Matrix<1, 3> = Tensor::from_array([[1.0, 2.0, 3.0]]);
    /// let g = gradient(|w| w.gather(&[2, 2, 0]).sum(), &w);
    /// assert_eq!(g.to_vec(), vec![1.0, 0.0, 2.0]);
    /// ```
    ///
    /// # Panics
    /// When an index is not below the column count.
    #[inline]
    #[track_caller]
    pub fn gather(
        self,
        indices: &[usize],
    ) -> Next<Tensor<(R, usize), E, D>, B, GatherPullback<R, C>> {
        self.apply(|w| gather::gather(w, indices))
    }

    /// Column `index` as a vector (see [`gather`](Self::gather)).
    ///
    /// # Panics
    /// When `index` is not below the column count.
    #[inline]
    #[track_caller]
    pub fn gather_column(self, index: usize) -> Next<Tensor<(R,), E, D>, B, GatherPullback<R, C>> {
        self.apply(|w| gather::gather_column(w, index))
    }
}

impl<M: Dim, E: Element, D: Kernels<E>, B> Traced<Tensor<(M,), E, D>, B> {
    /// The outer product `self · rhsᵀ`.
    #[inline]
    pub fn outer<N: Dim, R: IntoTraced<Value = Tensor<(N,), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<Tensor<(M, N), E, D>, B, R, OuterLhs<N, E, D>, OuterRhs<M, E, D>>
    where
        B: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::outer)
    }

    /// `selfᵀ · rhs` for a matrix `rhs`, as a vector.
    #[inline]
    #[track_caller]
    pub fn vecmat<N: Dim, R: IntoTraced<Value = Tensor<(M, N), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<Tensor<(N,), E, D>, B, R, VecMatLhs<M, N, E, D>, VecMatRhs<M, E, D>>
    where
        B: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::vecmat)
    }

    /// The dot product, as a scalar tensor.
    #[inline]
    #[track_caller]
    pub fn dot<R: IntoTraced<Value = Tensor<(M,), E, D>>>(
        self,
        rhs: R,
    ) -> Joined<Tensor<(), E, D>, B, R, DotLhs<M, E, D>, DotRhs<M, E, D>>
    where
        B: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), products::dot)
    }

    /// The vector as a batch of one column.
    #[inline]
    pub fn into_batch(self) -> Next<Tensor<(M, usize), E, D>, B, VectorIntoBatchPullback>
    where
        B: Node,
    {
        self.apply(shape::vector_into_batch)
    }
}

impl<S: ConstShape, E: Element, D: Kernels<E>, B: Node> Traced<Tensor<S, E, D>, B> {
    /// The same elements under another static shape with the same count.
    #[inline]
    pub fn reshape<S2: ConstShape>(self) -> Next<Tensor<S2, E, D>, B, ReshapePullback<S>>
    where
        S: ReshapeTo<S2>,
    {
        self.apply(shape::reshape)
    }

    /// All elements as one vector of `N`, column by column.
    #[inline]
    pub fn flatten<const N: usize>(self) -> Next<Tensor<(Const<N>,), E, D>, B, ReshapePullback<S>>
    where
        S: ReshapeTo<(Const<N>,)>,
        (Const<N>,): ConstShape,
    {
        self.apply(shape::flatten)
    }
}

impl<W: ConstDim, H: ConstDim, C: ConstDim, E: Element, D: Kernels<E>, B: Node>
    Traced<Tensor<(W, H, C, usize), E, D>, B>
where
    (W, H, C): Features,
{
    /// Flux's `flatten` of a batch of images: `W·H·C` features per sample,
    /// the count computed by the type checker.
    #[inline]
    pub fn flatten_features(
        self,
    ) -> Next<Tensor<Flattened<W, H, C, usize>, E, D>, B, UnflattenPullback<(W, H, C, usize)>> {
        self.apply(shape::flatten_features)
    }
}

impl<S: Images, E: Element, D: Kernels<E>, B: Node> Traced<Tensor<S, E, D>, B> {
    /// The maximum or mean of every `KW × KH` window of each channel of a
    /// batch of images, the window stepped by `G` (`Tiled`: stride =
    /// window, Flux's default).
    #[inline]
    #[track_caller]
    pub fn pool<KW: ConstDim, KH: ConstDim, G>(
        self,
        pool: Pool,
    ) -> Next<Tensor<PoolOut<KW, KH, G, S>, E, D>, B, PoolPullback<S, E, D>>
    where
        G: Slide<S::W, KW> + Slide<S::H, KH>,
    {
        self.apply(|x| pool::pool::<KW, KH, G, S, E, D>(x, pool))
    }

    /// The maximum or mean of each channel of each image: a `1 × 1 × C × N`
    /// result.
    #[inline]
    #[track_caller]
    pub fn global_pool(
        self,
        pool: Pool,
    ) -> Next<Tensor<PoolOut<S::W, S::H, Tiled, S>, E, D>, B, PoolPullback<S, E, D>>
    where
        Tiled: Slide<S::W, S::W> + Slide<S::H, S::H>,
    {
        self.pool::<S::W, S::H, Tiled>(pool)
    }
}

impl<const A: usize, C: Dim, E: Element, D: Kernels<E>, B> Traced<Tensor<(Const<A>, C), E, D>, B> {
    /// Stacks `self` (`A` features) over `other` (`P` features) into
    /// `N = A + P` features, checked by the type checker.
    #[inline]
    #[track_caller]
    pub fn concat<const P: usize, const N: usize, R>(
        self,
        other: R,
    ) -> Joined<Tensor<(Const<N>, C), E, D>, B, R, ConcatLhs<A>, ConcatRhs<A, P>>
    where
        R: IntoTraced<Value = Tensor<(Const<P>, C), E, D>>,
        B: Combine<R::Back>,
        Const<A>: AddsUpTo<Const<P>, Const<N>>,
    {
        self.apply2(other.into_traced(), shape::concat)
    }
}

impl<const A: usize, E: Element, D: Kernels<E>, B> Traced<Tensor<(Const<A>,), E, D>, B> {
    /// Joins two vectors into one of `N = A + P` elements, checked by the type
    /// checker.
    #[inline]
    pub fn concat<const P: usize, const N: usize, R>(
        self,
        other: R,
    ) -> Joined<Tensor<(Const<N>,), E, D>, B, R, ConcatLhs<A>, ConcatRhs<A, P>>
    where
        R: IntoTraced<Value = Tensor<(Const<P>,), E, D>>,
        B: Combine<R::Back>,
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
    ) -> Joined<Tensor<S, E, Cpu>, B, R, MapPullback<S, E>, MapPullback<S, E>>
    where
        B: Combine<R::Back>,
    {
        self.apply2(rhs.into_traced(), |a, b| unary::zip_map(a, b, f))
    }
}

impl<S: Shape, E: Element, B: Node> Traced<Tensor<S, E, Cpu>, B> {
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
    ) -> Next<Tensor<S, E, Cpu>, B, MapPullback<S, E>> {
        self.apply(|x| unary::map(x, f))
    }
}
