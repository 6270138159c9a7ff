//! Arithmetic rules (`+ - * /`) against forward mode and central
//! differences, in `f64` and `f32`: tensors of the same shape, a batch with a
//! vector broadcast over its columns, a batch with a scalar tensor, and
//! constant scalars on either side. Each pair is also differentiated through
//! the traced operators, with both operands traced and with either one a
//! constant (borrowed and moved). Tolerances are in `reverse_support`.

mod reverse_support;

use core::ops::Neg;
use proptest::prelude::*;
use reverse_support::*;
use typeflux_ad::reverse::rules::{arith, shape::Broadcast};
use typeflux_ad::reverse::{Pullback, gradient};
use typeflux_core::{BinaryOp, Const, Element, Shape, Tensor};

const OPS: [BinaryOp; 4] = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div];

type Batch3<E> = Tensor<(Const<3>, usize), E>;
type Vector3<E> = Tensor<(Const<3>,), E>;
type Scalar<E> = Tensor<(), E>;

/// `y = a op b` through the rule, and both halves of its pullback at `dy`.
fn rule<A: Broadcast<B> + Broadcast<A> + Clone + PartialEq + core::fmt::Debug, B>(
    op: BinaryOp,
    a: A,
    b: B,
    dy: A,
) -> (A, (A, B))
where
    B: Clone + Neg<Output = B>,
{
    match op {
        BinaryOp::Add => {
            let (y, back) = arith::add(a, b);
            (y, back.pullback(dy))
        }
        BinaryOp::Sub => {
            let (y, back) = arith::sub(a, b);
            (y, back.pullback(dy))
        }
        BinaryOp::Mul => {
            let (y, back) = arith::mul(a, b);
            (y, back.pullback(dy))
        }
        BinaryOp::Div => {
            let (y, back) = arith::div(a, b);
            (y, back.pullback(dy))
        }
    }
}

/// The gradients of `sum((a op b) ⊙ dy)` through the traced operators:
/// both traced, `a` traced with `&b` and with `b` moved, `b` traced with
/// `&a` and with `a` moved.
macro_rules! traced {
    ($op:expr, $a:expr, $b:expr, $dy:expr) => {
        match $op {
            BinaryOp::Add => traced!(@ +, $a, $b, $dy),
            BinaryOp::Sub => traced!(@ -, $a, $b, $dy),
            BinaryOp::Mul => traced!(@ *, $a, $b, $dy),
            BinaryOp::Div => traced!(@ /, $a, $b, $dy),
        }
    };
    (@ $o:tt, $a:expr, $b:expr, $dy:expr) => {{
        let (a, b, dy) = ($a, $b, $dy);
        (
            gradient(|(a, b)| ((a $o b) * dy).sum(), (a, b)),
            [
                gradient(|a| ((a $o b) * dy).sum(), a),
                gradient(|a| ((a $o b.clone()) * dy).sum(), a),
            ],
            [
                gradient(|b| ((a $o b) * dy).sum(), b),
                gradient(|b| ((a.clone() $o b) * dy).sum(), b),
            ],
        )
    }};
}

/// Checks the rule for `a op b` against the references and the traced
/// operators against the rule. `core_op` is the operation on dual elements.
#[allow(clippy::type_complexity)]
fn check_pair<SA: Shape, SB: Shape, E: Float>(
    a: &Tensor<SA, E>,
    b: &Tensor<SB, E>,
    dy: &Tensor<SA, E>,
    core_op: fn(BinaryOp, &Tensor<SA, E>, &Tensor<SB, E>) -> Tensor<SA, E>,
    dual_op: fn(
        BinaryOp,
        &Tensor<SA, num_dual::Dual<E>>,
        &Tensor<SB, num_dual::Dual<E>>,
    ) -> Tensor<SA, num_dual::Dual<E>>,
) where
    Tensor<SA, E>: Broadcast<Tensor<SB, E>>,
{
    for op in OPS {
        let what = format!("{op:?}");
        let (y, (da, db)) = rule(op, a.clone(), b.clone(), dy.clone());
        assert_eq!(y, core_op(op, a, b), "{what}: value");

        let (lb, la) = (lift(b), lift(a));
        assert_references(
            &format!("{what} toward a"),
            &da,
            &forward_vjp(a, dy, |a| dual_op(op, &a, &lb)),
            &central_vjp(a, dy, |a| core_op(op, &a, b)),
        );
        assert_references(
            &format!("{what} toward b"),
            &db,
            &forward_vjp(b, dy, |b| dual_op(op, &la, &b)),
            &central_vjp(b, dy, |b| core_op(op, a, &b)),
        );

        let (both, toward_a, toward_b) = traced!(op, a, b, dy);
        assert_eq!(both, (da.clone(), db.clone()), "{what}: traced, both");
        for g in toward_a {
            assert_eq!(g, da, "{what}: traced, b constant");
        }
        for g in toward_b {
            assert_eq!(g, db, "{what}: traced, a constant");
        }
    }
}

fn same_shape<E: Float>(cols: usize, a: &[f64], b: &[f64], dy: &[f64]) {
    let (a, b, dy): (Batch3<E>, Batch3<E>, Batch3<E>) =
        (batch(cols, a), batch(cols, b), batch(cols, dy));
    check_pair(
        &a,
        &b,
        &dy,
        |op, a, b| a.binary(op, b),
        |op, a, b| a.binary(op, b),
    );
}

fn batch_with_vector<E: Float>(cols: usize, a: &[f64], b: &[f64], dy: &[f64]) {
    let (a, b, dy): (Batch3<E>, Vector3<E>, Batch3<E>) =
        (batch(cols, a), tensor(b), batch(cols, dy));
    check_pair(
        &a,
        &b,
        &dy,
        |op, a, b| a.broadcast(op, b),
        |op, a, b| a.broadcast(op, b),
    );
}

/// The element of a scalar tensor, so that the reference is core's
/// tensor–element operation.
fn item<E: Element>(s: &Tensor<(), E>) -> E {
    s.as_slice()[0]
}

fn batch_with_scalar<E: Float>(cols: usize, a: &[f64], b: f64, dy: &[f64]) {
    let (a, b, dy): (Batch3<E>, Scalar<E>, Batch3<E>) =
        (batch(cols, a), Tensor::scalar(el(b)), batch(cols, dy));
    check_pair(
        &a,
        &b,
        &dy,
        |op, a, b| a.scalar_op(op, item(b)),
        |op, a, b| a.scalar_op(op, item(b)),
    );
}

/// Operands and cotangent: `a` anywhere, `b` away from zero (a divisor).
fn pair_inputs(rows_b: usize) -> impl Strategy<Value = (usize, Vec<f64>, Vec<f64>, Vec<f64>)> {
    batch_size().prop_flat_map(move |c| {
        let b = if rows_b == 0 { 3 * c } else { rows_b };
        (Just(c), values(3 * c), away_from_zero(b), values(3 * c))
    })
}

/// A batch and a scalar, both away from zero (`s / x`, `x / s`), and a
/// cotangent.
fn scalar_inputs() -> impl Strategy<Value = (usize, Vec<f64>, Vec<f64>, Vec<f64>)> {
    batch_size().prop_flat_map(|c| {
        (
            Just(c),
            away_from_zero(3 * c),
            away_from_zero(1),
            values(3 * c),
        )
    })
}

/// The rules with a constant scalar, on the right and on the left.
fn constant_scalar<E: Float>(cols: usize, xs: &[f64], s: f64, dys: &[f64]) {
    let (x, dy): (Batch3<E>, Batch3<E>) = (batch(cols, xs), batch(cols, dys));
    let s: E = el(s);
    let ds = num_dual::Dual::from_re(s);
    type Rule<E> = fn(Batch3<E>, E, Batch3<E>) -> (Batch3<E>, Batch3<E>);
    let cases: [(&str, Rule<E>, BinaryOp, bool); 8] = [
        (
            "x + s",
            |x, s, dy| run(arith::add_scalar(x, s), dy),
            BinaryOp::Add,
            false,
        ),
        (
            "x - s",
            |x, s, dy| run(arith::sub_scalar(x, s), dy),
            BinaryOp::Sub,
            false,
        ),
        (
            "x * s",
            |x, s, dy| run(arith::mul_scalar(x, s), dy),
            BinaryOp::Mul,
            false,
        ),
        (
            "x / s",
            |x, s, dy| run(arith::div_scalar(x, s), dy),
            BinaryOp::Div,
            false,
        ),
        (
            "s + x",
            |x, s, dy| run(arith::scalar_add(s, x), dy),
            BinaryOp::Add,
            true,
        ),
        (
            "s - x",
            |x, s, dy| run(arith::scalar_sub(s, x), dy),
            BinaryOp::Sub,
            true,
        ),
        (
            "s * x",
            |x, s, dy| run(arith::scalar_mul(s, x), dy),
            BinaryOp::Mul,
            true,
        ),
        (
            "s / x",
            |x, s, dy| run(arith::scalar_div(s, x), dy),
            BinaryOp::Div,
            true,
        ),
    ];
    for (what, rule, op, left) in cases {
        let (y, g) = rule(x.clone(), s, dy.clone());
        let core = |x: &Batch3<E>| {
            if left {
                x.scalar_op_left(op, s)
            } else {
                x.scalar_op(op, s)
            }
        };
        assert_eq!(y, core(&x), "{what}: value");
        let dual = |x: Tensor<(Const<3>, usize), num_dual::Dual<E>>| {
            if left {
                x.scalar_op_left(op, ds)
            } else {
                x.scalar_op(op, ds)
            }
        };
        assert_references(
            what,
            &g,
            &forward_vjp(&x, &dy, dual),
            &central_vjp(&x, &dy, |x| core(&x)),
        );
    }

    let traced = [
        gradient(|x| ((x + s) * &dy).sum(), &x),
        gradient(|x| ((x - s) * &dy).sum(), &x),
        gradient(|x| ((x * s) * &dy).sum(), &x),
        gradient(|x| ((x / s) * &dy).sum(), &x),
    ];
    for ((what, rule, _, _), g) in cases.iter().zip(traced) {
        assert_eq!(g, rule(x.clone(), s, dy.clone()).1, "traced {what}");
    }
}

fn run<P: Pullback<Batch3<E>, Grads = Batch3<E>>, E: Float>(
    (y, back): (Batch3<E>, P),
    dy: Batch3<E>,
) -> (Batch3<E>, Batch3<E>) {
    (y, back.pullback(dy))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn same_shape_f64((c, a, b, dy) in pair_inputs(0)) {
        same_shape::<f64>(c, &a, &b, &dy);
    }

    #[test]
    fn same_shape_f32((c, a, b, dy) in pair_inputs(0)) {
        same_shape::<f32>(c, &a, &b, &dy);
    }

    #[test]
    fn batch_with_vector_f64((c, a, b, dy) in pair_inputs(3)) {
        batch_with_vector::<f64>(c, &a, &b, &dy);
    }

    #[test]
    fn batch_with_vector_f32((c, a, b, dy) in pair_inputs(3)) {
        batch_with_vector::<f32>(c, &a, &b, &dy);
    }

    #[test]
    fn batch_with_scalar_f64((c, a, b, dy) in pair_inputs(1)) {
        batch_with_scalar::<f64>(c, &a, b[0], &dy);
    }

    #[test]
    fn batch_with_scalar_f32((c, a, b, dy) in pair_inputs(1)) {
        batch_with_scalar::<f32>(c, &a, b[0], &dy);
    }

    #[test]
    fn constant_scalar_f64((c, x, s, dy) in scalar_inputs()) {
        constant_scalar::<f64>(c, &x, s[0], &dy);
    }

    #[test]
    fn constant_scalar_f32((c, x, s, dy) in scalar_inputs()) {
        constant_scalar::<f32>(c, &x, s[0], &dy);
    }
}

/// A constant `f32` or `f64` on the left of a traced value.
macro_rules! scalar_on_the_left {
    ($($name:ident: $f:ty;)*) => {$(
        #[test]
        fn $name() {
            let x: Tensor<(Const<2>,), $f> = Tensor::from_array([0.5, -2.0]);
            let s: $f = 3.0;
            assert_eq!(gradient(|x| (s + x).sum(), &x).to_vec(), vec![1.0, 1.0]);
            assert_eq!(gradient(|x| (s - x).sum(), &x).to_vec(), vec![-1.0, -1.0]);
            assert_eq!(gradient(|x| (s * x).sum(), &x).to_vec(), vec![3.0, 3.0]);
            // d/dx (3 / x) = -3 / x²
            assert_eq!(gradient(|x| (s / x).sum(), &x).to_vec(), vec![-12.0, -0.75]);
        }
    )*};
}

scalar_on_the_left! {
    scalar_on_the_left_f64: f64;
    scalar_on_the_left_f32: f32;
}

/// Broadcasting a vector over a batch: its gradient is the sum over the
/// batch, by hand.
#[test]
fn bias_gradient_sums_the_batch() {
    let m = Tensor::from_slice((Const::<2>, 3), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let b: Tensor<(Const<2>,), f64> = Tensor::from_array([0.5, -0.5]);
    let db = gradient(|b| (&m + b).square().sum(), &b);
    // 2 Σⱼ (mᵢⱼ + bᵢ): row 0 is 1, 3, 5 → 2·(9 + 1.5); row 1 is 2, 4, 6 → 2·(12 - 1.5)
    assert_eq!(db.to_vec(), vec![21.0, 21.0]);
}
