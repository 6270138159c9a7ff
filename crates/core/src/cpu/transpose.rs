//! Copying a row-major `f32` operand into column-major order, for products
//! whose left operand is read transposed.
//!
//! The `gemm` crate multiplies a column-major left operand without packing
//! it, but packs a row-major one element by element. A layer's input
//! gradient `Wᵀ·dz` is such a product: with a 1024 × 1024 `W` and a batch of
//! 256 it ran 1.6–2.0 times as long as the same product on a column-major
//! copy of `Wᵀ`. Making that copy first, with AVX-512 16 × 16 block
//! transposes split over the pool, `t_matmul` takes 0.62–0.89 of the time
//! gemm takes on the row-major operand (docs/PERFORMANCE.md, "Transposed
//! left operands").
//!
//! The module exists on x86-64 only; elsewhere products keep gemm's path.

use crate::cpu::cache;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Side of the square blocks transposed in registers (16 `f32` lanes).
const BLOCK: usize = 16;
/// Output columns per piece of work handed to the pool.
const COLUMNS_PER_TASK: usize = 64;
/// From this many elements the copy is split over the pool.
const MIN_PARALLEL: usize = 1 << 16;

/// Whether the copy is available: it needs AVX-512F, checked once per call
/// (the standard library caches the answer).
#[inline]
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

/// The `m × k` matrix whose element `(i, p)` is `a[i * row_stride + p]`,
/// copied into a new column-major buffer (element `(i, p)` at `i + p * m`).
///
/// # Panics
/// If `a` is too short for the shape and stride, or if [`available`] is
/// false.
pub(crate) fn rows_to_columns(m: usize, k: usize, a: &[f32], row_stride: usize) -> Vec<f32> {
    assert!(available(), "rows_to_columns needs AVX-512F");
    if m == 0 || k == 0 {
        return Vec::new();
    }
    let extent = (m - 1)
        .checked_mul(row_stride)
        .and_then(|rows| rows.checked_add(k));
    assert!(
        row_stride >= k && extent.is_some_and(|extent| a.len() >= extent),
        "rows_to_columns: {} elements for {m}x{k} with row stride {row_stride}",
        a.len()
    );
    // No overflow: `m × k` elements are fewer than `a` holds.
    let len = m * k;
    let mut out = cache::take(len);
    let slots = &mut out.spare_capacity_mut()[..len];
    let task = |(t, columns): (usize, &mut [MaybeUninit<f32>])| {
        let p0 = t * COLUMNS_PER_TASK;
        let width = columns.len() / m;
        // The chunks are whole columns, none past the last: what `columns`
        // relies on, checked next to the work of a whole block of columns.
        assert!(columns.len() == width * m && p0 + width <= k);
        // AVX-512F is present (asserted above); `columns` holds output
        // columns `p0 .. p0 + width`, `m` slots each, with `p0 + width <= k`
        // (asserted just above); the source holds every `(i, p)` with
        // `i < m`, `p < k` (asserted on entry).
        // SAFETY: by the above, the kernel stays inside both buffers.
        unsafe { avx512::columns(m, p0, width, a, row_stride, columns) };
    };
    if len >= MIN_PARALLEL && rayon::current_num_threads() > 1 {
        slots
            .par_chunks_mut(COLUMNS_PER_TASK * m)
            .enumerate()
            .for_each(task);
    } else {
        slots
            .chunks_mut(COLUMNS_PER_TASK * m)
            .enumerate()
            .for_each(task);
    }
    // The pieces cover all `len` slots (`chunks_mut` over the `len` slots,
    // every one handed to `task`) and `columns` writes every slot of its
    // piece: the whole blocks, then the rows and columns left over.
    // SAFETY: so all `len` slots are written when the length is set.
    unsafe { out.set_len(len) };
    out
}

mod avx512 {
    use super::BLOCK;
    use core::arch::x86_64::*;
    use std::mem::MaybeUninit;

    /// Writes output columns `p0 .. p0 + width` (each `m` long, stored one
    /// after another in `out`) of the column-major copy of the row-major
    /// `a`.
    ///
    /// # Safety
    /// AVX-512F must be present; `out` must hold `width * m` slots, and `a`
    /// must hold element `(i, p)` at `i * row_stride + p` for every `i < m`
    /// and `p < p0 + width`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn columns(
        m: usize,
        p0: usize,
        width: usize,
        a: &[f32],
        row_stride: usize,
        out: &mut [MaybeUninit<f32>],
    ) {
        let src = a.as_ptr();
        let dst = out.as_mut_ptr().cast::<f32>();
        let (full_rows, full_cols) = (m / BLOCK * BLOCK, width / BLOCK * BLOCK);
        for i in (0..full_rows).step_by(BLOCK) {
            for q in (0..full_cols).step_by(BLOCK) {
                // SAFETY: rows `i .. i + 16` and columns `p0 + q ..` of the
                // source, and output columns `q .. q + 16` at rows
                // `i .. i + 16`, are inside the extents the caller vouches for.
                unsafe {
                    block(
                        src.add(i * row_stride + p0 + q),
                        row_stride,
                        dst.add(i + q * m),
                        m,
                    )
                };
            }
        }
        // The rows and columns the whole blocks leave over, one by one.
        for q in 0..width {
            let from_row = if q < full_cols { full_rows } else { 0 };
            for i in from_row..m {
                // SAFETY: as above, element by element.
                unsafe { *dst.add(i + q * m) = *src.add(i * row_stride + p0 + q) };
            }
        }
    }

    /// Transposes one 16 × 16 block: row `r` of the source (16 floats at
    /// `src + r * src_stride`) becomes column `r` of the destination (the
    /// `r`-th float of the 16 at `dst + c * dst_stride`, for every `c`).
    ///
    /// # Safety
    /// AVX-512F must be present, and all 16 rows of both blocks in bounds.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn block(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
        let mut r = [_mm512_setzero_ps(); BLOCK];
        for (x, row) in r.iter_mut().enumerate() {
            // SAFETY: row `x` of the source block is in bounds.
            *row = unsafe { _mm512_loadu_ps(src.add(x * src_stride)) };
        }
        // Interleave pairs of rows lane by lane, then pairs of pairs as
        // 64-bit units, then 128-bit quarters twice: after the four rounds
        // register `c` holds column `c` of the block.
        let mut t = [_mm512_setzero_ps(); BLOCK];
        for x in 0..8 {
            t[2 * x] = _mm512_unpacklo_ps(r[2 * x], r[2 * x + 1]);
            t[2 * x + 1] = _mm512_unpackhi_ps(r[2 * x], r[2 * x + 1]);
        }
        for x in 0..4 {
            let [a, b, c, d] = [t[4 * x], t[4 * x + 1], t[4 * x + 2], t[4 * x + 3]];
            let (a, b, c, d) = (
                _mm512_castps_pd(a),
                _mm512_castps_pd(b),
                _mm512_castps_pd(c),
                _mm512_castps_pd(d),
            );
            r[4 * x] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
            r[4 * x + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
            r[4 * x + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
            r[4 * x + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
        }
        for x in 0..2 {
            for y in 0..4 {
                let (a, b) = (r[8 * x + y], r[8 * x + 4 + y]);
                t[8 * x + y] = _mm512_shuffle_f32x4(a, b, 0x88);
                t[8 * x + 4 + y] = _mm512_shuffle_f32x4(a, b, 0xdd);
            }
        }
        for y in 0..8 {
            r[y] = _mm512_shuffle_f32x4(t[y], t[8 + y], 0x88);
            r[8 + y] = _mm512_shuffle_f32x4(t[y], t[8 + y], 0xdd);
        }
        for (c, column) in r.iter().enumerate() {
            // SAFETY: column `c` of the destination block is in bounds.
            unsafe { _mm512_storeu_ps(dst.add(c * dst_stride), *column) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct values, so that any misplaced element shows.
    fn source(m: usize, row_stride: usize) -> Vec<f32> {
        (0..m * row_stride).map(|x| x as f32).collect()
    }

    fn check(m: usize, k: usize, row_stride: usize) {
        let a = source(m, row_stride);
        let out = rows_to_columns(m, k, &a, row_stride);
        assert_eq!(out.len(), m * k);
        for p in 0..k {
            for i in 0..m {
                assert_eq!(
                    out[i + p * m],
                    a[i * row_stride + p],
                    "{m} × {k}, row stride {row_stride}: element ({i}, {p})"
                );
            }
        }
    }

    #[test]
    fn every_element_lands_in_its_place() {
        if !available() {
            eprintln!("no AVX-512F on this processor: the copy is not used, nothing to test");
            return;
        }
        // Whole blocks, ragged edges on either side, fewer than a block,
        // rows longer than the matrix (a stride past `k`), one task and many.
        for (m, k, stride) in [
            (16, 16, 16),
            (32, 48, 48),
            (17, 16, 16),
            (16, 17, 17),
            (33, 70, 70),
            (5, 3, 3),
            (1, 40, 40),
            (40, 1, 1),
            (20, 30, 37),
            (100, 200, 200),
        ] {
            check(m, k, stride);
        }
    }

    #[test]
    fn the_split_copy_matches_on_one_thread_and_two() {
        if !available() {
            eprintln!("no AVX-512F on this processor: the copy is not used, nothing to test");
            return;
        }
        // Past `MIN_PARALLEL`, with a last task narrower than the others.
        let (m, k) = (300, 250);
        assert!(m * k >= MIN_PARALLEL && k % COLUMNS_PER_TASK != 0);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| check(m, k, k + 3));
        }
    }

    #[test]
    fn a_stride_whose_extent_overflows_is_refused() {
        if !available() {
            return;
        }
        // `(m - 1) · stride + k` wraps around to 0: not a source of 4 elements.
        let refused = std::panic::catch_unwind(|| rows_to_columns(2, 1, &[0.0; 4], usize::MAX));
        let message = *refused.unwrap_err().downcast::<String>().unwrap();
        assert_eq!(
            message,
            "rows_to_columns: 4 elements for 2x1 with row stride 18446744073709551615"
        );
    }

    #[test]
    fn empty_shapes_give_empty_buffers() {
        if !available() {
            return;
        }
        assert!(rows_to_columns(0, 5, &[], 5).is_empty());
        assert!(rows_to_columns(5, 0, &[], 0).is_empty());
    }
}
