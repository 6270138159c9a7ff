//! What the CPU devices need of an element type: inline storage and the
//! product kernel (a blocked gemm for `f32` and `f64`, a plain loop for dual
//! numbers).

use crate::cpu::planar::{self, Planar};
use crate::cpu::{HostBuffer, gemm};
use num_dual::{Dual, Dual2, Dual3, DualNum, DualVec, HyperDual, HyperHyperDual};

/// What the CPU devices need of an [`Element`](crate::Element): the length of
/// a buffer stored inline, and the product kernel.
pub trait HostElement: DualNum + Copy + Send + Sync + 'static {
    /// Inline buffer: tensors with at most this many elements live on the stack.
    type Inline: smallvec::Array<Item = Self> + Send + Sync;

    /// `c = a · b` (or `c += a · b` when `accumulate`), column-major, where `a` is
    /// `m × k` and `b` is `k × n` addressed through (row, column) strides, which
    /// is how transposed operands are passed without copying.
    ///
    /// The default is a plain loop, right for dual numbers; `f32` and `f64` use a
    /// blocked, vectorised gemm.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: &[Self],
        a_strides: [usize; 2],
        b: &[Self],
        b_strides: [usize; 2],
        c: &mut [Self],
        accumulate: bool,
    ) {
        gemm::naive(m, k, n, a, a_strides, b, b_strides, c, accumulate);
    }

    /// `c += scale · a · b`, operands as in [`HostElement::gemm`]: a step of
    /// gradient descent folded into the weight-gradient product.
    ///
    /// The default runs the plain loop, adding into `c`; `f32` and `f64` run
    /// the blocked kernel, which reads and writes `c` once.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn gemm_add(
        m: usize,
        k: usize,
        n: usize,
        a: &[Self],
        a_strides: [usize; 2],
        b: &[Self],
        b_strides: [usize; 2],
        c: &mut [Self],
        scale: Self,
    ) {
        gemm::naive_add(m, k, n, a, a_strides, b, b_strides, c, scale);
    }

    /// `a · b` as a new `m × n` buffer, operands as in [`HostElement::gemm`].
    ///
    /// The default zeroes a buffer and accumulates into it; `f32` and `f64`
    /// let the blocked kernel write large outputs without zeroing them first.
    #[inline]
    fn gemm_new<O: HostBuffer<Self>>(
        m: usize,
        k: usize,
        n: usize,
        a: &[Self],
        a_strides: [usize; 2],
        b: &[Self],
        b_strides: [usize; 2],
    ) -> O {
        let len = m.checked_mul(n).unwrap_or_else(|| {
            panic!("gemm: a {m}x{n} product has more elements than a usize counts")
        });
        let mut c = O::from_elem(Self::zero(), len);
        Self::gemm(m, k, n, a, a_strides, b, b_strides, &mut c, true);
        c
    }
}

/// `f32` and `f64`: products through the blocked kernels.
macro_rules! float_element {
    ($($ty:ty => $inline:literal),*) => {$(
        impl HostElement for $ty {
            type Inline = [$ty; $inline];

            #[inline]
            fn gemm(
                m: usize,
                k: usize,
                n: usize,
                a: &[$ty],
                a_strides: [usize; 2],
                b: &[$ty],
                b_strides: [usize; 2],
                c: &mut [$ty],
                accumulate: bool,
            ) {
                gemm::blocked(m, k, n, a, a_strides, b, b_strides, c, accumulate);
            }

            #[inline]
            fn gemm_add(
                m: usize,
                k: usize,
                n: usize,
                a: &[$ty],
                a_strides: [usize; 2],
                b: &[$ty],
                b_strides: [usize; 2],
                c: &mut [$ty],
                scale: $ty,
            ) {
                gemm::blocked_add(m, k, n, a, a_strides, b, b_strides, c, scale);
            }

            #[inline(always)]
            fn gemm_new<O: HostBuffer<$ty>>(
                m: usize,
                k: usize,
                n: usize,
                a: &[$ty],
                a_strides: [usize; 2],
                b: &[$ty],
                b_strides: [usize; 2],
            ) -> O {
                gemm::blocked_new(m, k, n, a, a_strides, b, b_strides)
            }
        }
    )*};
}

// Inline capacities of 256 bytes: the seed's `Dense<10, 5>` weight (50 `f32`)
// and every smaller tensor stay on the stack.
float_element!(f32 => 64, f64 => 32);

/// Dual numbers: products of large matrices through their parts (see
/// [`planar`]), small ones through the plain loop.
macro_rules! dual_element {
    ($($ty:ident),*) => {$(
        impl<T: HostElement> HostElement for $ty<T>
        where
            $ty<T>: DualNum + Copy + Send + Sync,
        {
            type Inline = [Self; 8];

            #[inline]
            fn gemm(
                m: usize,
                k: usize,
                n: usize,
                a: &[Self],
                a_strides: [usize; 2],
                b: &[Self],
                b_strides: [usize; 2],
                c: &mut [Self],
                accumulate: bool,
            ) {
                if m.saturating_mul(k).saturating_mul(n) < planar::PLANAR_MIN {
                    gemm::naive(m, k, n, a, a_strides, b, b_strides, c, accumulate);
                } else {
                    planar::gemm(m, k, n, a, a_strides, b, b_strides, c, accumulate, T::one());
                }
            }

            #[inline]
            fn gemm_add(
                m: usize,
                k: usize,
                n: usize,
                a: &[Self],
                a_strides: [usize; 2],
                b: &[Self],
                b_strides: [usize; 2],
                c: &mut [Self],
                scale: Self,
            ) {
                let real = (1..<Self as Planar>::PARTS).all(|p| scale.get(p) == T::zero());
                if !real || m.saturating_mul(k).saturating_mul(n) < planar::PLANAR_MIN {
                    gemm::naive_add(m, k, n, a, a_strides, b, b_strides, c, scale);
                } else {
                    planar::gemm(m, k, n, a, a_strides, b, b_strides, c, true, scale.get(0));
                }
            }
        }
    )*};
}

dual_element!(Dual, Dual2, Dual3, HyperDual);

impl<T: HostElement> HostElement for HyperHyperDual<T>
where
    HyperHyperDual<T>: DualNum + Copy + Send + Sync,
{
    type Inline = [Self; 8];
}

impl<T: HostElement, const N: usize> HostElement for DualVec<T, nalgebra::Const<N>>
where
    DualVec<T, nalgebra::Const<N>>: DualNum + Copy + Send + Sync,
{
    type Inline = [Self; 4];
}
