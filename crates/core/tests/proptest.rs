//! Properties on random shapes and values, each against a plain loop written here.
//!
//! Shapes use runtime dims (`usize`) so that one test covers every size, from the
//! small-product loop to the blocked gemm and its multi-threaded path.

use proptest::collection::vec;
use proptest::prelude::*;
use typeflux_core::prelude::*;

/// A column-major `rows × cols` matrix of values in [-1, 1].
#[derive(Clone, Debug)]
struct Data {
    rows: usize,
    cols: usize,
    values: Vec<f64>,
}

impl Data {
    fn at(&self, r: usize, c: usize) -> f64 {
        self.values[r + c * self.rows]
    }

    fn matrix<E: Float>(&self) -> Tensor<(usize, usize), E> {
        let values = self.values.iter().map(|&x| E::round(x)).collect();
        Tensor::from_vec((self.rows, self.cols), values).unwrap()
    }

    fn vector<E: Float>(&self) -> Tensor<(usize,), E> {
        let values = self.values.iter().map(|&x| E::round(x)).collect();
        Tensor::from_vec((self.rows * self.cols,), values).unwrap()
    }
}

fn data(rows: usize, cols: usize) -> impl Strategy<Value = Data> {
    vec(-1.0f64..1.0, rows * cols).prop_map(move |values| Data { rows, cols, values })
}

/// The element types under test, with the rounding unit used in tolerances.
trait Float: Element + Into<f64> {
    const EPSILON: f64;
    fn round(x: f64) -> Self;
}

impl Float for f32 {
    const EPSILON: f64 = f32::EPSILON as f64;
    fn round(x: f64) -> Self {
        x as f32
    }
}

impl Float for f64 {
    const EPSILON: f64 = f64::EPSILON;
    fn round(x: f64) -> Self {
        x
    }
}

/// The operands rounded to `E`, so the reference sees exactly what the kernel
/// sees.
fn rounded<E: Float>(d: &Data) -> Data {
    Data {
        values: d.values.iter().map(|&x| E::round(x).into()).collect(),
        ..d.clone()
    }
}

/// The reference product `op(a) · op(b)` as an `m × n` column-major `Vec`, with
/// `Σ_p |a_ip · b_pj|` per entry, by the textbook triple loop in f64.
fn reference(
    m: usize,
    k: usize,
    n: usize,
    a: impl Fn(usize, usize) -> f64,
    b: impl Fn(usize, usize) -> f64,
) -> (Vec<f64>, Vec<f64>) {
    let mut c = vec![0.0; m * n];
    let mut magnitude = vec![0.0; m * n];
    for j in 0..n {
        for i in 0..m {
            for p in 0..k {
                c[i + j * m] += a(i, p) * b(p, j);
                magnitude[i + j * m] += (a(i, p) * b(p, j)).abs();
            }
        }
    }
    (c, magnitude)
}

/// Every entry within the forward error bound of a length-`k` dot product in
/// `E`, `k · ε · Σ|a·b|`, plus the reference's own f64 rounding.
fn assert_product_close<E: Float>(
    got: &[E],
    (want, magnitude): &(Vec<f64>, Vec<f64>),
    k: usize,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len());
    for (idx, ((&g, &w), &mag)) in got.iter().zip(want).zip(magnitude).enumerate() {
        let g: f64 = g.into();
        let tol = (k as f64 * E::EPSILON + 2.0 * k as f64 * f64::EPSILON) * mag + 1e-300;
        prop_assert!(
            (g - w).abs() <= tol,
            "entry {}: got {}, want {} (tolerance {})",
            idx,
            g,
            w,
            tol
        );
    }
    Ok(())
}

fn check_matmul<E: Float>(a: &Data, b: &Data) -> Result<(), TestCaseError> {
    let (ra, rb) = (rounded::<E>(a), rounded::<E>(b));
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let want = reference(m, k, n, |i, p| ra.at(i, p), |p, j| rb.at(p, j));
    let c = a.matrix::<E>().matmul(&b.matrix::<E>());
    prop_assert_eq!(c.shape(), (m, n));
    assert_product_close(c.as_slice(), &want, k)
}

/// `at` is stored `k × m`; `at.t_matmul(b)` is `atᵀ · b`.
fn check_t_matmul<E: Float>(at: &Data, b: &Data) -> Result<(), TestCaseError> {
    let (ra, rb) = (rounded::<E>(at), rounded::<E>(b));
    let (k, m, n) = (at.rows, at.cols, b.cols);
    let want = reference(m, k, n, |i, p| ra.at(p, i), |p, j| rb.at(p, j));
    let c = at.matrix::<E>().t_matmul(&b.matrix::<E>());
    prop_assert_eq!(c.shape(), (m, n));
    assert_product_close(c.as_slice(), &want, k)
}

/// `bt` is stored `n × k`; `a.matmul_t(bt)` is `a · btᵀ`.
fn check_matmul_t<E: Float>(a: &Data, bt: &Data) -> Result<(), TestCaseError> {
    let (ra, rb) = (rounded::<E>(a), rounded::<E>(bt));
    let (m, k, n) = (a.rows, a.cols, bt.rows);
    let want = reference(m, k, n, |i, p| ra.at(i, p), |p, j| rb.at(j, p));
    let c = a.matrix::<E>().matmul_t(&bt.matrix::<E>());
    prop_assert_eq!(c.shape(), (m, n));
    assert_product_close(c.as_slice(), &want, k)
}

/// `v` is a `k × 1` column.
fn check_matvec<E: Float>(a: &Data, v: &Data) -> Result<(), TestCaseError> {
    let (ra, rv) = (rounded::<E>(a), rounded::<E>(v));
    let (m, k) = (a.rows, a.cols);
    let want = reference(m, k, 1, |i, p| ra.at(i, p), |p, _| rv.at(p, 0));
    let c = a.matrix::<E>().matmul(&v.vector::<E>());
    prop_assert_eq!(c.shape(), (m,));
    assert_product_close(c.as_slice(), &want, k)
}

/// `u` is `m × 1`, `v` is `n × 1`.
fn check_outer<E: Float>(u: &Data, v: &Data) -> Result<(), TestCaseError> {
    let (ru, rv) = (rounded::<E>(u), rounded::<E>(v));
    let (m, n) = (u.rows, v.rows);
    let want = reference(m, 1, n, |i, _| ru.at(i, 0), |_, j| rv.at(j, 0));
    let c = u.vector::<E>().outer(&v.vector::<E>());
    prop_assert_eq!(c.shape(), (m, n));
    assert_product_close(c.as_slice(), &want, 1)
}

/// `u` is `m × 1`, `a` is `m × n`; `u.vecmat(a)` is `uᵀ · a`.
fn check_vecmat<E: Float>(u: &Data, a: &Data) -> Result<(), TestCaseError> {
    let (ru, ra) = (rounded::<E>(u), rounded::<E>(a));
    let (m, n) = (a.rows, a.cols);
    let want = reference(1, m, n, |_, p| ru.at(p, 0), |p, j| ra.at(p, j));
    let c = u.vector::<E>().vecmat(&a.matrix::<E>());
    prop_assert_eq!(c.shape(), (n,));
    assert_product_close(c.as_slice(), &want, m)
}

/// Sizes from 1 to 80, half of them at most 12: products from one multiply-add
/// to 512 000, through the small-product loop and the blocked gemm.
fn dims() -> impl Strategy<Value = (usize, usize, usize)> {
    prop_oneof![
        (1usize..=12, 1usize..=12, 1usize..=12),
        (1usize..=80, 1usize..=80, 1usize..=80),
    ]
}

/// Sizes from 84 on, where gemm splits the product over threads.
fn large_dims() -> impl Strategy<Value = (usize, usize, usize)> {
    (84usize..=130, 84usize..=130, 84usize..=130)
}

fn two(
    shape: impl Strategy<Value = (usize, usize, usize)>,
    a: fn(usize, usize, usize) -> (usize, usize),
    b: fn(usize, usize, usize) -> (usize, usize),
) -> impl Strategy<Value = (Data, Data)> {
    shape.prop_flat_map(move |(m, k, n)| {
        let ((ar, ac), (br, bc)) = (a(m, k, n), b(m, k, n));
        (data(ar, ac), data(br, bc))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn matmul_equals_the_triple_loop(
        (a, b) in two(dims(), |m, k, _| (m, k), |_, k, n| (k, n)),
    ) {
        check_matmul::<f32>(&a, &b)?;
        check_matmul::<f64>(&a, &b)?;
    }

    #[test]
    fn t_matmul_equals_the_triple_loop(
        (at, b) in two(dims(), |m, k, _| (k, m), |_, k, n| (k, n)),
    ) {
        check_t_matmul::<f32>(&at, &b)?;
        check_t_matmul::<f64>(&at, &b)?;
    }

    #[test]
    fn matmul_t_equals_the_triple_loop(
        (a, bt) in two(dims(), |m, k, _| (m, k), |_, k, n| (n, k)),
    ) {
        check_matmul_t::<f32>(&a, &bt)?;
        check_matmul_t::<f64>(&a, &bt)?;
    }

    #[test]
    fn matrix_vector_equals_the_loop(
        (a, v) in two(dims(), |m, k, _| (m, k), |_, k, _| (k, 1)),
    ) {
        check_matvec::<f32>(&a, &v)?;
        check_matvec::<f64>(&a, &v)?;
    }

    #[test]
    fn outer_equals_the_loop(
        (u, v) in two(dims(), |m, _, _| (m, 1), |_, _, n| (n, 1)),
    ) {
        check_outer::<f32>(&u, &v)?;
        check_outer::<f64>(&u, &v)?;
    }

    #[test]
    fn vecmat_equals_the_loop(
        (u, a) in two(dims(), |m, _, _| (m, 1), |m, _, n| (m, n)),
    ) {
        check_vecmat::<f32>(&u, &a)?;
        check_vecmat::<f64>(&u, &a)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn large_matmul_equals_the_triple_loop(
        (a, b) in two(large_dims(), |m, k, _| (m, k), |_, k, n| (k, n)),
    ) {
        check_matmul::<f32>(&a, &b)?;
        check_matmul::<f64>(&a, &b)?;
    }

    #[test]
    fn large_t_matmul_equals_the_triple_loop(
        (at, b) in two(large_dims(), |m, k, _| (k, m), |_, k, n| (k, n)),
    ) {
        check_t_matmul::<f32>(&at, &b)?;
        check_t_matmul::<f64>(&at, &b)?;
    }

    #[test]
    fn large_matmul_t_equals_the_triple_loop(
        (a, bt) in two(large_dims(), |m, k, _| (m, k), |_, k, n| (n, k)),
    ) {
        check_matmul_t::<f32>(&a, &bt)?;
        check_matmul_t::<f64>(&a, &bt)?;
    }
}

/// A matrix of random size, up to 40 × 40, some sizes empty.
fn matrix() -> impl Strategy<Value = Data> {
    (0usize..=40, 0usize..=40).prop_flat_map(|(r, c)| data(r, c))
}

/// A matrix with at least one row and one column.
fn nonempty_matrix() -> impl Strategy<Value = Data> {
    (1usize..=40, 1usize..=40).prop_flat_map(|(r, c)| data(r, c))
}

/// A matrix and a vector of its row count.
fn matrix_and_column() -> impl Strategy<Value = (Data, Data)> {
    (0usize..=40, 0usize..=40).prop_flat_map(|(r, c)| (data(r, c), data(r, 1)))
}

/// Two matrices of the same random size.
fn matrix_pair() -> impl Strategy<Value = (Data, Data)> {
    (0usize..=40, 0usize..=40).prop_flat_map(|(r, c)| (data(r, c), data(r, c)))
}

/// `|got - want| ≤ n · ε · Σ|x|` for a sum of `n` f64 terms in any order.
fn assert_sum_close(got: f64, want: f64, n: usize, magnitude: f64) -> Result<(), TestCaseError> {
    let tol = n as f64 * f64::EPSILON * magnitude;
    prop_assert!(
        (got - want).abs() <= tol,
        "got {}, want {} (tolerance {})",
        got,
        want,
        tol
    );
    Ok(())
}

proptest! {
    #[test]
    fn transpose_swaps_indices_and_twice_is_identity(d in matrix()) {
        let m = d.matrix::<f64>();
        let t = m.transpose();
        prop_assert_eq!(t.shape(), (d.cols, d.rows));
        for r in 0..d.rows {
            for c in 0..d.cols {
                prop_assert_eq!(t[[c, r]], d.at(r, c));
            }
        }
        prop_assert_eq!(t.transpose(), m);
    }

    #[test]
    fn static_reshapes_round_trip(values in vec(-1.0f32..1.0, 48)) {
        let m = Matrix::<6, 8>::try_from_slice(&values).unwrap();
        let r: Matrix<12, 4> = m.clone().reshape();
        let v: Vector<48> = r.clone().flatten();
        let s: Matrix<3, 16> = v.clone().reshape();
        prop_assert_eq!(r.as_slice(), values.as_slice());
        prop_assert_eq!(v.as_slice(), values.as_slice());
        prop_assert_eq!(r[[11, 3]], m[[5, 7]]);
        let back: Matrix<6, 8> = s.reshape();
        prop_assert_eq!(back, m);
    }

    #[test]
    fn runtime_reshapes_round_trip(d in matrix(), split in 1usize..=8) {
        let m = d.matrix::<f64>();
        let len = d.rows * d.cols;
        let rows = if len % split == 0 { split } else { 1 };
        let r = m.clone().try_with_shape((rows, len / rows)).unwrap();
        prop_assert_eq!(r.as_slice(), d.values.as_slice());
        let back = r.try_with_shape((d.rows, d.cols)).unwrap();
        prop_assert_eq!(back, m);
    }

    #[test]
    fn elementwise_equals_the_loop((a, b) in matrix_pair()) {
        let (x, y) = (a.matrix::<f64>(), b.matrix::<f64>());
        let sum = &x + &y;
        let diff = &x - &y;
        let prod = &x * &y;
        let quot = &x / &y;
        let affine = &x * 3.0 - 1.0;
        for i in 0..a.values.len() {
            let (p, q) = (a.values[i], b.values[i]);
            prop_assert_eq!(sum.as_slice()[i], p + q);
            prop_assert_eq!(diff.as_slice()[i], p - q);
            prop_assert_eq!(prod.as_slice()[i], p * q);
            prop_assert_eq!(quot.as_slice()[i].to_bits(), (p / q).to_bits());
            prop_assert_eq!(affine.as_slice()[i], p * 3.0 - 1.0);
        }
    }

    #[test]
    fn broadcasting_equals_the_loop((m, v) in matrix_and_column()) {
        let (x, b) = (m.matrix::<f64>(), v.vector::<f64>());
        let sum = &x + &b;
        let diff = &x - &b;
        let prod = &x * &b;
        let quot = &x / &b;
        prop_assert_eq!(sum.shape(), (m.rows, m.cols));
        for c in 0..m.cols {
            for r in 0..m.rows {
                let (p, q) = (m.at(r, c), v.values[r]);
                prop_assert_eq!(sum[[r, c]], p + q);
                prop_assert_eq!(diff[[r, c]], p - q);
                prop_assert_eq!(prod[[r, c]], p * q);
                prop_assert_eq!(quot[[r, c]].to_bits(), (p / q).to_bits());
            }
        }
    }

    #[test]
    fn sums_and_means_equal_the_loop(d in matrix()) {
        let m = d.matrix::<f64>();
        let magnitude: f64 = d.values.iter().map(|x| x.abs()).sum();
        assert_sum_close(m.sum(), d.values.iter().sum(), d.values.len(), magnitude)?;
        let per_column = m.sum_along::<0>();
        let column_means = m.mean_along::<0>();
        prop_assert_eq!(per_column.shape(), (d.cols,));
        for c in 0..d.cols {
            let want: f64 = (0..d.rows).map(|r| d.at(r, c)).sum();
            let mag: f64 = (0..d.rows).map(|r| d.at(r, c).abs()).sum();
            assert_sum_close(per_column[c], want, d.rows, mag)?;
            if d.rows > 0 {
                let n = d.rows as f64;
                assert_sum_close(column_means[c], want / n, d.rows + 1, mag / n)?;
            }
        }
        let per_row = m.sum_along::<1>();
        let row_means = m.mean_along::<1>();
        prop_assert_eq!(per_row.shape(), (d.rows,));
        for r in 0..d.rows {
            let want: f64 = (0..d.cols).map(|c| d.at(r, c)).sum();
            let mag: f64 = (0..d.cols).map(|c| d.at(r, c).abs()).sum();
            assert_sum_close(per_row[r], want, d.cols, mag)?;
            if d.cols > 0 {
                let n = d.cols as f64;
                assert_sum_close(row_means[r], want / n, d.cols + 1, mag / n)?;
            }
        }
    }

    #[test]
    fn maxima_equal_the_loop(d in nonempty_matrix()) {
        let m = d.matrix::<f32>();
        let v = rounded::<f32>(&d);
        let max = |xs: &mut dyn Iterator<Item = f64>| xs.fold(f64::NEG_INFINITY, f64::max);
        prop_assert_eq!(f64::from(m.max()), max(&mut v.values.iter().copied()));
        let per_column = m.max_along::<0>();
        for c in 0..d.cols {
            prop_assert_eq!(f64::from(per_column[c]), max(&mut (0..d.rows).map(|r| v.at(r, c))));
        }
        let per_row = m.max_along::<1>();
        for r in 0..d.rows {
            prop_assert_eq!(f64::from(per_row[r]), max(&mut (0..d.cols).map(|c| v.at(r, c))));
        }
    }

    #[test]
    fn concat_equals_the_loop(
        (a, b) in (0usize..=20).prop_flat_map(|cols| (data(3, cols), data(5, cols))),
    ) {
        let x = Tensor::<(Const<3>, usize), f64>::from_vec((Const, a.cols), a.values.clone()).unwrap();
        let y = Tensor::<(Const<5>, usize), f64>::from_vec((Const, b.cols), b.values.clone()).unwrap();
        let xy: Tensor<(Const<8>, usize), f64> = x.concat(&y);
        for c in 0..a.cols {
            for r in 0..8 {
                let want = if r < 3 { a.at(r, c) } else { b.at(r - 3, c) };
                prop_assert_eq!(xy[[r, c]], want);
            }
        }
    }
}

/// A transposed left operand large enough that the `f32` product copies it
/// into column-major order over several threads (on a processor with
/// AVX-512) before gemm runs; ragged sizes, on pools of one and two threads.
#[test]
fn large_transposed_lhs_is_copied_correctly() {
    let (m, k, n) = (300, 261, 70);
    let fill = |rows: usize, cols: usize, seed: u64| Data {
        rows,
        cols,
        values: (0..(rows * cols) as u64)
            .map(|x| ((x * 2_654_435_761 + seed) % 2001) as f64 / 1000.0 - 1.0)
            .collect(),
    };
    let (at, b) = (fill(k, m, 7), fill(k, n, 11));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| check_t_matmul::<f32>(&at, &b)).unwrap();
    }
}
