//! Shape rules (`transpose`, `reshape`, `flatten`, `into_batch`, `concat`)
//! against forward mode and central differences, in `f64` and `f32`, with a
//! runtime batch where the operation allows one; each also through the
//! traced method. Tolerances are in `reverse_support`.

mod reverse_support;

use proptest::prelude::*;
use reverse_support::*;
use typeflux_ad::reverse::{Pullback, Traced, gradient, rules::shape};
use typeflux_core::Const;

type M26 = (Const<2>, Const<6>);
type M34 = (Const<3>, Const<4>);

/// For each one-operand shape rule: the value is the core method's, the
/// pullback agrees with both references, and the traced method gives the
/// same gradient.
macro_rules! reshapes {
    ($($name:ident: rule $rule:expr, traced |$t:ident| $traced:expr, core |$x:ident| $core:expr,
        x $sx:expr, y $sy:expr;)*) => {$(
        mod $name {
            use super::*;

            fn check<E: Float>(cols: usize, vx: &[f64], vdy: &[f64]) {
                let x = fill::<_, E>($sx(cols), vx);
                let dy = fill::<_, E>($sy(cols), vdy);

                let (y, back) = $rule(x.clone());
                assert_eq!(y, { let $x = x.clone(); $core });
                let dx = back.pullback(dy.clone());
                assert_references(
                    stringify!($name),
                    &dx,
                    &forward_vjp(&x, &dy, |$x| $core),
                    &central_vjp(&x, &dy, |$x| $core),
                );

                let traced = gradient(|$t| ($traced * &dy).sum(), &x);
                assert_eq!(traced, dx, "traced");
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(64))]

                #[test]
                fn f64((cols, x, dy) in batch_size().prop_flat_map(|c| (Just(c), values(12), values(12)))) {
                    check::<f64>(cols, &x, &dy);
                }

                #[test]
                fn f32((cols, x, dy) in batch_size().prop_flat_map(|c| (Just(c), values(12), values(12)))) {
                    check::<f32>(cols, &x, &dy);
                }
            }
        }
    )*};
}

reshapes! {
    transpose: rule shape::transpose, traced |x| x.transpose(), core |x| x.transpose(),
        x |c| (Const::<3>, c), y |c| (c, Const::<3>);
    reshape: rule shape::reshape::<M26, M34, _, _>, traced |x| x.reshape::<M34>(),
        core |x| x.reshape::<M34>(), x |_| M26::default(), y |_| M34::default();
    flatten: rule shape::flatten::<_, 6, _, _>, traced |x| x.flatten::<6>(),
        core |x| x.flatten::<6>(), x |_| (Const::<2>, Const::<3>), y |_| (Const::<6>,);
    into_batch: rule shape::into_batch, traced |x| x.into_batch(), core |x| x.into_batch(),
        x |_| (Const::<3>, Const::<2>), y |_| (Const::<3>, 2);
    vector_into_batch: rule shape::vector_into_batch, traced |x| x.into_batch(),
        core |x| x.into_batch(), x |_| (Const::<3>,), y |_| (Const::<3>, 1);
}

/// Concatenation of a `2 × batch` and a `3 × batch` into `5 × batch`, and of
/// two vectors: the pullback splits the cotangent.
fn check_concat<E: Float>(cols: usize, va: &[f64], vb: &[f64], vdy: &[f64]) {
    let a = fill::<_, E>((Const::<2>, cols), va);
    let b = fill::<_, E>((Const::<3>, cols), vb);
    let dy = fill::<_, E>((Const::<5>, cols), vdy);
    let (y, back) = shape::concat::<2, 3, 5, _, _, _>(a.clone(), b.clone());
    assert_eq!(y, a.concat::<3, 5>(&b));
    let (da, db) = back.pullback(dy.clone());
    let (la, lb) = (lift(&a), lift(&b));
    assert_references(
        "concat toward a",
        &da,
        &forward_vjp(&a, &dy, |a| a.concat::<3, 5>(&lb)),
        &central_vjp(&a, &dy, |a| a.concat::<3, 5>(&b)),
    );
    assert_references(
        "concat toward b",
        &db,
        &forward_vjp(&b, &dy, |b| la.concat::<3, 5>(&b)),
        &central_vjp(&b, &dy, |b| a.concat::<3, 5>(&b)),
    );
    let traced = gradient(|(a, b)| (a.concat::<3, 5, _>(b) * &dy).sum(), (&a, &b));
    assert_eq!(traced, (da.clone(), db.clone()), "traced, both");
    let toward_a = gradient(|a| (a.concat::<3, 5, _>(&b) * &dy).sum(), &a);
    assert_eq!(toward_a, da, "traced, b constant");
    let toward_b = gradient(
        |b| (Traced::constant(a.clone()).concat::<3, 5, _>(b) * &dy).sum(),
        &b,
    );
    assert_eq!(toward_b, db, "traced, a constant");

    let (u, v) = (
        fill::<_, E>((Const::<2>,), va),
        fill::<_, E>((Const::<3>,), vb),
    );
    let dw = fill::<_, E>((Const::<5>,), vdy);
    let (w, back) = shape::concat_vectors::<2, 3, 5, _, _>(u.clone(), v.clone());
    assert_eq!(w, u.concat::<3, 5>(&v));
    let (du, dv) = back.pullback(dw.clone());
    let (lu, lv) = (lift(&u), lift(&v));
    assert_references(
        "concat_vectors toward u",
        &du,
        &forward_vjp(&u, &dw, |u| u.concat::<3, 5>(&lv)),
        &central_vjp(&u, &dw, |u| u.concat::<3, 5>(&v)),
    );
    assert_references(
        "concat_vectors toward v",
        &dv,
        &forward_vjp(&v, &dw, |v| lu.concat::<3, 5>(&v)),
        &central_vjp(&v, &dw, |v| u.concat::<3, 5>(&v)),
    );
    let traced = gradient(|(u, v)| (u.concat::<3, 5, _>(v) * &dw).sum(), (&u, &v));
    assert_eq!(traced, (du, dv), "traced vectors");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn concat_f64((cols, a, b, dy) in batch_size().prop_flat_map(|c| (Just(c), values(2 * c), values(3 * c), values(5 * c)))) {
        check_concat::<f64>(cols, &a, &b, &dy);
    }

    #[test]
    fn concat_f32((cols, a, b, dy) in batch_size().prop_flat_map(|c| (Just(c), values(2 * c), values(3 * c), values(5 * c)))) {
        check_concat::<f32>(cols, &a, &b, &dy);
    }
}
