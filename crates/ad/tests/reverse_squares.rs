//! The fused sums of squares: `sum_squares()` and `mean_squares()` are one
//! pass that stores no square, checked against the closed form and against
//! the square and the sum as separate rules; and the square as an operation
//! of its own, in every position.

use proptest::prelude::*;
use typeflux_ad::reverse::{Traced, Tracks, gradient, pullback, value_and_gradient};
use typeflux_core::prelude::*;

fn vector(values: &[f64]) -> Vector<5, f64> {
    Vector::from_slice((Const,), values).unwrap()
}

proptest! {
    #[test]
    fn fused_sum_and_mean_match_the_eager_square_and_the_closed_form(
        a in prop::collection::vec(-10.0f64..10.0, 5),
        b in prop::collection::vec(-10.0f64..10.0, 5),
    ) {
        let (x, y) = (vector(&a), vector(&b));
        let d: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a - b).collect();
        let sum: f64 = d.iter().map(|d| d * d).sum();

        let (s, (dx, dy)) = value_and_gradient(|(x, y)| (x - y).sum_squares(), (&x, &y));
        let (s_eager, (dx_eager, dy_eager)) =
            value_and_gradient(|(x, y)| (x - y).square().sum(), (&x, &y));
        prop_assert!((s - sum).abs() <= 1e-12 * sum.max(1.0));
        prop_assert!((s - s_eager).abs() <= 1e-12 * sum.max(1.0));
        prop_assert_eq!(&dx, &dx_eager);
        prop_assert_eq!(&dy, &dy_eager);
        for i in 0..5 {
            prop_assert_eq!(dx[i], 2.0 * d[i]);
            prop_assert_eq!(dy[i], -2.0 * d[i]);
        }

        let (m, dx) = value_and_gradient(|x| x.mean_squares(), &x);
        let (m_eager, dx_eager) = value_and_gradient(|x| x.square().mean(), &x);
        let mean = a.iter().map(|a| a * a).sum::<f64>() / 5.0;
        prop_assert!((m - mean).abs() <= 1e-12 * mean.max(1.0));
        prop_assert!((m - m_eager).abs() <= 1e-12 * mean.max(1.0));
        for i in 0..5 {
            prop_assert!((dx[i] - dx_eager[i]).abs() <= 1e-15 * a[i].abs().max(1.0));
            prop_assert!((dx[i] - 2.0 * a[i] / 5.0).abs() <= 1e-15 * a[i].abs().max(1.0));
        }
    }
}

#[test]
fn a_large_f32_sum_of_squares_matches_a_loop_in_f64() {
    // Long enough for the fused kernel's partial sums and its remainder.
    let n = 1003;
    let values: Vec<f32> = (0..n)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
        .collect();
    let x = Vector::<1003>::from_slice((Const,), &values).unwrap();
    let (s, g) = value_and_gradient(|x| x.sum_squares(), &x);
    let exact: f64 = values.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    assert!((f64::from(s) - exact).abs() <= 1e-5 * exact);
    assert!(g.iter().zip(&values).all(|(g, v)| *g == 2.0 * v));
}

#[test]
fn the_square_in_every_position() {
    let x: Vector<2> = Tensor::from_array([1.0, -2.0]);
    let w: Matrix<1, 2> = Tensor::from_array([[3.0, 5.0]]);
    // An operand of an operator, on either side, and with a scalar.
    assert_eq!(
        gradient(|x| (x.square() * 3.0).sum(), &x).to_vec(),
        vec![6.0, -12.0]
    );
    assert_eq!(
        gradient(|x| (x.clone() + x.square()).sum(), &x).to_vec(),
        vec![3.0, -3.0]
    );
    assert_eq!(
        gradient(|x| (-x.square()).sum(), &x).to_vec(),
        vec![-2.0, 4.0]
    );
    // The right operand of a product, and the operand of a method.
    assert_eq!(
        gradient(|x| Traced::constant(w.clone()).matmul(x.square()).sum(), &x).to_vec(),
        vec![6.0, -20.0]
    );
    assert_eq!(gradient(|x| x.square().exp().sum(), &x).to_vec(), {
        let e = [1f32.exp(), 4f32.exp()];
        vec![2.0 * e[0], -4.0 * e[1]]
    });
    // A square of a square, and the two branches of a choice.
    assert_eq!(
        gradient(|x| x.square().square().sum(), &x).to_vec(),
        vec![4.0, -32.0]
    );
    for first in [true, false] {
        let g = gradient(
            |x| {
                if first {
                    x.square().left().sum()
                } else {
                    x.exp().right().sum()
                }
            },
            &x,
        );
        let expected = if first {
            vec![2.0, -4.0]
        } else {
            x.exp().to_vec()
        };
        assert_eq!(g.to_vec(), expected);
    }
    // A square detached is a constant.
    assert_eq!(
        gradient(|x| (x.clone() * x.square().detach()).sum(), &x).to_vec(),
        vec![1.0, 4.0]
    );
}

#[test]
fn a_square_as_the_result_of_a_pullback_or_a_helper() {
    let x: Vector<2> = Tensor::from_array([1.0, -2.0]);
    let (y, back) = pullback(|x| x.square(), &x);
    assert_eq!(y.to_vec(), vec![1.0, 4.0]);
    assert_eq!(back(Vector::ones()).to_vec(), vec![2.0, -4.0]);

    fn squared<G>(
        x: Traced<Vector<2>, impl Tracks<Vector<2>, G>>,
    ) -> Traced<Vector<2>, impl Tracks<Vector<2>, G>> {
        x.square()
    }
    let g = gradient(|x| squared(squared(x)).sum(), &x);
    assert_eq!(g.to_vec(), vec![4.0, -32.0]);
    let g = gradient(|x| squared(x).mean(), &x);
    assert_eq!(g.to_vec(), vec![1.0, -2.0]);
}
