//! The cotangent of a sum or a mean reaches the next backward node as a
//! `Fill` (one scalar): every kind of node that can receive it (a leaf, a
//! constant, a unary pullback that scales in place, one that spreads it
//! first, a closure, a binary pullback, a branch) gives the gradient that
//! spreading it into a tensor at once gives.

use typeflux_ad::reverse::rules::{reduce, unary};
use typeflux_ad::reverse::{Cotangent, Fill, Pullback, Traced, gradient, pullback};
use typeflux_core::BinaryOp;
use typeflux_core::prelude::*;

fn x() -> Vector<4, f64> {
    Tensor::from_array([0.5, -1.0, 2.0, 3.0])
}

fn y() -> Vector<4, f64> {
    Tensor::from_array([1.5, 0.25, -2.0, 1.0])
}

#[test]
fn a_fill_is_a_tensor_with_every_element_equal() {
    let fill = Fill::new(2.5, (Const::<4>,), Cpu);
    assert_eq!(fill.value(), 2.5);
    assert_eq!(Vector::<4, f64>::from_fill(fill.clone()), Vector::full(2.5));
    assert_eq!(fill.into_tensor(), Vector::full(2.5));
}

#[test]
fn a_leaf_receives_the_fill_spread() {
    assert_eq!(gradient(|x| x.sum(), &x()), Vector::ones());
    assert_eq!(gradient(|x| x.mean(), &x()), Vector::full(0.25));
    let (_, back) = pullback(|x| x.sum(), x());
    assert_eq!(back(Tensor::scalar(-3.0)), Vector::full(-3.0));
}

#[test]
fn square_and_exp_scale_what_they_keep() {
    let (_, back) = pullback(|x| x.square().sum(), x());
    assert_eq!(back(Tensor::scalar(3.0)), &x() * 6.0);
    let (_, back) = pullback(|x| x.exp().mean(), x());
    assert_eq!(back(Tensor::scalar(2.0)), x().exp() * 0.5);

    // The filled form of the pullback against the tensor form.
    let (_, back) = unary::square(x());
    let (_, again) = unary::square(x());
    let fill = Fill::new(1.5, (Const::<4>,), Cpu);
    assert_eq!(
        back.pullback_fill(fill.clone()),
        again.pullback(fill.into_tensor())
    );
}

#[test]
fn other_pullbacks_receive_the_fill_spread() {
    assert_eq!(
        gradient(|x| x.tanh().sum(), &x()),
        x().tanh().square().scalar_op_left(BinaryOp::Sub, 1.0)
    );
    assert_eq!(gradient(|x| (x * 3.0).sum(), &x()), Vector::full(3.0));
    let twice = |v: Vector<4, f64>| (v.clone() * 2.0, |dv: Vector<4, f64>| dv * 2.0);
    assert_eq!(gradient(|x| x.apply(twice).mean(), &x()), Vector::full(0.5));
}

#[test]
fn a_binary_pullback_and_a_constant_receive_the_fill() {
    let (gx, gy) = gradient(|(x, y)| (x - y).square().sum(), (&x(), &y()));
    let d = x() - y();
    assert_eq!((gx, gy), (&d * 2.0, &d * -2.0));
    let (gx, gy) = gradient(|(x, y)| (x * y).sum(), (&x(), &y()));
    assert_eq!((gx, gy), (y(), x()));
    assert_eq!(gradient(|x| (x + &y()).sum(), &x()), Vector::ones());
    assert_eq!(gradient(|x| (&y() - x).mean(), &x()), Vector::full(-0.25));
    let (_, back) = reduce::sum(y());
    assert_eq!(back.pullback(Tensor::scalar(2.0)), Vector::full(2.0));
}

#[test]
fn a_branch_passes_the_fill_to_the_path_taken() {
    for smooth in [true, false] {
        let g = gradient(
            |x| {
                if smooth {
                    x.exp().left()
                } else {
                    x.square().right()
                }
                .sum()
            },
            &x(),
        );
        assert_eq!(g, if smooth { x().exp() } else { &x() * 2.0 });
    }
    // A path that is a constant: the fill reaches it and is dropped.
    for traced in [true, false] {
        let g = gradient(
            |x| {
                if traced {
                    x.left()
                } else {
                    Traced::constant(y()).right()
                }
                .sum()
            },
            &x(),
        );
        assert_eq!(
            g,
            if traced {
                Vector::ones()
            } else {
                Vector::zeros()
            }
        );
    }
}
