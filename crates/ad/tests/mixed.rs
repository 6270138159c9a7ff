//! Forward over reverse: Hessians, their diagonals and Hessian-vector
//! products against Zygote's documented values, closed forms, and num-dual's
//! forward over forward.

use approx::assert_relative_eq;
use nalgebra::{DMatrix, DVector, Matrix4, SMatrix, SVector, Vector1, matrix, vector};
use typeflux_ad::tape::Var;
use typeflux_ad::{DualNum, Real, forward, mixed};

fn rosenbrock<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    (0..N - 1)
        .map(|i| (x[i + 1] - x[i] * x[i]).powi(2) * 100.0 + (-x[i] + 1.0).powi(2))
        .sum()
}

/// The same function for num-dual's heap-allocated numbers, which are not
/// `Copy` (so not `Real`): the forward-over-forward reference at sizes where
/// the stack-allocated numbers would not fit on a stack.
fn rosenbrock_dyn<T: DualNum<Primitive = f64>>(x: DVector<T>) -> T {
    (0..x.len() - 1)
        .map(|i| {
            let t = x[i + 1].clone() - x[i].clone() * &x[i];
            let u = -x[i].clone() + 1.0;
            t.clone() * t * 100.0 + u.clone() * u
        })
        .sum()
}

/// The Hessian of Rosenbrock's function, written out.
fn rosenbrock_hessian<const N: usize>(x: SVector<f64, N>) -> SMatrix<f64, N, N> {
    let mut h = SMatrix::zeros();
    for i in 0..N - 1 {
        h[(i, i)] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[(i + 1, i + 1)] += 200.0;
        h[(i, i + 1)] = -400.0 * x[i];
        h[(i + 1, i)] = -400.0 * x[i];
    }
    h
}

fn assert_close<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    tol: f64,
) {
    for (x, y) in a.iter().zip(b.iter()) {
        assert_relative_eq!(*x, *y, epsilon = tol, max_relative = tol);
    }
}

#[test]
fn zygote_product() {
    let (v, g, h) = mixed::hessian(|x| x[0] * x[1], vector![2.0, 3.0]);
    assert_eq!((v, g), (6.0, vector![3.0, 2.0]));
    assert_eq!(h, matrix![0.0, 1.0; 1.0, 0.0]);
}

#[test]
fn zygote_sum_of_cubes() {
    let x = vector![1.0, 3.0, 2.0, 4.0];
    let cubes = |x: SVector<Var, 4>| x.map(|xi| xi.powi(3)).sum();
    let (v, g, h) = mixed::hessian(cubes, x);
    assert_eq!(v, 1.0 + 27.0 + 8.0 + 64.0);
    assert_eq!(g, vector![3.0, 27.0, 12.0, 48.0]);
    assert_eq!(h, Matrix4::from_diagonal(&vector![6.0, 18.0, 12.0, 24.0]));
    let (_, _, d) = mixed::diaghessian(cubes, x);
    assert_eq!(d, vector![6.0, 18.0, 12.0, 24.0]);
}

#[test]
fn zygote_sine() {
    let x = Vector1::new(std::f64::consts::FRAC_PI_2);
    let (v, g, h) = mixed::hessian(|x| x[0].sin(), x);
    assert_eq!(v, 1.0);
    assert_relative_eq!(g[0], 0.0, epsilon = 1e-16);
    assert_eq!(h[(0, 0)], -1.0);
}

#[test]
fn rosenbrock_10_against_forward_over_forward_and_closed_form() {
    let x = SVector::<f64, 10>::from_fn(|i, _| 1.5 - 0.3 * i as f64);
    let (v, g, h) = mixed::hessian(rosenbrock, x);
    let (fv, fg, fh) = forward::forward_hessian(rosenbrock, x);
    assert_relative_eq!(v, fv, max_relative = 1e-15);
    for i in 0..10 {
        assert_relative_eq!(g[i], fg[i], epsilon = 1e-12, max_relative = 1e-13);
    }
    assert_close(&h, &fh, 1e-13);
    assert_close(&h, &rosenbrock_hessian(x), 1e-13);
    assert_eq!(h, h.transpose());
}

#[test]
fn rosenbrock_100_against_forward_over_forward_and_closed_form() {
    let x = SVector::<f64, 100>::from_fn(|i, _| ((i * 7) % 11) as f64 * 0.25 - 1.0);
    let (v, g, h) = mixed::hessian(rosenbrock, x);
    let (fv, fg, fh) = num_dual::hessian(rosenbrock_dyn, &DVector::from_column_slice(x.as_slice()));
    assert_relative_eq!(v, fv, max_relative = 1e-14);
    for i in 0..100 {
        assert_relative_eq!(g[i], fg[i], epsilon = 1e-12, max_relative = 1e-13);
    }
    let h_dyn = DMatrix::from_column_slice(100, 100, h.as_slice());
    for (a, b) in h_dyn.iter().zip(fh.iter()) {
        assert_relative_eq!(*a, *b, epsilon = 1e-12, max_relative = 1e-13);
    }
    assert_close(&h, &rosenbrock_hessian(x), 1e-13);
    // The band of zeros outside the tridiagonal is exact.
    for ((i, j), hij) in (0..100usize)
        .flat_map(|j| (0..100usize).map(move |i| (i, j)))
        .zip(h.iter())
    {
        if i.abs_diff(j) > 1 {
            assert_eq!(*hij, 0.0);
        }
    }
}

#[test]
fn rosenbrock_at_one_and_a_half() {
    // The point the benchmarks use.
    let x = SVector::<f64, 10>::repeat(1.5);
    assert_close(
        &mixed::hessian(rosenbrock, x).2,
        &rosenbrock_hessian(x),
        1e-14,
    );
}

/// A function with a dense Hessian: every variable meets every other.
fn dense<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    let s: T = x.iter().copied().sum();
    let q: T = x
        .iter()
        .enumerate()
        .map(|(i, &xi)| xi * xi * (i as f64 + 1.0))
        .sum();
    (s * 0.3).sin() * q.sqrt() + (x[0] * x[N - 1]).exp() / (s * s + 1.0)
}

#[test]
fn dense_hessian_matches_forward_over_forward() {
    let x = SVector::<f64, 7>::from_fn(|i, _| 0.4 * i as f64 - 1.1);
    let (v, g, h) = mixed::hessian(dense, x);
    let (fv, fg, fh) = forward::forward_hessian(dense, x);
    assert_relative_eq!(v, fv, max_relative = 1e-15);
    assert_close(&SMatrix::from(g), &SMatrix::from(fg), 1e-13);
    assert_close(&h, &fh, 1e-12);
    assert!(h.iter().all(|&hij| hij != 0.0));
}

#[test]
fn diaghessian_is_the_diagonal_of_the_hessian() {
    let x = SVector::<f64, 7>::from_fn(|i, _| 0.4 * i as f64 - 1.1);
    let (v, g, h) = mixed::hessian(dense, x);
    let (dv, dg, d) = mixed::diaghessian(dense, x);
    assert_eq!((v, g, h.diagonal()), (dv, dg, d));
    let x = SVector::<f64, 10>::from_fn(|i, _| 1.5 - 0.3 * i as f64);
    assert_eq!(
        mixed::hessian(rosenbrock, x).2.diagonal(),
        mixed::diaghessian(rosenbrock, x).2
    );
    // And forward mode's diaghessian agrees.
    let (_, _, fd) = forward::forward_diaghessian(rosenbrock, x);
    assert_close(
        &SMatrix::from(mixed::diaghessian(rosenbrock, x).2),
        &SMatrix::from(fd),
        1e-13,
    );
}

#[test]
fn hvp_is_the_hessian_times_the_vector() {
    let x = SVector::<f64, 7>::from_fn(|i, _| 0.4 * i as f64 - 1.1);
    let v = SVector::<f64, 7>::from_fn(|i, _| (i as f64 * 1.3).cos());
    let (y, g, hv) = mixed::hvp(dense, x, v);
    let (fy, fg, fh) = forward::forward_hessian(dense, x);
    assert_relative_eq!(y, fy, max_relative = 1e-15);
    assert_close(&SMatrix::from(g), &SMatrix::from(fg), 1e-13);
    assert_close(&SMatrix::from(hv), &SMatrix::from(fh * v), 1e-12);
    // Columns of the Hessian are products with unit vectors.
    let x = SVector::<f64, 10>::repeat(1.5);
    let h = mixed::hessian(rosenbrock, x).2;
    for j in 0..10 {
        let (_, _, hj) = mixed::hvp(rosenbrock, x, SVector::ith(j, 1.0));
        assert_eq!(hj, h.column(j));
    }
}

/// Newton's iteration for √(xᵀx) and a branch: the recording holds the path
/// taken, and the second derivatives are those of the closed form.
fn norm_by_newton<T: Real, const N: usize>(x: SVector<T, N>) -> T {
    let a = x.dot(&x);
    let mut r = if a > 1.0 { a } else { T::one() };
    while (r * r - a).abs() > a.re() * 1e-15 {
        r = (r + a / r) * 0.5;
    }
    r
}

#[test]
fn control_flow_inside_the_function() {
    let x = vector![1.0, -2.0, 2.0];
    let (v, g, h) = mixed::hessian(norm_by_newton, x);
    assert_relative_eq!(v, 3.0, max_relative = 1e-15);
    // ∇|x| = x/|x|, ∇²|x| = (I − x xᵀ/|x|²)/|x|
    assert_close(&SMatrix::from(g), &SMatrix::from(x / 3.0), 1e-14);
    let exact = (SMatrix::<f64, 3, 3>::identity() - x * x.transpose() / 9.0) / 3.0;
    assert_close(&h, &exact, 1e-12);
}

#[test]
fn inputs_the_function_ignores() {
    let (v, g, h) = mixed::hessian(|x| x[1] * x[1] * x[3], vector![5.0, 2.0, 5.0, 3.0]);
    assert_eq!(v, 12.0);
    assert_eq!(g, vector![0.0, 12.0, 0.0, 4.0]);
    let mut exact = Matrix4::zeros();
    exact[(1, 1)] = 6.0;
    exact[(1, 3)] = 4.0;
    exact[(3, 1)] = 4.0;
    assert_eq!(h, exact);
    // A constant function.
    let (v, g, h) = mixed::hessian(|_| Var::constant(2.0), vector![1.0, 2.0]);
    assert_eq!((v, g, h), (2.0, SVector::zeros(), SMatrix::zeros()));
    let (_, _, hv) = mixed::hvp(|_| Var::constant(2.0), vector![1.0, 2.0], vector![1.0, 1.0]);
    assert_eq!(hv, vector![0.0, 0.0]);
    // Linear: zero Hessian.
    let (_, g, h) = mixed::hessian(|x| x[0] * 2.0 - x[1], vector![1.0, 2.0]);
    assert_eq!((g, h), (vector![2.0, -1.0], SMatrix::zeros()));
}

#[test]
fn single_precision() {
    fn f<T: Real<f32>>(x: SVector<T, 2>) -> T {
        x[0].sin() * x[1] * x[1]
    }
    let x = vector![0.5f32, 2.0];
    let (_, _, h) = mixed::hessian(f, x);
    let (_, _, fh) = forward::forward_hessian(f, x);
    for (a, b) in h.iter().zip(fh.iter()) {
        assert_relative_eq!(*a, *b, max_relative = 1e-6);
    }
}

#[test]
fn nested_inside_a_tape_recording_is_independent() {
    // A Hessian computed while an outer recording is open: a constant to it.
    let d = typeflux_ad::tape::derivative(
        |x| {
            let (_, _, h) = mixed::hessian(|y| y[0] * y[0] * y[1], vector![1.0, 3.0]);
            x * h[(0, 0)]
        },
        2.0,
    );
    assert_eq!(d, 6.0);
}
