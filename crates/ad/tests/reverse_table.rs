//! Every line of core's table of elementwise operations
//! ([`unary_ops!`](typeflux_core::unary_ops)), checked in `f64` at random
//! points of its domain. The operations come from [`UnaryOp::ALL`] and the
//! table itself, so a new line is checked here without an edit (only its
//! [`domain`], which the compiler asks for).
//!
//! For each operation `op` and each point `x` (a vector of six numbers):
//!
//! - reverse mode: the gradient of `Σ op(x)` through the traced method of
//!   `op`'s name (`x.tanh()`) and through `x.unary(op)`, against central
//!   differences of the plain tensor method (relative 1e-6);
//! - forward mode: `op` on num-dual's `Dual64` (through `UnaryOp::apply`
//!   and the scalar function of its name) against reverse mode (1e-12);
//! - the tape: the gradient of `Σ op(x)` on `Var`s against reverse mode
//!   (1e-12);
//! - second derivatives: `op` on `Dual2` and forward over reverse on the
//!   tape, against central differences of reverse mode's first derivative
//!   (1e-6).
//!
//! The tolerances are `|actual - expected| ≤ tol · (1 + |expected|)`.
//! Central differences with step `h = 1e-6·max(1, |x|)` err by `O(h²)` from
//! the truncation and `O(ε/h)` from rounding, well under 1e-6 on these
//! domains.

use core::ops::Neg;
use nalgebra::SVector;
use proptest::prelude::*;
use typeflux_ad::forward::{Dual, Dual2, second_derivative};
use typeflux_ad::reverse::gradient;
use typeflux_ad::{mixed, tape};
use typeflux_core::elementwise::{Math, scalar};
use typeflux_core::{Const, Tensor, UnaryOp};

const N: usize = 6;

type Point = Tensor<(Const<N>,), f64>;

/// Where `op` is checked: intervals on which it is smooth, kept clear of
/// the points where its derivative (or, for `elu`, its second derivative)
/// jumps, since a difference across one measures nothing. Exhaustive, so a
/// new operation must say where it is smooth.
fn domain(op: UnaryOp) -> &'static [(f64, f64)] {
    const LINE: &[(f64, f64)] = &[(-8.0, 8.0)];
    const BUT_ZERO: &[(f64, f64)] = &[(-8.0, -1e-3), (1e-3, 8.0)];
    match op {
        UnaryOp::Neg
        | UnaryOp::Square
        | UnaryOp::Exp
        | UnaryOp::Tanh
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Atan
        | UnaryOp::Sigmoid
        | UnaryOp::Swish
        | UnaryOp::Softplus => LINE,
        UnaryOp::Abs | UnaryOp::Sign | UnaryOp::Relu | UnaryOp::LeakyRelu | UnaryOp::Elu => {
            BUT_ZERO
        }
        UnaryOp::Sqrt | UnaryOp::Ln => &[(0.05, 20.0)],
        UnaryOp::Recip => &[(-8.0, -0.1), (0.1, 8.0)],
        // The tanh formula up to |x| = 10, then `x` or 0.
        UnaryOp::Gelu => &[(-12.0, -10.001), (-9.999, 9.999), (10.001, 12.0)],
    }
}

/// Random draws that [`point`] turns into a point of any domain: which
/// interval, and where in it.
fn draws() -> impl Strategy<Value = Vec<(prop::sample::Index, f64)>> {
    prop::collection::vec((any::<prop::sample::Index>(), 0.0..1.0f64), N)
}

/// The point of `op`'s domain that `draws` pick.
fn point(op: UnaryOp, draws: &[(prop::sample::Index, f64)]) -> [f64; N] {
    let intervals = domain(op);
    core::array::from_fn(|i| {
        let (which, at) = &draws[i];
        let (lo, hi) = intervals[which.index(intervals.len())];
        lo + at * (hi - lo)
    })
}

macro_rules! by_name {
    ($($(#[$doc:meta])* $Op:ident $name:ident $T:ident |$x:ident| $value:expr;)*) => {
        /// The tensor method named after `op` (`x.tanh()`).
        fn tensor_method(op: UnaryOp, x: &Point) -> Point {
            match op {
                $(UnaryOp::$Op => x.$name(),)*
            }
        }

        /// The gradient of `Σ op(x)` through the traced method named after
        /// `op`.
        fn traced_method_gradient(op: UnaryOp, x: &Point) -> Point {
            match op {
                $(UnaryOp::$Op => gradient(|x| x.$name().sum(), x),)*
            }
        }

        /// The scalar function named after `op` (`scalar::tanh`).
        fn scalar_function<T: Math>(op: UnaryOp, x: T) -> T {
            match op {
                $(UnaryOp::$Op => scalar::$name(x),)*
            }
        }
    };
}

typeflux_core::unary_ops!(by_name);

/// `|actual - expected| ≤ tol · (1 + |expected|)`, element by element.
fn assert_close(
    what: &str,
    op: UnaryOp,
    x: &[f64],
    actual: &[f64],
    expected: &[f64],
    tol: f64,
) -> Result<(), TestCaseError> {
    for i in 0..x.len() {
        let (a, e) = (actual[i], expected[i]);
        prop_assert!(
            (a - e).abs() <= tol * (1.0 + e.abs()),
            "{}: {} at x = {} is {}, expected {} (tolerance {})",
            op.name(),
            what,
            x[i],
            a,
            e,
            tol
        );
    }
    Ok(())
}

/// The step of the central differences at `x`.
fn step(x: f64) -> f64 {
    1e-6 * x.abs().max(1.0)
}

/// The central differences of `Σ f(x)`, with `f` a function of a whole
/// point computed elementwise. Moving `xᵢ` changes only the `i`th term, so
/// the difference of the sums is that of `f(x)ᵢ`, read off alone, without
/// the rounding of the other terms.
fn central_differences(x: &[f64; N], f: impl Fn(&Point) -> Point) -> [f64; N] {
    core::array::from_fn(|i| {
        let h = step(x[i]);
        let (mut plus, mut minus) = (*x, *x);
        plus[i] += h;
        minus[i] -= h;
        let (fp, fm) = (f(&Tensor::from_array(plus)), f(&Tensor::from_array(minus)));
        (fp[i] - fm[i]) / (2.0 * h)
    })
}

/// Reverse mode's `op'` at each element: the gradient of `Σ op(x)` through
/// `x.unary(op)`.
fn reverse_slopes(op: UnaryOp, x: &[f64; N]) -> Point {
    gradient(|x| x.unary(op).sum(), &Tensor::from_array(*x))
}

fn check_reverse(op: UnaryOp, x: [f64; N]) -> Result<(), TestCaseError> {
    let t = Point::from_array(x);
    let by_op = reverse_slopes(op, &x);
    let by_name = traced_method_gradient(op, &t);
    prop_assert_eq!(tensor_method(op, &t), t.unary(op), "{} value", op.name());
    prop_assert_eq!(
        &by_name,
        &by_op,
        "{}: named method and unary(op)",
        op.name()
    );
    let differences = central_differences(&x, |p| tensor_method(op, p));
    assert_close(
        "reverse mode's derivative",
        op,
        &x,
        by_op.as_slice(),
        &differences,
        1e-6,
    )
}

fn check_forward(op: UnaryOp, x: [f64; N]) -> Result<(), TestCaseError> {
    let reverse = reverse_slopes(op, &x);
    let seeded = x.map(|v| Dual::from_re(v).derivative());
    let by_op = seeded.map(|d| op.apply(d));
    let by_name = seeded.map(|d| scalar_function(op, d));
    prop_assert_eq!(
        by_op,
        by_name,
        "{}: apply and the scalar function",
        op.name()
    );
    prop_assert_eq!(
        Point::from_array(by_op.map(|d| d.re)),
        Point::from_array(x).unary(op),
        "{}: forward mode's value",
        op.name()
    );
    assert_close(
        "forward mode's derivative",
        op,
        &x,
        &by_op.map(|d| d.eps),
        reverse.as_slice(),
        1e-12,
    )
}

fn check_tape(op: UnaryOp, x: [f64; N]) -> Result<(), TestCaseError> {
    let reverse = reverse_slopes(op, &x);
    let sum = |v: &[tape::Var]| v.iter().map(|&v| scalar_function(op, v)).sum();
    let (value, slopes) = tape::gradient(sum, &x);
    let plain: f64 = x.iter().map(|&v| op.apply(v)).sum();
    prop_assert!(
        (value - plain).abs() <= 1e-12 * (1.0 + plain.abs()),
        "{}: the tape's value {} against {}",
        op.name(),
        value,
        plain
    );
    assert_close(
        "the tape's derivative",
        op,
        &x,
        &slopes,
        reverse.as_slice(),
        1e-12,
    )
}

fn check_second(op: UnaryOp, x: [f64; N]) -> Result<(), TestCaseError> {
    let reverse = reverse_slopes(op, &x);
    let differences = central_differences(&x, |p| gradient(|p| p.unary(op).sum(), p));
    let dual2: [(f64, f64, f64); N] = x.map(|v| second_derivative(|d: Dual2<f64>| op.apply(d), v));
    assert_close(
        "Dual2's first derivative",
        op,
        &x,
        &dual2.map(|d| d.1),
        reverse.as_slice(),
        1e-12,
    )?;
    assert_close(
        "Dual2's second derivative",
        op,
        &x,
        &dual2.map(|d| d.2),
        &differences,
        1e-6,
    )?;
    let (_, first, second) =
        mixed::diaghessian(|v| v.iter().map(|&v| op.apply(v)).sum(), SVector::from(x));
    assert_close(
        "forward over reverse's first derivative",
        op,
        &x,
        first.as_slice(),
        reverse.as_slice(),
        1e-12,
    )?;
    assert_close(
        "forward over reverse's second derivative",
        op,
        &x,
        second.as_slice(),
        &differences,
        1e-6,
    )
}

proptest! {
    #[test]
    fn reverse_mode_against_central_differences(draws in draws()) {
        for &op in UnaryOp::ALL {
            check_reverse(op, point(op, &draws))?;
        }
    }

    #[test]
    fn forward_mode_against_reverse_mode(draws in draws()) {
        for &op in UnaryOp::ALL {
            check_forward(op, point(op, &draws))?;
        }
    }

    #[test]
    fn tape_against_reverse_mode(draws in draws()) {
        for &op in UnaryOp::ALL {
            check_tape(op, point(op, &draws))?;
        }
    }

    #[test]
    fn second_derivatives_against_central_differences(draws in draws()) {
        for &op in UnaryOp::ALL {
            check_second(op, point(op, &draws))?;
        }
    }
}
