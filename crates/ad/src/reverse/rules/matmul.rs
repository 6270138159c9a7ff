//! Product rules: matrix products, matrix–vector products, outer and dot
//! products.
//!
//! Every product is linear in each operand, so the pullback toward one
//! operand is a product of the cotangent with the other operand: each half
//! keeps the other operand and nothing else. The transposes are never formed;
//! `t_matmul` (`Aᵀ·B`) and `matmul_t` (`A·Bᵀ`) read their operand transposed.

// The signatures name every tensor with its shape and every pullback with its
// type parameters: that is the information a reader of a rule needs, and
// aliases per signature would only hide it.
#![allow(clippy::type_complexity)]

use crate::reverse::pullback::{Both, Pullback};
use crate::reverse::rules::shape::Broadcast;
use typeflux_core::{BinaryOp, Dim, Element, Kernels, MatMul, Tensor};

/// Declares the two halves of a product's pullback, each keeping one tensor.
macro_rules! halves {
    ($($(#[$doc:meta])* $name:ident { $kept:ident: ($($dim:ident),+) });* $(;)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name<$($dim: Dim,)+ E: Element, D: Kernels<E>> {
            $kept: Tensor<($($dim,)+), E, D>,
        }
    )*};
}

halves! {
    /// `C = A·B` toward `A`: `Ā = C̄·Bᵀ`. Keeps `B`.
    MatMulLhs { b: (K, N) };
    /// `C = A·B` toward `B`: `B̄ = Aᵀ·C̄`. Keeps `A`.
    MatMulRhs { a: (M, K) };
    /// `y = A·x` toward `A`: `Ā = ȳ·xᵀ`. Keeps `x`.
    MatVecLhs { x: (K) };
    /// `y = A·x` toward `x`: `x̄ = Aᵀ·ȳ`. Keeps `A`.
    MatVecRhs { a: (M, K) };
    /// `C = Aᵀ·B` toward `A`: `Ā = B·C̄ᵀ`. Keeps `B`.
    TMatMulLhs { b: (M, N) };
    /// `C = Aᵀ·B` toward `B`: `B̄ = A·C̄`. Keeps `A`.
    TMatMulRhs { a: (M, K) };
    /// `C = A·Bᵀ` toward `A`: `Ā = C̄·B`. Keeps `B`.
    MatMulTLhs { b: (N, K) };
    /// `C = A·Bᵀ` toward `B`: `B̄ = C̄ᵀ·A`. Keeps `A`.
    MatMulTRhs { a: (M, K) };
    /// `C = a·bᵀ` toward `a`: `ā = C̄·b`. Keeps `b`.
    OuterLhs { b: (N) };
    /// `C = a·bᵀ` toward `b`: `b̄ = C̄ᵀ·a`. Keeps `a`.
    OuterRhs { a: (M) };
    /// `z = aᵀ·B` toward `a`: `ā = B·z̄`. Keeps `B`.
    VecMatLhs { b: (M, N) };
    /// `z = aᵀ·B` toward `B`: `B̄ = a·z̄ᵀ`. Keeps `a`.
    VecMatRhs { a: (M) };
    /// `s = a·b` toward `a`: `ā = s̄·b`. Keeps `b`.
    DotLhs { b: (N) };
    /// `s = a·b` toward `b`: `b̄ = s̄·a`. Keeps `a`.
    DotRhs { a: (N) };
}

/// The pullback of [`matmul`].
pub type MatMulPullback<M, K, N, E, D> = Both<MatMulLhs<K, N, E, D>, MatMulRhs<M, K, E, D>>;
/// The pullback of [`matvec`].
pub type MatVecPullback<M, K, E, D> = Both<MatVecLhs<K, E, D>, MatVecRhs<M, K, E, D>>;
/// The pullback of [`t_matmul`].
pub type TMatMulPullback<M, K, N, E, D> = Both<TMatMulLhs<M, N, E, D>, TMatMulRhs<M, K, E, D>>;
/// The pullback of [`matmul_t`].
pub type MatMulTPullback<M, K, N, E, D> = Both<MatMulTLhs<N, K, E, D>, MatMulTRhs<M, K, E, D>>;
/// The pullback of [`outer`].
pub type OuterPullback<M, N, E, D> = Both<OuterLhs<N, E, D>, OuterRhs<M, E, D>>;
/// The pullback of [`vecmat`].
pub type VecMatPullback<M, N, E, D> = Both<VecMatLhs<M, N, E, D>, VecMatRhs<M, E, D>>;
/// The pullback of [`dot`].
pub type DotPullback<N, E, D> = Both<DotLhs<N, E, D>, DotRhs<N, E, D>>;

/// `C = A·B` for an `M × K` and a `K × N` matrix: `Ā = C̄·Bᵀ`, `B̄ = Aᵀ·C̄`.
#[inline]
#[track_caller]
pub fn matmul<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>>(
    a: Tensor<(M, K), E, D>,
    b: Tensor<(K, N), E, D>,
) -> (Tensor<(M, N), E, D>, MatMulPullback<M, K, N, E, D>) {
    (a.matmul(&b), Both(MatMulLhs { b }, MatMulRhs { a }))
}

impl<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(M, N), E, D>>
    for MatMulLhs<K, N, E, D>
{
    type Grads = Tensor<(M, K), E, D>;

    #[inline]
    fn pullback(self, dc: Tensor<(M, N), E, D>) -> Self::Grads {
        dc.matmul_t(&self.b)
    }
}

impl<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(M, N), E, D>>
    for MatMulRhs<M, K, E, D>
{
    type Grads = Tensor<(K, N), E, D>;

    #[inline]
    fn pullback(self, dc: Tensor<(M, N), E, D>) -> Self::Grads {
        self.a.t_matmul(&dc)
    }
}

/// `y = A·x` for an `M × K` matrix and a `K` vector: `Ā = ȳ·xᵀ`, `x̄ = Aᵀ·ȳ`.
#[inline]
#[track_caller]
pub fn matvec<M: Dim, K: Dim, E: Element, D: Kernels<E>>(
    a: Tensor<(M, K), E, D>,
    x: Tensor<(K,), E, D>,
) -> (Tensor<(M,), E, D>, MatVecPullback<M, K, E, D>) {
    (a.matmul(&x), Both(MatVecLhs { x }, MatVecRhs { a }))
}

impl<M: Dim, K: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(M,), E, D>>
    for MatVecLhs<K, E, D>
{
    type Grads = Tensor<(M, K), E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<(M,), E, D>) -> Self::Grads {
        dy.outer(&self.x)
    }
}

impl<M: Dim, K: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(M,), E, D>>
    for MatVecRhs<M, K, E, D>
{
    type Grads = Tensor<(K,), E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<(M,), E, D>) -> Self::Grads {
        dy.vecmat(&self.a)
    }
}

/// `C = Aᵀ·B` for an `M × K` and an `M × N` matrix: `Ā = B·C̄ᵀ`, `B̄ = A·C̄`.
#[inline]
#[track_caller]
pub fn t_matmul<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>>(
    a: Tensor<(M, K), E, D>,
    b: Tensor<(M, N), E, D>,
) -> (Tensor<(K, N), E, D>, TMatMulPullback<M, K, N, E, D>) {
    (a.t_matmul(&b), Both(TMatMulLhs { b }, TMatMulRhs { a }))
}

impl<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(K, N), E, D>>
    for TMatMulLhs<M, N, E, D>
{
    type Grads = Tensor<(M, K), E, D>;

    #[inline]
    fn pullback(self, dc: Tensor<(K, N), E, D>) -> Self::Grads {
        self.b.matmul_t(&dc)
    }
}

impl<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(K, N), E, D>>
    for TMatMulRhs<M, K, E, D>
{
    type Grads = Tensor<(M, N), E, D>;

    #[inline]
    fn pullback(self, dc: Tensor<(K, N), E, D>) -> Self::Grads {
        self.a.matmul(&dc)
    }
}

/// `C = A·Bᵀ` for an `M × K` and an `N × K` matrix: `Ā = C̄·B`, `B̄ = C̄ᵀ·A`.
#[inline]
#[track_caller]
pub fn matmul_t<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>>(
    a: Tensor<(M, K), E, D>,
    b: Tensor<(N, K), E, D>,
) -> (Tensor<(M, N), E, D>, MatMulTPullback<M, K, N, E, D>) {
    (a.matmul_t(&b), Both(MatMulTLhs { b }, MatMulTRhs { a }))
}

impl<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(M, N), E, D>>
    for MatMulTLhs<N, K, E, D>
{
    type Grads = Tensor<(M, K), E, D>;

    #[inline]
    fn pullback(self, dc: Tensor<(M, N), E, D>) -> Self::Grads {
        dc.matmul(&self.b)
    }
}

impl<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(M, N), E, D>>
    for MatMulTRhs<M, K, E, D>
{
    type Grads = Tensor<(N, K), E, D>;

    #[inline]
    fn pullback(self, dc: Tensor<(M, N), E, D>) -> Self::Grads {
        dc.t_matmul(&self.a)
    }
}

/// `C = a·bᵀ` for an `M` and an `N` vector: `ā = C̄·b`, `b̄ = C̄ᵀ·a`.
#[inline]
pub fn outer<M: Dim, N: Dim, E: Element, D: Kernels<E>>(
    a: Tensor<(M,), E, D>,
    b: Tensor<(N,), E, D>,
) -> (Tensor<(M, N), E, D>, OuterPullback<M, N, E, D>) {
    (a.outer(&b), Both(OuterLhs { b }, OuterRhs { a }))
}

impl<M: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(M, N), E, D>>
    for OuterLhs<N, E, D>
{
    type Grads = Tensor<(M,), E, D>;

    #[inline]
    fn pullback(self, dc: Tensor<(M, N), E, D>) -> Self::Grads {
        dc.matmul(&self.b)
    }
}

impl<M: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(M, N), E, D>>
    for OuterRhs<M, E, D>
{
    type Grads = Tensor<(N,), E, D>;

    #[inline]
    fn pullback(self, dc: Tensor<(M, N), E, D>) -> Self::Grads {
        self.a.vecmat(&dc)
    }
}

/// `z = aᵀ·B` for an `M` vector and an `M × N` matrix: `ā = B·z̄`, `B̄ = a·z̄ᵀ`.
#[inline]
#[track_caller]
pub fn vecmat<M: Dim, N: Dim, E: Element, D: Kernels<E>>(
    a: Tensor<(M,), E, D>,
    b: Tensor<(M, N), E, D>,
) -> (Tensor<(N,), E, D>, VecMatPullback<M, N, E, D>) {
    (a.vecmat(&b), Both(VecMatLhs { b }, VecMatRhs { a }))
}

impl<M: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(N,), E, D>>
    for VecMatLhs<M, N, E, D>
{
    type Grads = Tensor<(M,), E, D>;

    #[inline]
    fn pullback(self, dz: Tensor<(N,), E, D>) -> Self::Grads {
        self.b.matmul(&dz)
    }
}

impl<M: Dim, N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(N,), E, D>>
    for VecMatRhs<M, E, D>
{
    type Grads = Tensor<(M, N), E, D>;

    #[inline]
    fn pullback(self, dz: Tensor<(N,), E, D>) -> Self::Grads {
        self.a.outer(&dz)
    }
}

/// `s = a·b` for two `N` vectors, as a scalar tensor: `ā = s̄·b`, `b̄ = s̄·a`.
/// Each half scales the vector it kept in place.
#[inline]
#[track_caller]
pub fn dot<N: Dim, E: Element, D: Kernels<E>>(
    a: Tensor<(N,), E, D>,
    b: Tensor<(N,), E, D>,
) -> (Tensor<(), E, D>, DotPullback<N, E, D>) {
    let s = Tensor::full_on((), a.dot(&b), a.device());
    (s, Both(DotLhs { b }, DotRhs { a }))
}

impl<N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(), E, D>> for DotLhs<N, E, D> {
    type Grads = Tensor<(N,), E, D>;

    #[inline]
    fn pullback(self, ds: Tensor<(), E, D>) -> Self::Grads {
        self.b.combine_into(BinaryOp::Mul, &ds)
    }
}

impl<N: Dim, E: Element, D: Kernels<E>> Pullback<Tensor<(), E, D>> for DotRhs<N, E, D> {
    type Grads = Tensor<(N,), E, D>;

    #[inline]
    fn pullback(self, ds: Tensor<(), E, D>) -> Self::Grads {
        self.a.combine_into(BinaryOp::Mul, &ds)
    }
}

/// The product `self · rhs` as a rule, for the two shapes core's
/// [`MatMul`] multiplies: a matrix by a matrix ([`matmul`]) and a matrix by a
/// vector ([`matvec`]). Traced values use it to pick the rule from the
/// operands' types.
#[diagnostic::on_unimplemented(
    message = "cannot multiply `{Self}` by `{Rhs}`: the inner dimensions disagree",
    label = "the columns of the left operand must equal the rows of the right operand",
    note = "a product `M × K` times `K × N` needs the same `K` on both sides"
)]
pub trait MatMulRule<Rhs> {
    /// The product.
    type Output;
    /// The pullback toward `self`.
    type Lhs;
    /// The pullback toward `rhs`.
    type Rhs;

    /// The product and its pullback.
    fn matmul_rule(self, rhs: Rhs) -> (Self::Output, Both<Self::Lhs, Self::Rhs>);
}

impl<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>> MatMulRule<Tensor<(K, N), E, D>>
    for Tensor<(M, K), E, D>
{
    type Output = Tensor<(M, N), E, D>;
    type Lhs = MatMulLhs<K, N, E, D>;
    type Rhs = MatMulRhs<M, K, E, D>;

    #[inline]
    #[track_caller]
    fn matmul_rule(
        self,
        rhs: Tensor<(K, N), E, D>,
    ) -> (Self::Output, MatMulPullback<M, K, N, E, D>) {
        matmul(self, rhs)
    }
}

impl<M: Dim, K: Dim, E: Element, D: Kernels<E>> MatMulRule<Tensor<(K,), E, D>>
    for Tensor<(M, K), E, D>
{
    type Output = Tensor<(M,), E, D>;
    type Lhs = MatVecLhs<K, E, D>;
    type Rhs = MatVecRhs<M, K, E, D>;

    #[inline]
    #[track_caller]
    fn matmul_rule(self, rhs: Tensor<(K,), E, D>) -> (Self::Output, MatVecPullback<M, K, E, D>) {
        matvec(self, rhs)
    }
}
