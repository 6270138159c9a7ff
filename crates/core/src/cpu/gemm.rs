//! Matrix products on the CPU.

#[cfg(target_arch = "x86_64")]
use crate::cpu::transpose;
use crate::cpu::{HostBuffer, cache};
use crate::element::Element;
use core::ops::{Add, Mul};
use num_traits::Zero;

/// Products up to this many multiply-adds run as a plain loop: the blocked
/// kernel's dispatch and packing cost more than they save on tiny matrices.
/// Measured on AVX-512: the loop wins at 8×8×8, ties at 10×10×10, and is four
/// times slower at 16×16×16 (it is compiled for the baseline instruction set).
const SMALL: usize = 1024;

/// Matrix-vector products up to this many multiply-adds also run as the loop,
/// which streams each column of the matrix once and beats the blocked kernel's
/// matrix-vector path up to 64×64.
const SMALL_MATVEC: usize = 4096;

/// Whether a product is small enough for the plain loop.
#[inline(always)]
fn is_small(m: usize, k: usize, n: usize) -> bool {
    // Saturating: sizes whose product overflows are not small, and go to
    // the kernel path, which checks them against its buffers.
    let work = m.saturating_mul(k).saturating_mul(n);
    work <= SMALL || (n == 1 && work <= SMALL_MATVEC)
}

/// Column-major `c (m×n) = a (m×k) · b (k×n)`, operands addressed by
/// `[row stride, column stride]`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn naive<E: Copy + Zero + Add<Output = E> + Mul<Output = E>>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    a_strides: [usize; 2],
    b: &[E],
    b_strides: [usize; 2],
    c: &mut [E],
    accumulate: bool,
) {
    naive_scaled(m, k, n, a, a_strides, b, b_strides, c, accumulate, |x| x);
}

/// The plain loop with each element of `b` passed through `scale_b` as it
/// is read: `c (+)= a · scale_b(b)`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn naive_scaled<E: Copy + Zero + Add<Output = E> + Mul<Output = E>>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    [ars, acs]: [usize; 2],
    b: &[E],
    [brs, bcs]: [usize; 2],
    c: &mut [E],
    accumulate: bool,
    scale_b: impl Fn(E) -> E,
) {
    debug_assert!(c.len() >= m * n);
    if !accumulate {
        c[..m * n].iter_mut().for_each(|x| *x = E::zero());
    }
    for j in 0..n {
        let col = &mut c[j * m..(j + 1) * m];
        for p in 0..k {
            let bpj = scale_b(b[p * brs + j * bcs]);
            if ars == 1 {
                let a_col = &a[p * acs..p * acs + m];
                for (ci, &ai) in col.iter_mut().zip(a_col) {
                    *ci = *ci + ai * bpj;
                }
            } else {
                for (i, ci) in col.iter_mut().enumerate() {
                    *ci = *ci + a[i * ars + p * acs] * bpj;
                }
            }
        }
    }
}

/// The same product through the `gemm` crate's blocked kernels, which pick the
/// widest vector instructions the processor has at run time (AVX-512 included)
/// and split large products over all cores.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn blocked<E: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    a_strides: [usize; 2],
    b: &[E],
    b_strides: [usize; 2],
    c: &mut [E],
    accumulate: bool,
) {
    if is_small(m, k, n) {
        return naive(m, k, n, a, a_strides, b, b_strides, c, accumulate);
    }
    into_slice(m, k, n, a, a_strides, b, b_strides, c, accumulate, E::one());
}

/// `c += scale · a · b`, in one pass over `c` where the blocked kernel runs
/// (gemm reads each block of `c` as it writes it); a small product runs the
/// plain loop, adding into `c` directly.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn blocked_add<E: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    a_strides: [usize; 2],
    b: &[E],
    b_strides: [usize; 2],
    c: &mut [E],
    scale: E,
) {
    if is_small(m, k, n) {
        return naive_add(m, k, n, a, a_strides, b, b_strides, c, scale);
    }
    into_slice(m, k, n, a, a_strides, b, b_strides, c, true, scale);
}

/// [`gemm_into`] on a slice, which is checked to hold the `m × n` output.
#[allow(clippy::too_many_arguments)]
#[inline]
fn into_slice<E: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    a_strides: [usize; 2],
    b: &[E],
    b_strides: [usize; 2],
    c: &mut [E],
    read_dst: bool,
    scale: E,
) {
    assert!(
        m.checked_mul(n).is_some_and(|len| c.len() >= len),
        "gemm: a destination of {} elements for a {m}x{n} product",
        c.len()
    );
    // SAFETY: `c` holds at least `m × n` initialised elements (checked
    // above without overflow) and, borrowed mutably, aliases neither operand.
    unsafe {
        gemm_into(
            m,
            k,
            n,
            a,
            a_strides,
            b,
            b_strides,
            c.as_mut_ptr(),
            read_dst,
            scale,
        )
    }
}

/// `c += scale · a · b` by the plain loop, scaling `b`'s elements as they
/// are read, so that no temporary is allocated.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn naive_add<E: Element>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    a_strides: [usize; 2],
    b: &[E],
    b_strides: [usize; 2],
    c: &mut [E],
    scale: E,
) {
    naive_scaled(m, k, n, a, a_strides, b, b_strides, c, true, |x| scale * x);
}

/// The product as a new buffer. A small product runs the plain loop inline
/// at its call site, where static sizes are constants the compiler unrolls;
/// a larger one goes to [`blocked_new_large`].
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn blocked_new<E: Float + Element, O: HostBuffer<E>>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    a_strides: [usize; 2],
    b: &[E],
    b_strides: [usize; 2],
) -> O {
    if is_small(m, k, n) {
        let mut c = O::from_elem(E::zero(), m * n);
        naive(m, k, n, a, a_strides, b, b_strides, &mut c, true);
        return c;
    }
    blocked_new_large(m, k, n, a, a_strides, b, b_strides)
}

/// A product that is not small, as a new buffer. Where the blocked kernel
/// runs, it writes the output into fresh, unzeroed memory: zeroing first,
/// then adding, cost 5 % at 64³ and 8 % at 256³ against gemm writing its
/// result directly.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn blocked_new_large<E: Float + Element, O: HostBuffer<E>>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    a_strides: [usize; 2],
    b: &[E],
    b_strides: [usize; 2],
) -> O {
    let len = m
        .checked_mul(n)
        .unwrap_or_else(|| panic!("gemm: a {m}x{n} product has more elements than a usize counts"));
    if !O::prefers_vec(len) {
        let mut c = O::from_elem(E::zero(), len);
        blocked(m, k, n, a, a_strides, b, b_strides, &mut c, true);
        return c;
    }
    let mut c = cache::take(len);
    // `c` has room for `len = m × n` elements (`take` returns at least that
    // capacity; the count was checked not to overflow) and is a fresh
    // allocation, so it aliases neither operand. The product is not small,
    // so `k > 0`, and with `read_dst` false gemm writes every element of the
    // column-major `m × n` destination and reads none.
    // SAFETY: by the above, all `len` elements are written when the length is set.
    unsafe {
        gemm_into(
            m,
            k,
            n,
            a,
            a_strides,
            b,
            b_strides,
            c.as_mut_ptr(),
            false,
            E::one(),
        );
        c.set_len(len);
    }
    O::from_vec(c)
}

/// The element types the `gemm` crate computes with (`f32`, `f64`); it panics
/// on any other.
pub(crate) trait Float:
    Element + Copy + Zero + num_traits::One + Add<Output = Self> + Mul<Output = Self> + 'static
{
    /// The left operand copied into column-major order, where the product
    /// reads it row-major (`a_strides` `[row stride, 1]`) and the copy pays
    /// for itself; `None` to hand it to gemm as it is.
    #[inline]
    fn column_major_lhs(
        _m: usize,
        _k: usize,
        _n: usize,
        _a: &[Self],
        _a_strides: [usize; 2],
    ) -> Option<Vec<Self>> {
        None
    }
}

/// The smallest `m`, `k` and `n` of a product whose row-major left operand
/// is copied first. Measured with the `matmul` bench's transposed group
/// (docs/PERFORMANCE.md, "Transposed left operands"): the copy won in every
/// run at 512 × 512 × 128 and 1024 × 1024 × 256, and won or broke even at
/// 256 × 256 × 64; below that the copy costs about what it saves.
#[cfg(target_arch = "x86_64")]
const COPY_LHS_FROM: [usize; 3] = [256, 256, 64];

#[cfg(target_arch = "x86_64")]
impl Float for f32 {
    #[inline]
    fn column_major_lhs(
        m: usize,
        k: usize,
        n: usize,
        a: &[f32],
        [row_stride, column_stride]: [usize; 2],
    ) -> Option<Vec<f32>> {
        let [min_m, min_k, min_n] = COPY_LHS_FROM;
        let pays = column_stride == 1
            && row_stride >= k
            && m >= min_m
            && k >= min_k
            && n >= min_n
            && transpose::available();
        pays.then(|| transpose::rows_to_columns(m, k, a, row_stride))
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl Float for f32 {}

impl Float for f64 {}

/// `c (m×n) = scale · a · b`, or `c += scale · a · b` when `read_dst`,
/// through `gemm`.
///
/// # Safety
/// `c` must be valid for writes of `m × n` elements, column-major with column
/// stride `m`, and for reads of them too when `read_dst`; it must not overlap
/// `a` or `b`. The operands' extents are checked here.
#[allow(clippy::too_many_arguments)]
#[inline]
unsafe fn gemm_into<E: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    a_strides: [usize; 2],
    b: &[E],
    b_strides: [usize; 2],
    c: *mut E,
    read_dst: bool,
    scale: E,
) {
    if m == 0 || n == 0 {
        return;
    }
    let copied = E::column_major_lhs(m, k, n, a, a_strides);
    let (a, a_strides) = match &copied {
        Some(columns) => (&columns[..], [1, m]),
        None => (a, a_strides),
    };
    if k > 0 {
        assert!(holds(a, m, k, a_strides), "gemm: lhs too short for {m}x{k}");
        assert!(holds(b, k, n, b_strides), "gemm: rhs too short for {k}x{n}");
    }
    assert!(
        a_strides
            .iter()
            .chain(&b_strides)
            .all(|&s| isize::try_from(s).is_ok()),
        "gemm: strides past isize::MAX"
    );
    // gemm splits a product over the cores from its own threshold on (about
    // 84³ multiply-adds for f32), checked per block; below it, `None` keeps the
    // call from starting rayon's thread pool. A higher threshold of our own cost
    // a fifth of the speed at 112³ (107 against 134 GFLOP/s on two cores).
    let parallelism = if m * k * n >= gemm::get_threading_threshold() {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // `gemm` computes `dst := alpha·dst + beta·lhs·rhs`, strides in elements,
    // column stride first, reading `dst` only when `read_dst`.
    // The asserts above (in release builds too, computed without overflow)
    // keep every operand address gemm computes from the dimensions and
    // strides inside `a` and `b`, and every stride within an `isize`; the
    // caller vouches for `c`, a column-major destination with positive
    // strides as the kernel expects. `E` is `f32` or `f64`, both of which
    // `gemm` computes with.
    // SAFETY: by the above, every address gemm reads or writes is in bounds.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c,
            m as isize,
            1,
            read_dst,
            a.as_ptr(),
            a_strides[1] as isize,
            a_strides[0] as isize,
            b.as_ptr(),
            b_strides[1] as isize,
            b_strides[0] as isize,
            if read_dst { E::one() } else { E::zero() },
            scale,
            false,
            false,
            false,
            parallelism,
        );
    }
    if let Some(columns) = copied {
        cache::give(columns);
    }
}

/// Whether `data` holds element `[i, j]` of a `rows × cols` operand at
/// `i · strides[0] + j · strides[1]` for every `i < rows` and `j < cols`,
/// computed without overflow.
fn holds<E>(data: &[E], rows: usize, cols: usize, [rs, cs]: [usize; 2]) -> bool {
    if rows == 0 || cols == 0 {
        return true;
    }
    let last = (rows - 1)
        .checked_mul(rs)
        .zip((cols - 1).checked_mul(cs))
        .and_then(|(r, c)| r.checked_add(c));
    last.is_some_and(|last| last < data.len())
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn a_row_major_f32_lhs_is_copied_only_where_it_pays() {
        let a = vec![1.0f32; 256 * 256];
        let copied = |m, k, n, strides| f32::column_major_lhs(m, k, n, &a, strides).is_some();
        assert_eq!(copied(256, 256, 64, [256, 1]), transpose::available());
        assert!(!copied(256, 256, 64, [1, 256]), "already column-major");
        assert!(!copied(256, 256, 63, [256, 1]), "too few columns");
        assert!(
            !copied(256, 255, 64, [255, 1]),
            "too short an inner dimension"
        );
        assert!(!copied(255, 256, 64, [256, 1]), "too few rows");
        let wide = vec![1.0f64; 256 * 256];
        assert!(f64::column_major_lhs(256, 256, 64, &wide, [256, 1]).is_none());
    }
}
