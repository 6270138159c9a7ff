//! A user's own layer, the seed's `Affine`, gets gradients, optimiser updates,
//! weight files and device moves from `#[derive(Functor)]` alone: no trait is
//! written by hand.

use typeflux::ad::reverse::model;
use typeflux::nn::io;
use typeflux::prelude::*;

/// The seed's `struct Affine W; b end` with `@functor Affine`. Its fields are
/// type parameters so that reverse mode can hand the function an `Affine` of
/// traced fields.
#[derive(Clone, Debug, PartialEq, Functor)]
struct Affine<W = Matrix<2, 3, f64>, B = Vector<2, f64>> {
    w: W,
    b: B,
}

fn data() -> (Vector<3, f64>, Vector<2, f64>) {
    (
        Tensor::from_array([1.0, -2.0, 0.5]),
        Tensor::from_array([0.5, -1.0]),
    )
}

fn affine() -> Affine {
    Affine {
        w: Tensor::from_array([[0.1, 0.2, 0.3], [-0.4, 0.5, -0.6]]),
        b: Tensor::from_array([0.05, -0.05]),
    }
}

/// `sum((y - (W*x .+ b))^2)` on plain tensors: the reference loss.
fn loss(a: &Affine, x: &Vector<3, f64>, y: &Vector<2, f64>) -> f64 {
    (y - &(a.w.matmul(x) + &a.b)).square().sum()
}

#[test]
fn gradient_comes_back_as_an_affine_and_matches_the_closed_form() {
    let (x, y) = data();
    let a = affine();
    let g: Affine = gradient(|m| (&y - (m.w.matmul(&x) + m.b)).square().sum(), model(&a));
    // Closed form: r = y - (Wx + b); b̄ = -2r; W̄ = -2 r xᵀ.
    let r = &y - &(a.w.matmul(&x) + &a.b);
    let b_bar = &r * -2.0;
    let w_bar = b_bar.outer(&x);
    for (got, want) in g.b.iter().zip(b_bar.iter()) {
        assert!((got - want).abs() < 1e-12, "b̄: {got} vs {want}");
    }
    for (got, want) in g.w.iter().zip(w_bar.iter()) {
        assert!((got - want).abs() < 1e-12, "W̄: {got} vs {want}");
    }
}

#[test]
fn an_optimiser_step_on_the_derived_struct_lowers_the_loss() {
    let (x, y) = data();
    let mut a = affine();
    let before = loss(&a, &x, &y);
    let mut opt = setup(Descent::new(0.1), &a);
    let g: Affine = gradient(|m| (&y - (m.w.matmul(&x) + m.b)).square().sum(), model(&a));
    let expected_w = &a.w - &(&g.w * 0.1);
    opt.update(&mut a, &g);
    assert_eq!(a.w, expected_w, "W -= 0.1 W̄");
    let after = loss(&a, &x, &y);
    assert!(after < before * 0.5, "loss {before} -> {after}");
}

#[test]
fn weights_round_trip_through_safetensors_with_field_names() {
    let a = affine();
    let bytes = io::to_bytes(&a).expect("f64 tensors save");
    let mut b = Affine {
        w: Matrix::zeros(),
        b: Vector::zeros(),
    };
    io::from_bytes(&mut b, &bytes).expect("the file has w and b");
    assert_eq!(a, b);

    // A file for another model (no `b`) is refused and leaves the layer as it was.
    #[derive(Clone, Functor)]
    struct OnlyW {
        w: Matrix<2, 3, f64>,
    }
    let other = io::to_bytes(&OnlyW { w: Matrix::ones() }).expect("saves");
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
    let g_stack = gradient(
        |m| (&ys - (m.w.matmul(&xs) + m.b)).square().sum(),
        model(&on_stack),
    );
    let g: Affine = gradient(|m| (&y - (m.w.matmul(&x) + m.b)).square().sum(), model(&a));
    assert_eq!(g_stack.to_device(&Cpu), g);
    assert_eq!(on_stack.to_device(&Cpu), a);

    // A layer whose device is a parameter: the other fields are cloned.
    #[derive(Clone, Debug, Functor)]
    struct Scale<const N: usize, D: Device = Cpu> {
        factor: Vector<N, f64, D>,
        #[functor(skip)]
        label: String,
    }
    let s = Scale::<2> {
        factor: Vector::from_array([2.0, 3.0]),
        label: "scale".into(),
    };
    let moved: Scale<2, Stack> = s.to_device(&Stack);
    assert_eq!(moved.label, "scale");
    assert_eq!((&moved.factor * &ys).to_vec(), vec![1.0, -3.0]);
}
