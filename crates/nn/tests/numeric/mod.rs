//! Central finite differences of a loss with respect to one tensor of a
//! model, the reference the layers' gradients are checked against.
#![allow(dead_code)]

/// `∂loss/∂p` for every element `p` of the tensor that `at` picks out of a
/// copy of `model`, by central differences with step `1e-6`.
pub fn numeric_gradient<M: Clone>(
    model: &M,
    at: impl Fn(&mut M) -> &mut [f64],
    loss: impl Fn(&M) -> f64,
) -> Vec<f64> {
    let h = 1e-6;
    let n = at(&mut model.clone()).len();
    (0..n)
        .map(|i| {
            let (mut up, mut down) = (model.clone(), model.clone());
            at(&mut up)[i] += h;
            at(&mut down)[i] -= h;
            (loss(&up) - loss(&down)) / (2.0 * h)
        })
        .collect()
}

/// Elementwise `|got - want| <= 1e-6 · max(1, |want|)`, naming `what`.
#[track_caller]
pub fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-6 * w.abs().max(1.0),
            "{what}[{i}]: {g} vs {w} (all: {got:?} vs {want:?})"
        );
    }
}

/// The gradient of `loss` in the tensor `at` picks, `got`, checked against
/// central differences.
#[track_caller]
pub fn check<M: Clone>(
    model: &M,
    at: impl Fn(&mut M) -> &mut [f64],
    loss: impl Fn(&M) -> f64,
    got: &[f64],
    what: &str,
) {
    let want = numeric_gradient(model, at, loss);
    assert!(
        want.iter().any(|w| w.abs() > 1e-8),
        "{what}: the loss does not depend on it, so the check proves nothing"
    );
    assert_close(got, &want, what);
}
