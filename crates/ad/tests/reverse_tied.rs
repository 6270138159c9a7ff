//! Gradients with respect to tied values: the places of one `Tied` value
//! come back as one gradient, in one handle at every place, equal to the
//! sum of the gradients of the same places untied (computed separately) and
//! to central finite differences.

use typeflux_ad::reverse::gradient;
use typeflux_core::functor::Tied;
use typeflux_core::prelude::*;

type W = Matrix<2, 2, f64>;
type V = Vector<2, f64>;

fn w0() -> W {
    Tensor::from_array([[0.5, -0.3], [0.2, 0.8]])
}

fn x0() -> V {
    Tensor::from_array([1.0, -2.0])
}

/// `sum(tanh(B·tanh(A·x)))`, with `A` and `B` given.
fn loss(a: &W, b: &W) -> f64 {
    b.matmul(&a.matmul(&x0()).tanh()).tanh().sum()
}

#[test]
fn the_places_of_a_tied_matrix_add_their_gradients() {
    let t = Tied::new(w0());
    let (ga, x, gb) = gradient(
        |(a, x, b)| b.matmul(a.matmul(x).tanh()).tanh().sum(),
        (t.clone(), x0(), t),
    );
    assert!(Tied::ptr_eq(&ga, &gb), "one gradient at both places");

    let (ua, ux, ub) = gradient(
        |(a, x, b)| b.matmul(a.matmul(x).tanh()).tanh().sum(),
        (w0(), x0(), w0()),
    );
    assert_eq!(*ga.read(), &ua + &ub);
    assert_eq!(x, ux);
}

#[test]
fn the_gradient_of_a_tied_matrix_matches_finite_differences() {
    let t = Tied::new(w0());
    let (g, _) = gradient(
        |(a, b)| b.matmul(a.matmul(&x0()).tanh()).tanh().sum(),
        (t.clone(), t),
    );
    let g = g.read().to_vec();
    let h = 1e-6;
    for k in 0..4 {
        let at = |d: f64| {
            let mut w = w0().to_vec();
            w[k] += d;
            let w = W::try_from_slice(&w).unwrap();
            loss(&w, &w)
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        assert!((fd - g[k]).abs() < 1e-8, "[{k}]: {fd} against {}", g[k]);
    }
}

#[test]
fn three_places_and_an_unused_one() {
    let t = Tied::new(x0());
    let (a, b, c, d) = gradient(
        |(a, b, c, _d)| (a.square() + b * 3.0 + c.exp()).sum(),
        (t.clone(), t.clone(), t.clone(), t),
    );
    assert!(Tied::ptr_eq(&a, &b) && Tied::ptr_eq(&b, &c) && Tied::ptr_eq(&c, &d));
    let x = x0();
    let expected = &x * 2.0 + 3.0 + x.exp();
    assert_eq!(*a.read(), expected);
}

#[test]
fn a_tie_with_one_place_is_the_plain_gradient() {
    let (g,) = gradient(|(a,)| a.square().sum(), (Tied::new(x0()),));
    assert_eq!(*g.read(), x0() * 2.0);
    assert_eq!(g.places(), 1);
}

#[test]
fn each_gradient_call_ties_afresh() {
    let t = Tied::new(x0());
    let first = gradient(|(a, b)| (a + b).sum(), (t.clone(), t.clone()));
    let second = gradient(|(a, b)| (a + b).sum(), (t.clone(), t));
    assert!(!Tied::ptr_eq(&first.0, &second.0));
    assert_eq!(*first.0.read(), V::full(2.0));
    assert_eq!(*second.0.read(), V::full(2.0));
}

#[test]
fn a_tie_inside_a_tied_value_sums_over_every_place() {
    let inner = Tied::new(x0());
    let outer = Tied::new((inner.clone(), inner));
    let (first, second) = gradient(
        |((a, b), (c, d))| (a + b * 2.0 + c * 3.0 + d * 4.0).sum(),
        (outer.clone(), outer),
    );
    assert!(Tied::ptr_eq(&first, &second));
    let (a, b) = &*first.read();
    assert!(Tied::ptr_eq(a, b));
    // The four places of the inner value, added once each.
    assert_eq!(*a.read(), V::full(1.0 + 2.0 + 3.0 + 4.0));
}
