//! Matrix products whose inner sizes must agree at compile time.
//!
//! A product's size is not bounded by its operands' (an `m × 0` matrix
//! times a `0 × n` one has `m · n` elements, however large), so each
//! product checks that its result can exist before a kernel sizes a buffer
//! for it.

use crate::device::Kernels;
use crate::dims::Dim;
use crate::element::Element;
use crate::shape::{Shape, shape_mismatch};
use crate::tensor::{Tensor, expect_len};

/// `self · rhs`, defined only when the inner sizes agree: an `M × K` matrix times
/// a `K × N` matrix or a `K` vector.
///
/// ```
/// use typeflux_core::prelude::*;
/// let a = Matrix::<2, 3>::ones();
/// let b = Matrix::<3, 4>::ones();
/// let c: Matrix<2, 4> = a.matmul(&b);
/// assert_eq!(c[[1, 3]], 3.0);
/// ```
///
/// ```compile_fail
/// use typeflux_core::prelude::*;
/// let a = Matrix::<2, 3>::ones();
/// let b = Matrix::<4, 5>::ones();
/// let c = a.matmul(&b); // 3 columns cannot meet 4 rows
/// ```
#[diagnostic::on_unimplemented(
    message = "cannot multiply `{Self}` by `{Rhs}`: the inner dimensions disagree",
    label = "the columns of the left operand must equal the rows of the right operand",
    note = "a product `M × K` times `K × N` needs the same `K` on both sides"
)]
pub trait MatMul<Rhs> {
    /// The product's type.
    type Output;
    /// The matrix product.
    fn matmul(&self, rhs: &Rhs) -> Self::Output;
}

#[inline]
#[track_caller]
fn check_inner<S1: Shape, S2: Shape>(k_lhs: usize, k_rhs: usize, lhs: &S1, rhs: &S2) {
    if k_lhs != k_rhs {
        shape_mismatch("matmul", lhs.describe(), rhs.describe());
    }
}

impl<M: Dim, K: Dim, N: Dim, E: Element, D: Kernels<E>> MatMul<Tensor<(K, N), E, D>>
    for Tensor<(M, K), E, D>
{
    type Output = Tensor<(M, N), E, D>;

    #[inline(always)]
    #[track_caller]
    fn matmul(&self, rhs: &Tensor<(K, N), E, D>) -> Self::Output {
        let (m, k) = self.shape;
        let (k2, n) = rhs.shape;
        check_inner(k.size(), k2.size(), &self.shape, &rhs.shape);
        expect_len::<(M, N), E>("matmul", &(m, n));
        let data = self.device.matmul(
            m.size(),
            k.size(),
            n.size(),
            &self.data,
            false,
            &rhs.data,
            false,
        );
        Tensor::from_parts((m, n), data, self.device.clone())
    }
}

impl<M: Dim, K: Dim, E: Element, D: Kernels<E>> MatMul<Tensor<(K,), E, D>>
    for Tensor<(M, K), E, D>
{
    type Output = Tensor<(M,), E, D>;

    #[inline(always)]
    #[track_caller]
    fn matmul(&self, rhs: &Tensor<(K,), E, D>) -> Self::Output {
        let (m, k) = self.shape;
        check_inner(k.size(), rhs.shape.0.size(), &self.shape, &rhs.shape);
        expect_len::<(M,), E>("matmul", &(m,));
        let data = self
            .device
            .matmul(m.size(), k.size(), 1, &self.data, false, &rhs.data, false);
        Tensor::from_parts((m,), data, self.device.clone())
    }
}

impl<M: Dim, K: Dim, E: Element, D: Kernels<E>> Tensor<(M, K), E, D> {
    /// `selfᵀ · rhs` without forming the transpose: the weight gradient's
    /// partner in a backward pass (`Wᵀ · δ`).
    #[inline(always)]
    #[track_caller]
    pub fn t_matmul<N: Dim>(&self, rhs: &Tensor<(M, N), E, D>) -> Tensor<(K, N), E, D> {
        let (m, k) = self.shape;
        let (m2, n) = rhs.shape;
        check_inner(m.size(), m2.size(), &self.shape, &rhs.shape);
        expect_len::<(K, N), E>("t_matmul", &(k, n));
        let data = self.device.matmul(
            k.size(),
            m.size(),
            n.size(),
            &self.data,
            true,
            &rhs.data,
            false,
        );
        Tensor::from_parts((k, n), data, self.device.clone())
    }

    /// `self · rhsᵀ` without forming the transpose: a weight gradient
    /// (`δ · xᵀ`) in a backward pass.
    #[inline(always)]
    #[track_caller]
    pub fn matmul_t<N: Dim>(&self, rhs: &Tensor<(N, K), E, D>) -> Tensor<(M, N), E, D> {
        let (m, k) = self.shape;
        let (n, k2) = rhs.shape;
        check_inner(k.size(), k2.size(), &self.shape, &rhs.shape);
        expect_len::<(M, N), E>("matmul_t", &(m, n));
        let data = self.device.matmul(
            m.size(),
            k.size(),
            n.size(),
            &self.data,
            false,
            &rhs.data,
            true,
        );
        Tensor::from_parts((m, n), data, self.device.clone())
    }
}

impl<M: Dim, N: Dim, E: Element, D: Kernels<E>> Tensor<(M, N), E, D> {
    /// `self += alpha · a · bᵀ`, reading and writing `self` once on the CPU
    /// (for large `f32` and `f64` products): a step of gradient descent
    /// folded into a weight-gradient product, `W += −η · δ · xᵀ`, with no
    /// gradient buffer and no separate update pass.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    ///
    /// let mut w = Matrix::<2, 3>::ones();
    /// let delta = Matrix::<2, 4>::from_fn((Const, Const), |[i, j]| (i + j) as f32);
    /// let x = Matrix::<3, 4>::from_fn((Const, Const), |[i, j]| (i * j) as f32);
    /// let expected = &w - &(delta.matmul_t(&x) * 0.5);
    /// w.add_matmul_t(-0.5, &delta, &x);
    /// assert_eq!(w, expected);
    /// ```
    ///
    /// # Panics
    /// If a dynamic size disagrees: `a`'s rows with `self`'s, `b`'s rows
    /// with `self`'s columns, or `a`'s columns with `b`'s.
    #[inline(always)]
    #[track_caller]
    pub fn add_matmul_t<K: Dim>(
        &mut self,
        alpha: E,
        a: &Tensor<(M, K), E, D>,
        b: &Tensor<(N, K), E, D>,
    ) {
        let (m, k) = a.shape;
        let (n, k2) = b.shape;
        check_inner(k.size(), k2.size(), &a.shape, &b.shape);
        if (m.size(), n.size()) != (self.shape.0.size(), self.shape.1.size()) {
            shape_mismatch("add_matmul_t", self.shape.describe(), (m, n).describe());
        }
        self.device.matmul_add::<(M, K), (N, K), (M, N)>(
            &mut self.data,
            alpha,
            m.size(),
            k.size(),
            n.size(),
            &a.data,
            false,
            &b.data,
            true,
        );
    }

    /// `self += alpha · a · bᵀ` for vectors `a` and `b`: the outer product
    /// added in place, [`add_matmul_t`](Self::add_matmul_t) for one sample.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    ///
    /// let mut w = Matrix::<2, 2>::zeros();
    /// w.add_outer(2.0, &Vector::from_array([1.0, 2.0]), &Vector::from_array([3.0, 4.0]));
    /// assert_eq!(w.to_vec(), vec![6.0, 12.0, 8.0, 16.0]); // column-major
    /// ```
    ///
    /// # Panics
    /// If a dynamic size of `a` or `b` disagrees with `self`'s.
    #[inline(always)]
    #[track_caller]
    pub fn add_outer(&mut self, alpha: E, a: &Tensor<(M,), E, D>, b: &Tensor<(N,), E, D>) {
        let (m, n) = (a.shape.0, b.shape.0);
        if (m.size(), n.size()) != (self.shape.0.size(), self.shape.1.size()) {
            shape_mismatch("add_outer", self.shape.describe(), (m, n).describe());
        }
        self.device.matmul_add::<(M,), (N,), (M, N)>(
            &mut self.data,
            alpha,
            m.size(),
            1,
            n.size(),
            &a.data,
            false,
            &b.data,
            true,
        );
    }
}

impl<M: Dim, E: Element, D: Kernels<E>> Tensor<(M,), E, D> {
    /// The outer product `self · rhsᵀ`: an `M × N` matrix.
    #[inline(always)]
    #[track_caller]
    pub fn outer<N: Dim>(&self, rhs: &Tensor<(N,), E, D>) -> Tensor<(M, N), E, D> {
        let (m, n) = (self.shape.0, rhs.shape.0);
        expect_len::<(M, N), E>("outer", &(m, n));
        let data = self
            .device
            .matmul(m.size(), 1, n.size(), &self.data, false, &rhs.data, true);
        Tensor::from_parts((m, n), data, self.device.clone())
    }

    /// `selfᵀ · rhs` for a matrix `rhs`: a row vector times a matrix, returned as
    /// a vector.
    #[inline(always)]
    #[track_caller]
    pub fn vecmat<N: Dim>(&self, rhs: &Tensor<(M, N), E, D>) -> Tensor<(N,), E, D> {
        let (m2, n) = rhs.shape;
        check_inner(self.shape.0.size(), m2.size(), &self.shape, &rhs.shape);
        expect_len::<(N,), E>("vecmat", &(n,));
        let data = self
            .device
            .matmul(n.size(), m2.size(), 1, &rhs.data, true, &self.data, false);
        Tensor::from_parts((n,), data, self.device.clone())
    }

    /// The dot product.
    #[inline(always)]
    #[track_caller]
    pub fn dot(&self, rhs: &Self) -> E {
        crate::shape::assert_same("dot", &self.shape, &rhs.shape);
        (self * rhs).sum()
    }
}

/// A product with a borrowed right operand, as a layer written once over
/// plain and traced inputs receives it (`self.w.matmul(&x)` for `x: &Batch`).
impl<'a, M: Dim, K: Dim, R, E: Element, D: Kernels<E>> MatMul<&'a R> for Tensor<(M, K), E, D>
where
    Tensor<(M, K), E, D>: MatMul<R>,
{
    type Output = <Tensor<(M, K), E, D> as MatMul<R>>::Output;

    #[inline(always)]
    #[track_caller]
    fn matmul(&self, rhs: &&'a R) -> Self::Output {
        MatMul::<R>::matmul(self, *rhs)
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> Tensor<S, E, D> {
    /// `self += alpha · op(a) · op(b)` with every tensor read as a matrix
    /// of its elements in column-major order: `op(a)` is `m × k` (stored as
    /// `k × m` when `a_transposed`), `op(b)` is `k × n`, `self` is `m × n`.
    /// For weights stored in another shape than the matrix a product needs,
    /// such as a convolution's kernel `KW × KH × CI × CO`, read as a
    /// `KW·KH·CI × CO` matrix.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// let mut w = Tensor::<(Const<1>, Const<2>, Const<1>, Const<1>)>::zeros();
    /// let a = Matrix::<2, 3>::ones();
    /// let b = Matrix::<1, 3>::full(2.0);
    /// w.add_matmul_as(1.0, [2, 3, 1], &a, false, &b, true); // a·bᵀ
    /// assert_eq!(w.to_vec(), vec![6.0, 6.0]);
    /// ```
    ///
    /// # Panics
    /// If an element count is not the product of its matrix's sizes.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn add_matmul_as<A: Shape, B: Shape>(
        &mut self,
        alpha: E,
        [m, k, n]: [usize; 3],
        a: &Tensor<A, E, D>,
        a_transposed: bool,
        b: &Tensor<B, E, D>,
        b_transposed: bool,
    ) {
        let holds = |len: usize, r: usize, c: usize| r.checked_mul(c) == Some(len);
        assert!(
            holds(a.len(), m, k) && holds(b.len(), k, n) && holds(self.len(), m, n),
            "add_matmul_as: {}, {} and {} are not {m}x{k}, {k}x{n} and {m}x{n} matrices",
            a.shape.describe(),
            b.shape.describe(),
            self.shape.describe()
        );
        self.device.matmul_add::<A, B, S>(
            &mut self.data,
            alpha,
            m,
            k,
            n,
            &a.data,
            a_transposed,
            &b.data,
            b_transposed,
        );
    }
}
