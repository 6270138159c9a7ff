//! Product rules (`matmul`, `matvec`, `t_matmul`, `matmul_t`, `outer`,
//! `vecmat`, `dot`) against forward mode and central differences, in `f64`
//! and `f32`, with a runtime batch axis (`(Const<N>, usize)`) wherever the
//! product allows one. Each product is also differentiated through the
//! traced method with both operands traced and with either one a constant.
//! Tolerances are in `reverse_support`.

mod reverse_support;

use proptest::prelude::*;
use reverse_support::*;
use typeflux_ad::reverse::{Pullback, Traced, gradient, rules::matmul as products};
use typeflux_core::{Const, MatMul, Tensor};

/// For each product: the rule's value is the core method's, both halves of
/// its pullback agree with both references, and the traced method (both
/// operands traced, `b` a constant, `a` a constant) gives the same gradients.
macro_rules! products {
    ($($name:ident: $rule:ident, $method:ident,
        a $sa:expr, b $sb:expr, y $sy:expr, core |$x:ident, $y:ident| $core:expr;)*) => {$(
        mod $name {
            use super::*;

            fn check<E: Float>(cols: usize, va: &[f64], vb: &[f64], vdy: &[f64]) {
                let a = fill::<_, E>($sa(cols), va);
                let b = fill::<_, E>($sb(cols), vb);
                let dy = fill::<_, E>($sy(cols), vdy);

                let (y, back) = products::$rule(a.clone(), b.clone());
                assert_eq!(y, { let ($x, $y) = (&a, &b); $core });
                let (da, db) = back.pullback(dy.clone());

                let (la, lb) = (lift(&a), lift(&b));
                assert_references(
                    "toward a",
                    &da,
                    &forward_vjp(&a, &dy, |a| { let ($x, $y) = (&a, &lb); $core }),
                    &central_vjp(&a, &dy, |a| { let ($x, $y) = (&a, &b); $core }),
                );
                assert_references(
                    "toward b",
                    &db,
                    &forward_vjp(&b, &dy, |b| { let ($x, $y) = (&la, &b); $core }),
                    &central_vjp(&b, &dy, |b| { let ($x, $y) = (&a, &b); $core }),
                );

                let both = gradient(|(a, b)| (a.$method(b) * &dy).sum(), (&a, &b));
                assert_eq!(both, (da.clone(), db.clone()), "traced, both");
                let toward_a = gradient(|a| (a.$method(&b) * &dy).sum(), &a);
                assert_eq!(toward_a, da, "traced, b constant");
                let toward_b =
                    gradient(|b| (Traced::constant(a.clone()).$method(b) * &dy).sum(), &b);
                assert_eq!(toward_b, db, "traced, a constant");
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(64))]

                #[test]
                fn f64((cols, a, b, dy) in batch_size().prop_flat_map(|c| (Just(c), values(16), values(16), values(16)))) {
                    check::<f64>(cols, &a, &b, &dy);
                }

                #[test]
                fn f32((cols, a, b, dy) in batch_size().prop_flat_map(|c| (Just(c), values(16), values(16), values(16)))) {
                    check::<f32>(cols, &a, &b, &dy);
                }
            }
        }
    )*};
}

products! {
    // W·X: 2 × 3 weights times a 3 × batch input.
    matmul: matmul, matmul,
        a |_| (Const::<2>, Const::<3>), b |c| (Const::<3>, c), y |c| (Const::<2>, c),
        core |a, b| a.matmul(b);
    // W·x: 2 × 3 weights times one input.
    matvec: matvec, matmul,
        a |_| (Const::<2>, Const::<3>), b |_| (Const::<3>,), y |_| (Const::<2>,),
        core |a, b| a.matmul(b);
    // Wᵀ·δ: the input gradient of a layer, 3 × 2 weights and a 3 × batch δ.
    t_matmul: t_matmul, t_matmul,
        a |_| (Const::<3>, Const::<2>), b |c| (Const::<3>, c), y |c| (Const::<2>, c),
        core |a, b| a.t_matmul(b);
    // δ·Xᵀ: the weight gradient of a layer, the inner size is the batch.
    matmul_t: matmul_t, matmul_t,
        a |c| (Const::<2>, c), b |c| (Const::<3>, c), y |_| (Const::<2>, Const::<3>),
        core |a, b| a.matmul_t(b);
    outer: outer, outer,
        a |_| (Const::<2>,), b |_| (Const::<3>,), y |_| (Const::<2>, Const::<3>),
        core |a, b| a.outer(b);
    // aᵀ·B with a runtime number of columns: the result has a runtime length.
    vecmat: vecmat, vecmat,
        a |_| (Const::<3>,), b |c| (Const::<3>, c), y |c| (c,),
        core |a, b| a.vecmat(b);
    dot: dot, dot,
        a |_| (Const::<4>,), b |_| (Const::<4>,), y |_| (),
        core |a, b| Tensor::scalar(a.dot(b));
}

/// The rules by hand, on integers: every product is exact.
#[test]
fn matmul_by_hand() {
    let a: Tensor<(Const<2>, Const<2>), f64> = Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]);
    let b: Tensor<(Const<2>, Const<1>), f64> = Tensor::from_array([[5.0], [6.0]]);
    let (c, back) = products::matmul(a, b);
    assert_eq!(c.to_vec(), vec![17.0, 39.0]);
    let (da, db) = back.pullback(Tensor::from_array([[1.0], [1.0]]));
    // Ā = C̄·Bᵀ: each row is bᵀ; B̄ = Aᵀ·C̄: the column sums of A.
    assert_eq!(da, Tensor::from_array([[5.0, 6.0], [5.0, 6.0]]));
    assert_eq!(db, Tensor::from_array([[4.0], [6.0]]));
}

/// Products large enough for core's blocked kernel (`f32` and `f64` switch
/// from a plain loop above 4096 multiply-adds), whose pullbacks read their
/// operands transposed through strides.
fn check_large<E: Float>(cols: usize, va: &[f64], vb: &[f64], vdy: &[f64]) {
    let a = fill::<_, E>((Const::<20>, Const::<30>), va);
    let b = fill::<_, E>((Const::<30>, cols), vb);
    let dy = fill::<_, E>((Const::<20>, cols), vdy);
    let (da, db) = gradient(|(a, b)| (a.matmul(b) * &dy).sum(), (&a, &b));
    let (la, lb) = (lift(&a), lift(&b));
    assert_references(
        "large, toward a",
        &da,
        &forward_vjp(&a, &dy, |a| a.matmul(&lb)),
        &central_vjp(&a, &dy, |a| a.matmul(&b)),
    );
    assert_references(
        "large, toward b",
        &db,
        &forward_vjp(&b, &dy, |b| la.matmul(&b)),
        &central_vjp(&b, &dy, |b| a.matmul(&b)),
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn large_f64((cols, a, b, dy) in (10usize..=12).prop_flat_map(|c| (Just(c), values(600), values(30 * c), values(20 * c)))) {
        check_large::<f64>(cols, &a, &b, &dy);
    }

    #[test]
    fn large_f32((cols, a, b, dy) in (10usize..=12).prop_flat_map(|c| (Just(c), values(600), values(30 * c), values(20 * c)))) {
        check_large::<f32>(cols, &a, &b, &dy);
    }
}
