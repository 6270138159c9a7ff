//! Elementwise rules (`neg abs square sqrt exp ln tanh sin cos`, `unary(op)`,
//! `map`, `zip_map`) against forward mode (`map` and `zip_map`: against the
//! closed forms of their functions' derivatives) and central differences, on
//! random batches `3 × batch` in `f64` and `f32`; the tolerances are in
//! `reverse_support`.

mod reverse_support;

use proptest::prelude::*;
use reverse_support::*;
use typeflux_ad::DualNum;
use typeflux_ad::reverse::{Pullback, gradient, rules::unary};
use typeflux_core::{Const, Tensor, UnaryOp};

type Batch3<E> = Tensor<(Const<3>, usize), E>;

/// The rule's value is the core method's; its pullback agrees with both
/// references; the traced method gives the same gradient.
macro_rules! elementwise_cases {
    ($($name:ident: $method:ident, $domain:ident;)*) => {$(
        mod $name {
            use super::*;

            fn check<E: Float>(cols: usize, xs: &[f64], dys: &[f64]) {
                let x: Batch3<E> = batch(cols, xs);
                let dy: Batch3<E> = batch(cols, dys);

                let (y, back) = unary::$method(x.clone());
                assert_eq!(y, x.$method());
                let dx = back.pullback(dy.clone());
                assert_references(
                    stringify!($method),
                    &dx,
                    &forward_vjp(&x, &dy, |x| x.$method()),
                    &central_vjp(&x, &dy, |x| x.$method()),
                );

                let traced = gradient(|x| (x.$method() * &dy).sum(), &x);
                assert_close("traced", &traced, &dx, E::TOL_FORWARD);
            }

            proptest! {
                #[test]
                fn f64((cols, xs, dys) in batch_size().prop_flat_map(|c| (Just(c), $domain(3 * c), values(3 * c)))) {
                    check::<f64>(cols, &xs, &dys);
                }

                #[test]
                fn f32((cols, xs, dys) in batch_size().prop_flat_map(|c| (Just(c), $domain(3 * c), values(3 * c)))) {
                    check::<f32>(cols, &xs, &dys);
                }
            }
        }
    )*};
}

elementwise_cases! {
    abs: abs, away_from_zero;
    square: square, values;
    sqrt: sqrt, positive;
    exp: exp, values;
    ln: ln, positive;
    tanh: tanh, values;
    sin: sin, values;
    cos: cos, values;
}

fn check_neg<E: Float>(cols: usize, xs: &[f64], dys: &[f64]) {
    let x: Batch3<E> = batch(cols, xs);
    let dy: Batch3<E> = batch(cols, dys);
    let (y, back) = unary::neg(x.clone());
    assert_eq!(y, -&x);
    let dx = back.pullback(dy.clone());
    assert_references(
        "neg",
        &dx,
        &forward_vjp(&x, &dy, |x| -x),
        &central_vjp(&x, &dy, |x| -x),
    );
    let traced = gradient(|x| (-x * &dy).sum(), &x);
    assert_close("traced", &traced, &dx, E::TOL_FORWARD);
}

const OPS: [UnaryOp; 9] = [
    UnaryOp::Neg,
    UnaryOp::Abs,
    UnaryOp::Square,
    UnaryOp::Sqrt,
    UnaryOp::Exp,
    UnaryOp::Ln,
    UnaryOp::Tanh,
    UnaryOp::Sin,
    UnaryOp::Cos,
];

/// The run-time `unary(op)` rule agrees with the references for every `op`
/// (on positive inputs, the domain of all nine).
fn check_unary_op<E: Float>(cols: usize, xs: &[f64], dys: &[f64]) {
    let x: Batch3<E> = batch(cols, xs);
    let dy: Batch3<E> = batch(cols, dys);
    for op in OPS {
        let (y, back) = unary::unary(x.clone(), op);
        assert_eq!(y, x.unary(op));
        let dx = back.pullback(dy.clone());
        assert_references(
            &format!("{op:?}"),
            &dx,
            &forward_vjp(&x, &dy, |x| x.unary(op)),
            &central_vjp(&x, &dy, |x| x.unary(op)),
        );
        let traced = gradient(|x| (x.unary(op) * &dy).sum(), &x);
        assert_close("traced", &traced, &dx, E::TOL_FORWARD);
    }
}

/// `map` with `f(v) = v·sin v`: the derivative against the closed form
/// `sin v + v cos v` and central differences.
fn check_map<E: Float>(cols: usize, xs: &[f64], dys: &[f64]) {
    let x: Batch3<E> = batch(cols, xs);
    let dy: Batch3<E> = batch(cols, dys);
    let (y, back) = unary::map(x.clone(), |v| v * v.sin());
    assert_close("value", &y, &x.map(|v| v * v.sin()), E::TOL_FORWARD);
    let dx = back.pullback(dy.clone());
    let closed_form = &x.map(|v| v.sin() + v * v.cos()) * &dy;
    assert_references(
        "map",
        &dx,
        &closed_form,
        &central_vjp(&x, &dy, |x| x.map(|v| v * v.sin())),
    );
    let traced = gradient(|x| (x.map(|v| v * v.sin()) * &dy).sum(), &x);
    assert_close("traced", &traced, &dx, E::TOL_FORWARD);
}

proptest! {
    #[test]
    fn neg_f64((cols, xs, dys) in batch_size().prop_flat_map(|c| (Just(c), values(3 * c), values(3 * c)))) {
        check_neg::<f64>(cols, &xs, &dys);
    }

    #[test]
    fn neg_f32((cols, xs, dys) in batch_size().prop_flat_map(|c| (Just(c), values(3 * c), values(3 * c)))) {
        check_neg::<f32>(cols, &xs, &dys);
    }

    #[test]
    fn unary_op_f64((cols, xs, dys) in batch_size().prop_flat_map(|c| (Just(c), positive(3 * c), values(3 * c)))) {
        check_unary_op::<f64>(cols, &xs, &dys);
    }

    #[test]
    fn unary_op_f32((cols, xs, dys) in batch_size().prop_flat_map(|c| (Just(c), positive(3 * c), values(3 * c)))) {
        check_unary_op::<f32>(cols, &xs, &dys);
    }

    #[test]
    fn map_f64((cols, xs, dys) in batch_size().prop_flat_map(|c| (Just(c), values(3 * c), values(3 * c)))) {
        check_map::<f64>(cols, &xs, &dys);
    }

    #[test]
    fn map_f32((cols, xs, dys) in batch_size().prop_flat_map(|c| (Just(c), values(3 * c), values(3 * c)))) {
        check_map::<f32>(cols, &xs, &dys);
    }
}

/// `|x|` has gradient 0 at 0 (a subgradient), as in Flux.
#[test]
fn abs_at_zero() {
    let x: Tensor<(Const<3>,), f64> = Tensor::from_array([-1.0, 0.0, 2.0]);
    let g = gradient(|x| x.abs().sum(), &x);
    assert_eq!(g.to_vec(), vec![-1.0, 0.0, 1.0]);
}

/// `zip_map` with `f(a, b) = a·eᵇ`: both partial derivatives against the
/// closed forms `eᵇ` and `a·eᵇ`, and central differences.
fn check_zip_map<E: Float>(cols: usize, xs: &[f64], ys: &[f64], dys: &[f64]) {
    let (a, b): (Batch3<E>, Batch3<E>) = (batch(cols, xs), batch(cols, ys));
    let dy: Batch3<E> = batch(cols, dys);
    let (y, back) = unary::zip_map(a.clone(), b.clone(), |u, v| u * v.exp());
    assert_close("value", &y, &(&a * &b.exp()), E::TOL_FORWARD);
    let (da, db) = back.pullback(dy.clone());
    assert_references(
        "zip_map toward a",
        &da,
        &(&b.exp() * &dy),
        &central_vjp(&a, &dy, |a| &a * &b.exp()),
    );
    assert_references(
        "zip_map toward b",
        &db,
        &(&(&a * &b.exp()) * &dy),
        &central_vjp(&b, &dy, |b| &a * &b.exp()),
    );
    let traced = gradient(
        |(a, b)| (a.zip_map(b, |u, v| u * v.exp()) * &dy).sum(),
        (&a, &b),
    );
    assert_eq!(traced, (da, db), "traced");
}

proptest! {
    #[test]
    fn zip_map_f64((cols, xs, ys, dys) in batch_size().prop_flat_map(|c| (Just(c), values(3 * c), values(3 * c), values(3 * c)))) {
        check_zip_map::<f64>(cols, &xs, &ys, &dys);
    }

    #[test]
    fn zip_map_f32((cols, xs, ys, dys) in batch_size().prop_flat_map(|c| (Just(c), values(3 * c), values(3 * c), values(3 * c)))) {
        check_zip_map::<f32>(cols, &xs, &ys, &dys);
    }
}
