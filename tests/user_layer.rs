//! A user's own layer, the seed's `Affine`, written once: its forward pass is
//! generic over plain and traced tensors, so it runs, differentiates (against
//! the closed form and finite differences), trains with `train` and Adam,
//! sits in a `Chain`, saves its weights and moves to another device, with no
//! pullback written by its author. `#[derive(Functor)]` is all it needs.

use core::ops::Add;
use typeflux::nn::io;
use typeflux::prelude::*;

/// The seed's `struct Affine W; b end` with `@functor Affine`: both fields
/// are parameters. Its fields are type parameters, so that a gradient can
/// hand the layer over with traced fields.
#[derive(Clone, Debug, PartialEq, Functor)]
#[allow(non_snake_case)]
struct Affine<W = Matrix<2, 3, f64>, B = Vector<2, f64>> {
    W: W,
    b: B,
}

/// `(m::Affine)(x) = m.W * x .+ m.b`, once, for plain and traced `W`, `b`
/// and `x`.
impl<W, B, X> Layer<X> for Affine<W, B>
where
    W: MatMul<X>,
    W::Output: Add<B>,
    B: Clone,
{
    type Output = <W::Output as Add<B>>::Output;

    fn forward(&self, x: X) -> Self::Output {
        self.W.matmul(&x) + self.b.clone()
    }
}

/// The seed's `@functor Affine (W,)`: only `W` is a parameter; `b` is kept
/// as it is, neither traced nor trained.
#[derive(Clone, Debug, PartialEq, Functor)]
#[functor(W)]
#[allow(non_snake_case)]
struct FixedBias<W = Matrix<2, 3, f64>, B = Vector<2, f64>> {
    W: W,
    b: B,
}

impl<W, B, X> Layer<X> for FixedBias<W, B>
where
    W: MatMul<X>,
    W::Output: Add<B>,
    B: Clone,
{
    type Output = <W::Output as Add<B>>::Output;

    fn forward(&self, x: X) -> Self::Output {
        self.W.matmul(&x) + self.b.clone()
    }
}

fn data() -> (Vector<3, f64>, Vector<2, f64>) {
    (
        Tensor::from_array([1.0, -2.0, 0.5]),
        Tensor::from_array([0.5, -1.0]),
    )
}

fn affine() -> Affine {
    Affine {
        W: Tensor::from_array([[0.1, 0.2, 0.3], [-0.4, 0.5, -0.6]]),
        b: Tensor::from_array([0.05, -0.05]),
    }
}

/// A batch for training: `y = A·x + c` for a fixed `A` and `c`.
fn regression() -> (Batch<3, f64>, Batch<2, f64>) {
    let x = Batch::<3, f64>::from_fn((Const, 12), |[i, j]| {
        (0.7 * ((i + 1) * (j + 1)) as f64).sin()
    });
    let a = Matrix::<2, 3, f64>::from_array([[1.0, -2.0, 0.5], [0.0, 1.5, -1.0]]);
    let y = a.matmul(&x) + &Vector::<2, f64>::from_array([0.5, -0.25]);
    (x, y)
}

#[test]
fn the_layer_runs_on_plain_tensors() {
    let (x, _) = data();
    let a = affine();
    let y: Vector<2, f64> = a.forward(x.clone());
    assert_eq!(y, a.W.matmul(&x) + &a.b);
    let batch = Batch::<3, f64>::ones_with((Const, 4));
    assert_eq!(a.forward(&batch).shape(), (Const::<2>, 4));
}

#[test]
fn gradient_comes_back_as_an_affine_and_matches_the_closed_form() {
    let (x, y) = data();
    let a = affine();
    let g: Affine = gradient(|m| (&y - m.forward(&x)).sum_squares(), model(&a));
    // Closed form: r = y - (Wx + b); b̄ = -2r; W̄ = -2 r xᵀ.
    let r = &y - &(a.W.matmul(&x) + &a.b);
    let b_bar = &r * -2.0;
    let w_bar = b_bar.outer(&x);
    for (got, want) in g.b.iter().zip(b_bar.iter()) {
        assert!((got - want).abs() < 1e-12, "b̄: {got} vs {want}");
    }
    for (got, want) in g.W.iter().zip(w_bar.iter()) {
        assert!((got - want).abs() < 1e-12, "W̄: {got} vs {want}");
    }
}

#[test]
fn the_layer_trains_with_adam_and_train() {
    let (x, y) = regression();
    let mut a = Affine {
        W: Matrix::zeros(),
        b: Vector::zeros(),
    };
    let mut opt = Adam::new(0.05).setup(&a);
    let loss = |m: &Affine| mse(m.forward(&x), &y).item();
    let before = loss(&a);
    let last = train_epochs(
        &mut a,
        &mut opt,
        400,
        [(&x, &y)],
        |m, x, y| mse(m.forward(x), y),
        |_, _| {},
    )
    .unwrap();
    assert!(last < before / 1000.0, "{before} -> {last}");
    assert!((a.W[[0, 1]] + 2.0).abs() < 0.05, "W learned: {:?}", a.W);
    assert!((a.b[0] - 0.5).abs() < 0.05, "b learned: {:?}", a.b);
}

#[test]
fn a_restricted_functor_trains_only_its_children() {
    let (x, y) = regression();
    let fixed = Vector::<2, f64>::from_array([0.5, -0.25]);
    let mut a = FixedBias {
        W: Matrix::zeros(),
        b: fixed.clone(),
    };
    let mut opt = Adam::new(0.05).setup(&a);
    let g = gradient(|m| mse(m.forward(&x), &y), model(&a));
    assert_eq!(
        g.b, fixed,
        "the gradient keeps `b` as it was: it is no child"
    );
    train_epochs(
        &mut a,
        &mut opt,
        300,
        [(&x, &y)],
        |m, x, y| mse(m.forward(x), y),
        |_, _| {},
    )
    .unwrap();
    assert_eq!(a.b, fixed, "`b` is not trained");
    assert!((a.W[[0, 0]] - 1.0).abs() < 0.05, "W learned: {:?}", a.W);
}

#[test]
fn the_layer_sits_in_a_chain_and_differentiates_through_it() {
    let (x, _) = data();
    let chain = Chain((affine(), tanh, Dense::<2, 1, Identity, f64>::new(identity)));
    let target = Vector::<1, f64>::from_array([0.3]);
    let g = gradient(|m| mse(m.forward(&x), &target), model(&chain));
    let loss =
        |c: &Chain<(Affine, Tanh, Dense<2, 1, Identity, f64>)>| mse(c.forward(&x), &target).item();
    for i in 0..6 {
        let h = 1e-6;
        let (mut up, mut down) = (chain.clone(), chain.clone());
        up.0.0.W.as_mut_slice()[i] += h;
        down.0.0.W.as_mut_slice()[i] -= h;
        let numeric = (loss(&up) - loss(&down)) / (2.0 * h);
        let got = g.0.0.W.as_slice()[i];
        assert!((got - numeric).abs() < 1e-7, "W̄[{i}]: {got} vs {numeric}");
    }
}

#[test]
fn weights_round_trip_through_safetensors_with_field_names() {
    let a = affine();
    let bytes = io::to_bytes(&a).expect("f64 tensors save");
    let mut b = Affine {
        W: Matrix::zeros(),
        b: Vector::zeros(),
    };
    io::from_bytes(&mut b, &bytes).expect("the file has W and b");
    assert_eq!(a, b);

    // A file for another model (no `b`) is refused and leaves the layer as it was.
    #[derive(Clone, Functor)]
    #[allow(non_snake_case)]
    struct OnlyW {
        W: Matrix<2, 3, f64>,
    }
    let other = io::to_bytes(&OnlyW { W: Matrix::ones() }).expect("saves");
    let err = io::from_bytes(&mut b, &other).expect_err("b is missing");
    assert_eq!(err.to_string(), "tensor `b`: missing from the file");
    assert_eq!(a, b);
}

#[test]
fn the_derived_struct_moves_to_another_device_and_back() {
    let (x, y) = data();
    let a = affine();
    // Each field's type changes with the device: the derive's `ToDevice`.
    let on_stack: Affine<Matrix<2, 3, f64, Stack>, Vector<2, f64, Stack>> = a.to_device(&Stack);
    assert_eq!(core::mem::size_of_val(&on_stack), 8 * 8);
    let (xs, ys) = (x.to_device(&Stack), y.to_device(&Stack));
    let g_stack = gradient(|m| (&ys - m.forward(&xs)).sum_squares(), model(&on_stack));
    let g: Affine = gradient(|m| (&y - m.forward(&x)).sum_squares(), model(&a));
    assert_eq!(g_stack.to_device(&Cpu), g);
    assert_eq!(on_stack.to_device(&Cpu), a);
}
