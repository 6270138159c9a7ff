//! The implicit style: `params` collects parameters, `Grads` is looked up by
//! the parameters themselves and says clearly when a lookup is wrong.

use typeflux_ad::reverse::{gradient, params, value_and_gradient};
use typeflux_core::prelude::*;

#[test]
fn lookup_by_the_parameter_itself() {
    let w: Matrix<2, 2, f64> = Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]);
    let b: Vector<2, f64> = Tensor::from_array([1.0, -1.0]);
    let x: Vector<2, f64> = Tensor::from_array([0.5, 2.0]);
    let (loss, gs) = value_and_gradient(|(w, b)| (w.matmul(&x) + b).sum(), params((&w, &b)));
    assert_eq!(loss, (w.matmul(&x) + &b).sum());
    assert_eq!(gs.len(), 2);
    assert_eq!(gs[&w], Tensor::from_array([[0.5, 2.0], [0.5, 2.0]])); // 1·xᵀ
    assert_eq!(gs[&b], Vector::ones());
    assert_eq!(gs.get(&b), Some(&Vector::ones()));
    assert_eq!(gs.get(&x), None);
}

#[test]
fn nested_parameters() {
    let w1 = Matrix::<2, 2, f64>::ones();
    let b1 = Vector::<2, f64>::zeros();
    let w2 = Matrix::<1, 2, f64>::ones();
    let x: Vector<2, f64> = Tensor::from_array([1.0, 2.0]);
    let gs = gradient(
        |((w1, b1), w2)| w2.matmul(w1.matmul(&x) + b1).sum(),
        params(((&w1, &b1), &w2)),
    );
    assert_eq!(gs.len(), 3);
    assert_eq!(gs[&w2], Tensor::from_array([[3.0, 3.0]]));
    assert_eq!(gs[&b1], Vector::ones());
    assert_eq!(gs[&w1], Tensor::from_array([[1.0, 2.0], [1.0, 2.0]]));
}

/// A parameter listed twice is one parameter: its gradients add up.
#[test]
fn a_parameter_listed_twice() {
    let w: Vector<2, f64> = Tensor::from_array([1.0, 2.0]);
    let gs = gradient(|(a, b)| (a * 2.0 + b).sum(), params((&w, &w)));
    assert_eq!(gs.len(), 1);
    assert_eq!(gs[&w].to_vec(), vec![3.0, 3.0]);
}

#[test]
#[should_panic(
    expected = "Grads: no gradient for this tensor of shape 2: it was not passed to `params`"
)]
fn looking_up_a_tensor_that_is_not_a_parameter() {
    let (w, v) = (Vector::<2, f64>::ones(), Vector::<2, f64>::ones());
    let gs = gradient(|w| w.sum(), params(&w));
    let _ = &gs[&v];
}

/// Parameters are recognised by where their buffers are: a moved parameter
/// is no longer found.
#[test]
fn a_moved_parameter_is_not_found() {
    let w = Vector::<2, f64>::ones();
    let gs = gradient(|w| w.sum(), params(&w));
    let moved = Box::new(w);
    assert!(gs.get(&moved).is_none());
}
