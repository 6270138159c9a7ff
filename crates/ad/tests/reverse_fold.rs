//! Loops of run-time length traced as one node (`Traced::fold`): the same
//! gradient as the loop written out, central differences over 256 steps of
//! products and `tanh`, a loop of 10,000 steps on a 2 MiB thread stack, and
//! the edge cases (no steps, a constant start, a step that zeroes its
//! input).

use typeflux_ad::reverse::{Traced, gradient};
use typeflux_core::prelude::*;

type M = Matrix<4, 4, f64>;
type V = Vector<4, f64>;

fn weight() -> M {
    Matrix::from_fn((Const, Const), |[i, j]| {
        (((i * 5 + j * 3) % 7) as f64 - 3.0) / 4.0
    })
}

fn start() -> V {
    Tensor::from_array([0.3, -0.7, 0.5, 0.1])
}

/// `sum(x_n)` for `x_{k+1} = tanh(W·x_k + 0.1·k)`, plain.
fn plain(w: &M, x: &V, steps: usize) -> f64 {
    let mut x = x.clone();
    for k in 0..steps {
        x = (w.matmul(&x) + 0.1 * k as f64).tanh();
    }
    x.sum()
}

fn folded(w: &M, x: &V, steps: usize) -> (M, V) {
    gradient(
        |(w, x)| {
            x.fold(0..steps, |x, k| {
                (w.clone().matmul(x) + 0.1 * k as f64).tanh()
            })
            .sum()
        },
        (w, x),
    )
}

#[test]
fn a_fold_has_the_gradient_of_the_loop_written_out() {
    let (w, x) = (weight(), start());
    let (gw, gx) = folded(&w, &x, 3);
    let (hw, hx) = gradient(
        |(w, x)| {
            let x = (w.clone().matmul(x) + 0.0).tanh();
            let x = (w.clone().matmul(x) + 0.1).tanh();
            (w.matmul(x) + 0.2).tanh().sum()
        },
        (&w, &x),
    );
    assert_eq!(gw, hw);
    assert_eq!(gx, hx);
}

#[test]
fn two_hundred_fifty_six_steps_match_central_differences() {
    let (w, x) = (weight(), start());
    let steps = 256;
    let (gw, gx) = folded(&w, &x, steps);
    let h = 1e-6;
    for i in 0..16 {
        let (mut plus, mut minus) = (w.clone(), w.clone());
        plus.as_mut_slice()[i] += h;
        minus.as_mut_slice()[i] -= h;
        let want = (plain(&plus, &x, steps) - plain(&minus, &x, steps)) / (2.0 * h);
        assert!(
            (gw.as_slice()[i] - want).abs() < 1e-6,
            "w[{i}]: {} vs {want}",
            gw.as_slice()[i]
        );
    }
    for i in 0..4 {
        let (mut plus, mut minus) = (x.clone(), x.clone());
        plus.as_mut_slice()[i] += h;
        minus.as_mut_slice()[i] -= h;
        let want = (plain(&w, &plus, steps) - plain(&w, &minus, steps)) / (2.0 * h);
        assert!(
            (gx.as_slice()[i] - want).abs() < 1e-6,
            "x[{i}]: {} vs {want}",
            gx.as_slice()[i]
        );
    }
}

#[test]
fn a_long_fold_runs_on_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| folded(&(weight() * 0.25), &start(), 10_000))
        .unwrap();
    let (gw, gx) = handle.join().expect("no stack overflow");
    assert!(gw.iter().chain(gx.iter()).all(|g| g.is_finite()));
}

#[test]
fn edge_cases() {
    let (w, x) = (weight(), start());
    // No steps: the identity.
    assert_eq!(folded(&w, &x, 0), (M::zeros(), V::ones()));
    // A constant start: only the weight is differentiated.
    let gw = gradient(
        |w| {
            Traced::constant(x.clone())
                .fold(0..5, |x, k| (w.clone().matmul(x) + 0.1 * k as f64).tanh())
                .sum()
        },
        &w,
    );
    assert_eq!(gw, folded(&w, &x, 5).0);
    // A step that multiplies its input by zero stops the gradient to the
    // start, but not to the weight.
    let (gw, gx) = gradient(
        |(w, x)| {
            x.fold(0..4, |x, k| {
                let keep = if k == 2 { 0.0 } else { 1.0 };
                (w.clone().matmul(x * keep) + 0.1 * k as f64).tanh()
            })
            .sum()
        },
        (&w, &x),
    );
    assert!(gx.iter().all(|&g| g == 0.0));
    assert!(gw.iter().any(|&g| g != 0.0));
}
