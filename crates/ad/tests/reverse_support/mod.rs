//! References for the reverse-mode tests that do not come from reverse
//! mode: vector–Jacobian products computed by forward mode (the same core
//! operation run on num-dual's `Dual` elements, one input element seeded at
//! a time) and by central finite differences.
//!
//! Tolerances, per element, as `|actual - expected| ≤ tol · (1 + |expected|)`:
//!
//! | element | vs forward mode | vs central differences (step) |
//! |---|---|---|
//! | `f64` | `1e-10` | `1e-6` (`h = 1e-6`) |
//! | `f32` | `1e-4` | `2e-2` (`h = 1e-2`) |
//!
//! Forward mode is exact up to rounding, so its tolerance only covers sums
//! taken in another order. Central differences err by `O(h²)` from the
//! truncation and `O(ε/h)` from rounding.

// Each test file uses the part of this module it needs.
#![allow(dead_code)]

use num_dual::{Dual, DualNumFloat};
use proptest::prelude::*;
use typeflux_core::{Const, ConstShape, Element, Shape, Tensor};

/// An element type the tests run with, and its tolerances.
pub trait Float: Element + DualNumFloat {
    /// Step of the central differences.
    const H: f64;
    /// Tolerance against forward mode.
    const TOL_FORWARD: f64;
    /// Tolerance against central differences.
    const TOL_CENTRAL: f64;
}

impl Float for f64 {
    const H: f64 = 1e-6;
    const TOL_FORWARD: f64 = 1e-10;
    const TOL_CENTRAL: f64 = 1e-6;
}

impl Float for f32 {
    const H: f64 = 1e-2;
    const TOL_FORWARD: f64 = 1e-4;
    const TOL_CENTRAL: f64 = 2e-2;
}

/// `v` as an element.
pub fn el<E: Float>(v: f64) -> E {
    E::from_f64(v).expect("a test value fits every element type")
}

/// A tensor of the static shape `S` from column-major values.
pub fn tensor<S: ConstShape, E: Float>(values: &[f64]) -> Tensor<S, E> {
    let data: Vec<E> = values.iter().map(|&v| el(v)).collect();
    Tensor::from_slice(S::default(), &data).expect("test data has the shape's length")
}

/// An `N × cols` batch from column-major values.
pub fn batch<const N: usize, E: Float>(
    cols: usize,
    values: &[f64],
) -> Tensor<(Const<N>, usize), E> {
    let data: Vec<E> = values.iter().map(|&v| el(v)).collect();
    Tensor::from_slice((Const, cols), &data).expect("test data has the batch's length")
}

/// The first `shape.num_elements()` of `values` as a tensor of `shape`.
pub fn fill<S: Shape, E: Float>(shape: S, values: &[f64]) -> Tensor<S, E> {
    let data: Vec<E> = values[..shape.num_elements()]
        .iter()
        .map(|&v| el(v))
        .collect();
    Tensor::from_slice(shape, &data).expect("enough test values for the shape")
}

/// The same tensor with dual elements whose derivative parts are zero: a
/// constant for forward mode.
pub fn lift<S: Shape, E: Float>(x: &Tensor<S, E>) -> Tensor<S, Dual<E>> {
    x.map(Dual::from_re)
}

/// `xᵀ·dy`, summed in `f64`.
fn dot<E: Float>(a: impl IntoIterator<Item = E>, b: impl IntoIterator<Item = E>) -> E {
    el(a.into_iter()
        .zip(b)
        .map(|(a, b)| a.to_f64().unwrap() * b.to_f64().unwrap())
        .sum())
}

/// `Jᵀ·dy` for `f` at `x` by forward mode: element `i` of the result is the
/// derivative of `⟨dy, f(x)⟩` along input element `i`, read off a `Dual`
/// evaluation seeded at `i`.
pub fn forward_vjp<S: Shape, SY: Shape, E: Float>(
    x: &Tensor<S, E>,
    dy: &Tensor<SY, E>,
    f: impl Fn(Tensor<S, Dual<E>>) -> Tensor<SY, Dual<E>>,
) -> Tensor<S, E> {
    let grads = (0..x.len())
        .map(|i| {
            let mut k = 0;
            let seeded = x.map(|v| {
                let d = Dual::from_re(v);
                k += 1;
                if k - 1 == i { d.derivative() } else { d }
            });
            let y = f(seeded);
            dot(y.iter().map(|d| d.eps), dy.iter().copied())
        })
        .collect::<Vec<E>>();
    Tensor::from_slice(x.shape(), &grads).expect("one gradient per element")
}

/// `Jᵀ·dy` for `f` at `x` by central differences with step `E::H`.
pub fn central_vjp<S: Shape, SY: Shape, E: Float>(
    x: &Tensor<S, E>,
    dy: &Tensor<SY, E>,
    f: impl Fn(Tensor<S, E>) -> Tensor<SY, E>,
) -> Tensor<S, E> {
    let h: E = el(E::H);
    let grads = (0..x.len())
        .map(|i| {
            let (mut plus, mut minus) = (x.clone(), x.clone());
            plus.as_mut_slice()[i] += h;
            minus.as_mut_slice()[i] -= h;
            let (fp, fm) = (f(plus), f(minus));
            let diff = fp.iter().zip(fm.iter()).map(|(&p, &m)| p - m);
            dot(diff, dy.iter().copied()) / (h + h)
        })
        .collect::<Vec<E>>();
    Tensor::from_slice(x.shape(), &grads).expect("one gradient per element")
}

/// Checks `|actual - expected| ≤ tol · (1 + |expected|)` element by element.
#[track_caller]
pub fn assert_close<S: Shape, E: Float>(
    what: &str,
    actual: &Tensor<S, E>,
    expected: &Tensor<S, E>,
    tol: f64,
) {
    assert_eq!(actual.shape(), expected.shape(), "{what}: shapes differ");
    for (i, (&a, &e)) in actual.iter().zip(expected.iter()).enumerate() {
        let (a, e) = (a.to_f64().unwrap(), e.to_f64().unwrap());
        assert!(
            (a - e).abs() <= tol * (1.0 + e.abs()),
            "{what}: element {i} is {a}, expected {e} (tolerance {tol})\nactual   {actual:?}\nexpected {expected:?}"
        );
    }
}

/// Checks a reverse-mode gradient against both references.
#[track_caller]
pub fn assert_references<S: Shape, E: Float>(
    what: &str,
    reverse: &Tensor<S, E>,
    forward: &Tensor<S, E>,
    central: &Tensor<S, E>,
) {
    assert_close(
        &format!("{what} vs forward mode"),
        reverse,
        forward,
        E::TOL_FORWARD,
    );
    assert_close(
        &format!("{what} vs central differences"),
        reverse,
        central,
        E::TOL_CENTRAL,
    );
}

/// `n` values in `[-2, 2]`.
pub fn values(n: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-2.0..2.0f64, n)
}

/// `n` values in `[0.5, 2.5]`: arguments of `ln` and `sqrt`.
pub fn positive(n: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(0.5..2.5f64, n)
}

/// `n` values with `0.5 ≤ |v| ≤ 2.5` of either sign: divisors, arguments of
/// `abs`.
pub fn away_from_zero(n: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(
        (0.5..2.5f64, any::<bool>()).prop_map(|(m, neg)| if neg { -m } else { m }),
        n,
    )
}

/// A batch size from 1 to 4.
pub fn batch_size() -> impl Strategy<Value = usize> {
    1usize..=4
}

/// Whether no two values are closer than `gap`: the maximum cannot change
/// under the perturbations of central differences.
pub fn well_separated(values: &[f64], gap: f64) -> bool {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.windows(2).all(|w| w[1] - w[0] > gap)
}
