//! Forward over reverse at random points, against num-dual's forward over
//! forward (exact: relative 1e-11, a few rounding errors of the second
//! derivatives) and against central finite differences of the exact
//! gradient (step `h = 1e-6`: relative and absolute 1e-6).

use nalgebra::{SMatrix, SVector};
use proptest::prelude::*;
use typeflux_ad::{Real, forward, mixed};

const N: usize = 5;

/// Dense: every pair of variables interacts.
fn dense<T: Real>(x: SVector<T, N>) -> T {
    let s: T = x.iter().copied().sum();
    let r2 = x.dot(&x) + 1.0;
    (s * 0.3).sin() * r2.sqrt() + (x[0] * x[4] * 0.5).exp() / r2 + x[1].atan2(x[2] + 3.0) * x[3]
        - (x[2] * x[3]).tanh() * x[0].powi(3)
}

/// Banded, with a branch and a loop on the values.
fn chain<T: Real>(x: SVector<T, N>) -> T {
    let mut acc = T::zero();
    for i in 0..N - 1 {
        let d = x[i + 1] - x[i];
        acc += if d > 0.0 {
            d * d * x[i].cos()
        } else {
            (d * 0.5).exp() * x[i + 1]
        };
    }
    let mut y = acc * acc + 1.0;
    while y < 5.0 {
        y = y * 1.5 + x[0] * 0.1;
    }
    y
}

/// Points away from the branch of `chain` by more than the difference step.
fn chain_point() -> impl Strategy<Value = [f64; N]> {
    prop::array::uniform5(-2.0..2.0f64).prop_filter("straddles a branch", |x| {
        x.windows(2).all(|w| (w[1] - w[0]).abs() > 1e-4)
    })
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn assert_hessians_close(
    h: &SMatrix<f64, N, N>,
    reference: &SMatrix<f64, N, N>,
    tol: f64,
) -> Result<(), TestCaseError> {
    for (i, (a, b)) in h.iter().zip(reference.iter()).enumerate() {
        prop_assert!(close(*a, *b, tol), "entry {}: {} against {}", i, a, b);
    }
    Ok(())
}

/// The Hessian by central differences of forward mode's exact gradient.
fn finite_difference_hessian(
    g: impl Fn(SVector<f64, N>) -> SVector<f64, N>,
    x: SVector<f64, N>,
) -> SMatrix<f64, N, N> {
    const H: f64 = 1e-6;
    let mut h = SMatrix::<f64, N, N>::zeros();
    for j in 0..N {
        let e = SVector::<f64, N>::ith(j, H);
        h.set_column(j, &((g(x + e) - g(x - e)) / (2.0 * H)));
    }
    h
}

proptest! {
    #[test]
    fn hessian_of_a_dense_function(x in prop::array::uniform5(-2.0..2.0f64)) {
        let x = SVector::from(x);
        let (v, g, h) = mixed::hessian(dense, x);
        let (fv, fg, fh) = forward::forward_hessian(dense, x);
        prop_assert!(close(v, fv, 1e-14));
        for i in 0..N {
            prop_assert!(close(g[i], fg[i], 1e-12));
        }
        assert_hessians_close(&h, &fh, 1e-11)?;
        let fd = finite_difference_hessian(|x| forward::forward_gradient(dense, x).1, x);
        assert_hessians_close(&h, &fd, 1e-6)?;
    }

    #[test]
    fn hessian_through_branches_and_loops(x in chain_point()) {
        let x = SVector::from(x);
        let (_, _, h) = mixed::hessian(chain, x);
        let (_, _, fh) = forward::forward_hessian(chain, x);
        assert_hessians_close(&h, &fh, 1e-11)?;
    }

    #[test]
    fn hvp_against_forward_over_forward(
        x in prop::array::uniform5(-2.0..2.0f64),
        v in prop::array::uniform5(-1.0..1.0f64),
    ) {
        let (x, v) = (SVector::from(x), SVector::from(v));
        let (y, g, hv) = mixed::hvp(dense, x, v);
        let (fy, fg, fh) = forward::forward_hessian(dense, x);
        let fhv = fh * v;
        prop_assert!(close(y, fy, 1e-14));
        for i in 0..N {
            prop_assert!(close(g[i], fg[i], 1e-12));
            prop_assert!(close(hv[i], fhv[i], 1e-11), "(Hv)_{}: {} against {}", i, hv[i], fhv[i]);
        }
    }

    #[test]
    fn diaghessian_is_the_diagonal(x in chain_point()) {
        let x = SVector::from(x);
        for f in [dense, chain] {
            let (v, g, h) = mixed::hessian(f, x);
            let (dv, dg, d) = mixed::diaghessian(f, x);
            prop_assert_eq!((v, g, h.diagonal()), (dv, dg, d));
        }
    }
}
