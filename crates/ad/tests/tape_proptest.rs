//! Reverse-mode gradients on the tape at random points, against forward mode
//! (exact, so the tolerance is a few rounding errors: relative 1e-12) and
//! against central finite differences of the plain `f64` function (step
//! `h = 1e-6`, truncation error `O(h²)` plus rounding `O(ε/h)`: relative and
//! absolute 1e-6).

use nalgebra::SVector;
use proptest::prelude::*;
use typeflux_ad::{Real, forward, tape};

const N: usize = 4;

/// Smooth, with every variable meeting every other.
fn smooth<T: Real>(x: &[T]) -> T {
    let r2 = x[0] * x[0] + x[1] * x[1] + 1.0;
    x[0] * x[1].sin()
        + (x[2] * x[0] * 0.5).exp() / r2
        + x[3].atan2(x[0] + 3.0)
        + (x[2] * x[3]).tanh()
        - r2.ln() * x[1].cos()
        + (x[3] * x[3] + 2.0).sqrt() * (x[2] + 3.0).cbrt()
}

/// A branch on a value.
fn branchy<T: Real>(x: &[T]) -> T {
    if x[0] > x[1] {
        (x[0] - x[1]).sqrt() * x[2] + x[3].powi(3)
    } else {
        (x[1] - x[0] + 1.0).ln() * x[2].cos() - x[3] * x[0]
    }
}

/// A loop whose number of iterations depends on the values.
fn looping<T: Real>(x: &[T]) -> T {
    let mut y = x[0] * x[0] + 1.0;
    while y < 10.0 {
        y = y * (x[1] * x[1] * 0.1 + 1.2) + x[2].sin() + 1.0;
    }
    y * x[3]
}

/// The number of iterations `looping` takes.
fn looping_steps(x: &[f64]) -> usize {
    let (mut y, mut steps) = (x[0] * x[0] + 1.0, 0);
    while y < 10.0 {
        y = y * (x[1] * x[1] * 0.1 + 1.2) + x[2].sin() + 1.0;
        steps += 1;
    }
    steps
}

const H: f64 = 1e-6;

fn central_difference(f: fn(&[f64]) -> f64, x: &[f64; N], i: usize) -> f64 {
    let (mut hi, mut lo) = (*x, *x);
    hi[i] += H;
    lo[i] -= H;
    (f(&hi) - f(&lo)) / (2.0 * H)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn check(
    f: fn(&[f64]) -> f64,
    tape_f: impl Fn(&[tape::Var]) -> tape::Var,
    fwd: impl Fn(SVector<forward::DualSVec<f64, N>, N>) -> forward::DualSVec<f64, N>,
    x: [f64; N],
) -> Result<(), TestCaseError> {
    let (v, g) = tape::gradient(tape_f, &x);
    let (fv, fg) = forward::forward_gradient(fwd, SVector::from(x));
    prop_assert!(close(v, f(&x), 1e-14));
    prop_assert!(close(v, fv, 1e-14));
    for i in 0..N {
        prop_assert!(
            close(g[i], fg[i], 1e-12),
            "∂{}: tape {} forward {}",
            i,
            g[i],
            fg[i]
        );
        let fd = central_difference(f, &x, i);
        prop_assert!(
            close(g[i], fd, 1e-6),
            "∂{}: tape {} finite difference {}",
            i,
            g[i],
            fd
        );
    }
    Ok(())
}

fn point() -> impl Strategy<Value = [f64; N]> {
    prop::array::uniform4(-2.0..2.0f64)
}

proptest! {
    #[test]
    fn smooth_function(x in point()) {
        check(smooth, smooth, |v| smooth(v.as_slice()), x)?;
    }

    #[test]
    fn branch_on_a_value(x in point()) {
        // Finite differences must not straddle the branch.
        prop_assume!((x[0] - x[1]).abs() > 1e-3);
        check(branchy, branchy, |v| branchy(v.as_slice()), x)?;
    }

    #[test]
    fn loop_with_a_data_dependent_trip_count(x in point()) {
        // Nor a change in the number of iterations.
        let steps = looping_steps(&x);
        for i in 0..N {
            let (mut hi, mut lo) = (x, x);
            hi[i] += H;
            lo[i] -= H;
            prop_assume!(looping_steps(&hi) == steps && looping_steps(&lo) == steps);
        }
        check(looping, looping, |v| looping(v.as_slice()), x)?;
    }

    #[test]
    fn arrays_and_slices_agree(x in point()) {
        let (v, g) = tape::gradient(smooth, &x);
        let (va, ga) = tape::gradient_array(|v| smooth(&v), x);
        prop_assert_eq!(v, va);
        prop_assert_eq!(&g[..], &ga[..]);
    }
}
