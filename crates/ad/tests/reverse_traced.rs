//! Traced computations as a whole: a two-layer network's gradient against
//! forward mode and central differences, values used twice, constants,
//! runtime branches, vector–Jacobian products, inputs of every shape
//! (tensors, scalars, tuples from 1 to 8, nested tuples, structs deriving
//! `Functor`, optional parts), and
//! reverse mode over dual numbers. Tolerances are in `reverse_support`.

mod reverse_support;

use num_dual::Dual64;
use proptest::prelude::*;
use reverse_support::*;
use typeflux_ad::derivative;
use typeflux_ad::reverse::rules::{arith::SubPullback, reduce::SumPullback, unary::UnaryPullback};
use typeflux_ad::reverse::{
    Join, Leaf, Reverse, Root, Step, Then, Traced, fields, gradient, model, pullback,
    value_and_gradient,
};
use typeflux_core::functor::{Functor, Trace};
use typeflux_core::{Const, Cpu, Element, MatMul, Tensor, UnaryOp};

type Batch<const N: usize, E> = Tensor<(Const<N>, usize), E>;
type Matrix<const R: usize, const C: usize, E> = Tensor<(Const<R>, Const<C>), E>;
type Vector<const N: usize, E> = Tensor<(Const<N>,), E>;

/// `sum((W₂·tanh(W₁·X .+ b₁) .+ b₂ - Y)²)` with core tensor operations, for
/// any element: the reference computation.
fn mlp_loss<E: Element>(
    w1: &Matrix<4, 3, E>,
    b1: &Vector<4, E>,
    w2: &Matrix<2, 4, E>,
    b2: &Vector<2, E>,
    x: &Batch<3, E>,
    y: &Batch<2, E>,
) -> Tensor<(), E> {
    let h = (w1.matmul(x) + b1).tanh();
    let out = w2.matmul(&h) + b2;
    Tensor::scalar((out - y).square().sum())
}

fn check_mlp<E: Float>(cols: usize, v: &[Vec<f64>; 6]) {
    let w1: Matrix<4, 3, E> = tensor(&v[0]);
    let b1: Vector<4, E> = tensor(&v[1]);
    let w2: Matrix<2, 4, E> = tensor(&v[2]);
    let b2: Vector<2, E> = tensor(&v[3]);
    let x: Batch<3, E> = batch(cols, &v[4]);
    let y: Batch<2, E> = batch(cols, &v[5]);

    let (loss, (dw1, db1, dw2, db2)) = value_and_gradient(
        |(w1, b1, w2, b2)| {
            let h = (w1.matmul(&x) + b1).tanh();
            (w2.matmul(h) + b2 - &y).square().sum()
        },
        (&w1, &b1, &w2, &b2),
    );
    assert_eq!(loss, mlp_loss(&w1, &b1, &w2, &b2, &x, &y).as_slice()[0]);

    let one = Tensor::scalar(E::one());
    let (lw1, lb1, lw2, lb2, lx, ly) = (
        lift(&w1),
        lift(&b1),
        lift(&w2),
        lift(&b2),
        lift(&x),
        lift(&y),
    );
    assert_references(
        "W₁",
        &dw1,
        &forward_vjp(&w1, &one, |w1| mlp_loss(&w1, &lb1, &lw2, &lb2, &lx, &ly)),
        &central_vjp(&w1, &one, |w1| mlp_loss(&w1, &b1, &w2, &b2, &x, &y)),
    );
    assert_references(
        "b₁",
        &db1,
        &forward_vjp(&b1, &one, |b1| mlp_loss(&lw1, &b1, &lw2, &lb2, &lx, &ly)),
        &central_vjp(&b1, &one, |b1| mlp_loss(&w1, &b1, &w2, &b2, &x, &y)),
    );
    assert_references(
        "W₂",
        &dw2,
        &forward_vjp(&w2, &one, |w2| mlp_loss(&lw1, &lb1, &w2, &lb2, &lx, &ly)),
        &central_vjp(&w2, &one, |w2| mlp_loss(&w1, &b1, &w2, &b2, &x, &y)),
    );
    assert_references(
        "b₂",
        &db2,
        &forward_vjp(&b2, &one, |b2| mlp_loss(&lw1, &lb1, &lw2, &b2, &lx, &ly)),
        &central_vjp(&b2, &one, |b2| mlp_loss(&w1, &b1, &w2, &b2, &x, &y)),
    );
}

fn mlp_inputs() -> impl Strategy<Value = (usize, [Vec<f64>; 6])> {
    batch_size().prop_flat_map(|c| {
        (
            Just(c),
            [
                values(12),
                values(4),
                values(8),
                values(2),
                values(3 * c),
                values(2 * c),
            ],
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn two_layer_network_f64((cols, v) in mlp_inputs()) {
        check_mlp::<f64>(cols, &v);
    }

    #[test]
    fn two_layer_network_f32((cols, v) in mlp_inputs()) {
        check_mlp::<f32>(cols, &v);
    }

    /// `x ⊙ exp(x)`, using `x` twice through a clone, against forward mode.
    #[test]
    fn value_used_twice((cols, xs, dys) in batch_size().prop_flat_map(|c| (Just(c), values(3 * c), values(3 * c)))) {
        let x: Batch<3, f64> = batch(cols, &xs);
        let dy: Batch<3, f64> = batch(cols, &dys);
        let g = gradient(|x| (x.clone() * x.exp() * &dy).sum(), &x);
        let reference = forward_vjp(&x, &dy, |x| &x * &x.exp());
        assert_close("x ⊙ eˣ", &g, &reference, f64::TOL_FORWARD);
    }

    /// `pullback` of a vector-valued function is its vector–Jacobian product.
    #[test]
    fn vector_jacobian_product((xs, dys) in (values(3), values(2))) {
        let w: Matrix<2, 3, f64> = Tensor::from_array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]]);
        let x: Vector<3, f64> = tensor(&xs);
        let dy: Vector<2, f64> = tensor(&dys);
        let (y, back) = pullback(|x| Traced::constant(w.clone()).matmul(x.sin()), &x);
        assert_eq!(y, w.matmul(&x.sin()));
        let lw = lift(&w);
        assert_close("vjp", &back(dy.clone()), &forward_vjp(&x, &dy, |x| lw.matmul(&x.sin())), f64::TOL_FORWARD);
    }

    /// Scalar inputs: reverse mode agrees with forward-mode `derivative`.
    #[test]
    fn scalar_input(x in -2.0..2.0f64) {
        fn f<T: typeflux_ad::Real>(x: T) -> T {
            x.sin() * x + x * x * 3.0
        }
        let g = gradient(|x| x.clone().sin() * x.clone() + x.square() * 3.0, x);
        assert_close("scalar", &Tensor::scalar(g), &Tensor::scalar(derivative(f, x)), f64::TOL_FORWARD);
    }
}

/// The seed's first example in reverse mode: f(x) = 3x² + 2x + 1 has
/// f'(2) = 14, in both precisions.
#[test]
fn seed_polynomial_at_two() {
    let (v, d) = value_and_gradient(|x| x.clone().square() * 3.0 + x * 2.0 + 1.0, 2.0f64);
    assert_eq!((v, d), (17.0, 14.0));
    let d = gradient(|x| x.clone().square() * 3.0 + x * 2.0 + 1.0, 2.0f32);
    assert_eq!(d, 14.0);
}

/// The type of a traced value spells out its backward pass.
#[test]
// Writing the whole type out is the point of this test.
#[allow(clippy::type_complexity)]
fn the_backward_pass_is_a_type() {
    type V2 = Vector<2, f64>;
    type S = (Const<2>,);
    let (a, b): (V2, V2) = (
        Tensor::from_array([2.0, 1.0]),
        Tensor::from_array([2.0, 0.0]),
    );
    let ((x, y), mut slots) = <(&V2, &V2) as Trace<Reverse>>::trace((&a, &b), &Reverse::default());
    let loss: Traced<
        Tensor<(), f64>,
        Then<
            SumPullback<S, Cpu>,
            Then<
                UnaryPullback<S, f64, Cpu>,
                Join<SubPullback<V2, V2>, Leaf<Step<Root, 0>>, Leaf<Step<Root, 1>>>,
            >,
        >,
    > = (x - y).square().sum();
    let (value, back) = loss.into_parts();
    assert_eq!(value.as_slice(), &[1.0]);
    typeflux_ad::reverse::Backward::backward(back, Tensor::scalar(1.0), &mut slots);
    let (gx, gy) = <(&V2, &V2) as Trace<Reverse>>::grads(slots);
    assert_eq!(
        (gx.to_vec(), gy.to_vec()),
        (vec![0.0, 2.0], vec![-0.0, -2.0])
    );
}

/// Constants get no gradient: tensors used as data, `Traced::constant`,
/// `detach`; an input the output does not depend on gets zeros.
#[test]
fn constants_stop_gradients() {
    let a: Vector<2, f64> = Tensor::from_array([1.0, 2.0]);
    let b: Vector<2, f64> = Tensor::from_array([3.0, 4.0]);
    // d/da Σ (a ⊙ stop(a)) = stop(a): the detached copy is a constant.
    let g = gradient(|a| (a.clone() * a.detach()).sum(), &a);
    assert_eq!(g, a);
    let (ga, gb) = gradient(|(a, _b)| a.square().sum(), (&a, &b));
    assert_eq!((ga.to_vec(), gb.to_vec()), (vec![2.0, 4.0], vec![0.0, 0.0]));
    let g = gradient(|_a| Traced::constant(b.clone()).sum(), &a);
    assert_eq!(g.to_vec(), vec![0.0, 0.0]);
}

/// Runtime branches that build the same traced type.
#[test]
fn runtime_branches() {
    let x: Vector<3, f64> = Tensor::from_array([-1.0, 0.5, 2.0]);
    for (flag, op) in [(true, UnaryOp::Exp), (false, UnaryOp::Sin)] {
        let g = gradient(
            |x| {
                let y = if flag { x * 2.0 } else { x * -3.0 };
                y.unary(op).sum()
            },
            &x,
        );
        let scale = if flag { 2.0 } else { -3.0 };
        let expected = forward_vjp(&x, &Vector::<3, f64>::ones(), |x| {
            (x * Dual64::from(scale)).unary(op)
        });
        assert_close("branch", &g, &expected, f64::TOL_FORWARD);
    }
}

/// Branches with different operations, given one type by `left` and
/// `right`: the backward pass follows the branch taken.
#[test]
fn branches_of_different_operations() {
    let x: Vector<3, f64> = Tensor::from_array([-1.0, 0.5, 2.0]);
    let ones = Vector::<3, f64>::ones();
    for smooth in [true, false] {
        let g = gradient(
            |x| {
                if smooth {
                    x.exp().sum().left()
                } else {
                    x.sin().square().sum().right()
                }
            },
            &x,
        );
        let expected = forward_vjp(
            &x,
            &ones,
            |x| if smooth { x.exp() } else { x.sin().square() },
        );
        assert_close("branch", &g, &expected, f64::TOL_FORWARD);
    }
}

/// Inputs: owned tensors, a 1-tuple, an 8-tuple (both ends of the tuple
/// impls), nested tuples.
#[test]
fn inputs_of_every_shape() {
    let v = |k: f64| -> Vector<2, f64> { Tensor::from_array([k, -k]) };
    let g = gradient(|x| x.square().sum(), v(1.0));
    assert_eq!(g, v(2.0));
    let (g,) = gradient(|(x,)| x.square().sum(), (&v(1.0),));
    assert_eq!(g, v(2.0));

    let xs = [
        v(1.0),
        v(2.0),
        v(3.0),
        v(4.0),
        v(5.0),
        v(6.0),
        v(7.0),
        v(8.0),
    ];
    let g = gradient(
        |(a, b, c, d, e, f, g, h)| {
            (a + b * 2.0 + c * 3.0 + d * 4.0 + e * 5.0 + f * 6.0 + g * 7.0 + h * 8.0).sum()
        },
        (
            &xs[0], &xs[1], &xs[2], &xs[3], &xs[4], &xs[5], &xs[6], &xs[7],
        ),
    );
    let g = [g.0, g.1, g.2, g.3, g.4, g.5, g.6, g.7];
    for (k, gk) in g.iter().enumerate() {
        assert_eq!(gk.to_vec(), vec![k as f64 + 1.0; 2]);
    }

    // ((W₁, b₁), (W₂, b₂)): the gradient nests as the input does.
    let w1: Matrix<2, 2, f64> = Tensor::from_array([[1.0, 0.0], [0.0, 1.0]]);
    let w2: Matrix<1, 2, f64> = Tensor::from_array([[1.0, 1.0]]);
    let (b1, b2): (Vector<2, f64>, Vector<1, f64>) = (v(0.0), Tensor::from_array([0.0]));
    let x = v(1.0);
    let ((dw1, db1), (dw2, db2)) = gradient(
        |((w1, b1), (w2, b2))| (w2.matmul(w1.matmul(&x) + b1) + b2).sum(),
        ((&w1, &b1), (&w2, &b2)),
    );
    assert_eq!(dw2, Tensor::from_array([[1.0, -1.0]])); // h = W₁x = x
    assert_eq!(db2.to_vec(), vec![1.0]);
    assert_eq!(db1.to_vec(), vec![1.0, 1.0]); // W₂ᵀ
    assert_eq!(dw1, Tensor::from_array([[1.0, -1.0], [1.0, -1.0]])); // W₂ᵀ xᵀ
}

/// A struct of parameters, generic over its field types so that the
/// function can receive it with traced fields: the gradient is a struct.
#[derive(Clone, Functor)]
struct Affine<W = Matrix<2, 3, f64>, B = Vector<2, f64>> {
    w: W,
    b: B,
}

#[test]
fn struct_gradient_is_a_struct() {
    let m = Affine {
        w: Tensor::from_array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]]),
        b: Tensor::from_array([0.5, -0.5]),
    };
    let x: Vector<3, f64> = Tensor::from_array([1.0, 2.0, -1.0]);
    let y: Vector<2, f64> = Tensor::from_array([1.0, 0.0]);
    let g: Affine = gradient(|m| (m.w.matmul(&x) + m.b - &y).square().sum(), model(&m));
    // r = W x + b - y; W̄ = 2 r xᵀ, b̄ = 2 r
    let r = &(m.w.matmul(&x) + &m.b) - &y;
    assert_eq!(g.b, &r * 2.0);
    assert_eq!(g.w, (&r * 2.0).outer(&x));

    // The same struct through its children as a tuple.
    let g2: Affine = gradient(|(w, b)| (w.matmul(&x) + b - &y).square().sum(), fields(&m));
    assert_eq!((g2.w, g2.b), (g.w, g.b));
}

/// A layer with an optional bias and a field that is not a parameter, as
/// typeflux-nn's `Dense`: the gradient keeps the field, and an absent bias
/// has an absent gradient.
#[derive(Clone, Debug, Functor)]
struct Layer {
    weight: Matrix<2, 2, f64>,
    bias: Option<Vector<2, f64>>,
    #[functor(skip)]
    scale: f64,
}

fn layer_loss<G>(
    w: Traced<Matrix<2, 2, f64>, impl typeflux_ad::reverse::Tracks<Matrix<2, 2, f64>, G>>,
    x: &Vector<2, f64>,
) -> Traced<Vector<2, f64>, impl typeflux_ad::reverse::Tracks<Vector<2, f64>, G>> {
    w.matmul(x).tanh()
}

#[test]
fn struct_with_optional_bias_and_a_kept_field() {
    let x: Vector<2, f64> = Tensor::from_array([0.5, -1.0]);
    let with_bias = Layer {
        weight: Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]),
        bias: Some(Tensor::from_array([0.1, 0.2])),
        scale: 3.0,
    };
    let g: Layer = gradient(
        |(w, b)| {
            let h = layer_loss(w, &x);
            match b {
                Some(b) => (h + b).sum().left(),
                None => h.sum().right(),
            }
        },
        fields(&with_bias),
    );
    let slope = with_bias
        .weight
        .matmul(&x)
        .tanh()
        .square()
        .scalar_op_left(typeflux_core::BinaryOp::Sub, 1.0);
    assert_eq!(g.weight, slope.outer(&x));
    assert_eq!(g.bias, Some(Vector::ones()));
    assert_eq!(g.scale, 3.0);

    let without_bias = Layer {
        bias: None,
        ..with_bias.clone()
    };
    let g: Layer = gradient(
        |(w, b)| {
            assert!(b.is_none());
            layer_loss(w, &x).sum()
        },
        fields(&without_bias),
    );
    assert_eq!(g.weight, slope.outer(&x));
    assert_eq!(g.bias, None);

    // Two layers: a tuple of their fields, and a tuple of layers back.
    let (g1, g2): (Layer, Layer) = gradient(
        |((w1, _), (w2, _))| (layer_loss(w1, &x) + layer_loss(w2, &x)).sum(),
        (fields(&with_bias), fields(&without_bias)),
    );
    assert_eq!((g1.weight, g2.weight), (slope.outer(&x), slope.outer(&x)));
}

/// Reverse mode over dual numbers: the dual parts of the gradient are a
/// Hessian–vector product. For f(x) = Σ xᵢ³, ∇f = 3x² and H·v = 6 x ⊙ v.
#[test]
fn reverse_over_dual_numbers() {
    let x: Vector<3, Dual64> = Tensor::from_array([
        Dual64::new(1.0, 1.0),
        Dual64::new(2.0, 0.5),
        Dual64::new(-1.0, 2.0),
    ]);
    let g = gradient(|x| (x.clone().square() * x).sum(), &x);
    let re: Vec<f64> = g.iter().map(|d| d.re).collect();
    let eps: Vec<f64> = g.iter().map(|d| d.eps).collect();
    assert_eq!(re, vec![3.0, 12.0, 3.0]);
    assert_eq!(eps, vec![6.0, 6.0, -12.0]);
}
