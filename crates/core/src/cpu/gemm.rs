//! Matrix products on the CPU.

use core::ops::{Add, Mul};
use num_traits::Zero;

/// Products below this many multiply-adds run as a plain loop: the blocked
/// kernel's packing costs more than it saves on tiny matrices.
const SMALL: usize = 4096;

/// Products from this many multiply-adds up use every core.
const PARALLEL: usize = 1 << 21;

/// Column-major `c (m×n) = a (m×k) · b (k×n)`, operands addressed by
/// `[row stride, column stride]`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn naive<E: Copy + Zero + Add<Output = E> + Mul<Output = E>>(
    m: usize,
    k: usize,
    n: usize,
    a: &[E],
    [ars, acs]: [usize; 2],
    b: &[E],
    [brs, bcs]: [usize; 2],
    c: &mut [E],
    accumulate: bool,
) {
    debug_assert!(c.len() >= m * n);
    if !accumulate {
        c[..m * n].iter_mut().for_each(|x| *x = E::zero());
    }
    for j in 0..n {
        let col = &mut c[j * m..(j + 1) * m];
        for p in 0..k {
            let bpj = b[p * brs + j * bcs];
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
pub(crate) fn blocked<
    E: Copy + Zero + num_traits::One + Add<Output = E> + Mul<Output = E> + 'static,
>(
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
    let work = m * n * k;
    if work <= SMALL {
        return naive(m, k, n, a, a_strides, b, b_strides, c, accumulate);
    }
    assert!(c.len() >= m * n);
    if k > 0 {
        assert!(a.len() > (m - 1) * a_strides[0] + (k - 1) * a_strides[1]);
        assert!(b.len() > (k - 1) * b_strides[0] + (n - 1) * b_strides[1]);
    }
    let parallelism = if work >= PARALLEL {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the asserts above keep every address gemm computes from the
    // dimensions and strides inside the three slices; `c` is borrowed mutably
    // and so does not alias `a` or `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            m as isize,
            1,
            accumulate,
            a.as_ptr(),
            a_strides[1] as isize,
            a_strides[0] as isize,
            b.as_ptr(),
            b_strides[1] as isize,
            b_strides[0] as isize,
            if accumulate { E::one() } else { E::zero() },
            E::one(),
            false,
            false,
            false,
            parallelism,
        );
    }
}
