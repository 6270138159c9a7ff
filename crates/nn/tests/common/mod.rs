//! Gradient references for the tests: forward mode with dual numbers, and
//! central finite differences.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use typeflux_core::num_dual::Dual64;

/// `n` numbers drawn uniformly from `[-scale, scale)`, reproducibly.
pub fn random_params(seed: u64, n: usize, scale: f64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-scale..scale)).collect()
}

/// The gradient of `f` at `params`, one forward-mode pass per parameter:
/// each pass seeds one parameter's derivative part with 1.
pub fn forward_mode_gradient(params: &[f64], f: impl Fn(&[Dual64]) -> Dual64) -> Vec<f64> {
    (0..params.len())
        .map(|k| {
            let seeded: Vec<Dual64> = params
                .iter()
                .enumerate()
                .map(|(i, &p)| Dual64::new(p, if i == k { 1.0 } else { 0.0 }))
                .collect();
            f(&seeded).eps
        })
        .collect()
}

/// The gradient of `f` at `params` by central differences with step `h`.
pub fn finite_difference_gradient(params: &[f64], h: f64, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    (0..params.len())
        .map(|k| {
            let mut p = params.to_vec();
            p[k] = params[k] + h;
            let up = f(&p);
            p[k] = params[k] - h;
            let down = f(&p);
            (up - down) / (2.0 * h)
        })
        .collect()
}

/// Elementwise `|actual - expected| <= tol · max(1, |expected|)`.
#[track_caller]
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tol * e.abs().max(1.0),
            "{what}[{i}]: {a} vs expected {e} (all: {actual:?} vs {expected:?})"
        );
    }
}

/// The real parts of dual numbers.
pub fn re(xs: &[Dual64]) -> Vec<f64> {
    xs.iter().map(|x| x.re).collect()
}
