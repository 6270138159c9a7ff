//! Benchmarks for typeflux; the benchmark targets are the files beside this one.
//! Run them with `cargo bench -p typeflux-benches` (or `cargo bench --bench NAME`
//! from the workspace root).
//!
//! The baselines' shared pieces live here.

/// A column-major `m × n` product `c = op(a) · op(b)` straight through
/// `gemm`, on the cores of the current pool: `a` is stored `m × k`, or
/// `k × m` and read transposed when `a_t`; `b` is stored `k × n`, or `n × k`
/// and read transposed when `b_t`. The result overwrites `c`.
pub fn raw_gemm(
    c: &mut [f32],
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    a_t: bool,
    b: &[f32],
    b_t: bool,
) {
    assert!(c.len() >= m * n && a.len() >= m * k && b.len() >= k * n);
    // Column and row strides of the operands as stored.
    let (a_cs, a_rs) = if a_t { (1, k) } else { (m, 1) };
    let (b_cs, b_rs) = if b_t { (1, n) } else { (k, 1) };
    // SAFETY: the strides address an m × k `a`, a k × n `b` and an m × n `c`
    // inside slices at least that long (asserted above); `c` does not alias.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            m as isize,
            1,
            false,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(0),
        );
    }
}
