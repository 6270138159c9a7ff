//! What a new user writes first, through `use typeflux::prelude::*` alone:
//! an owned tensor's `map`, mapping every tensor of a model, the crates
//! typeflux re-exports, the two gradients' names, the training names the
//! prelude holds, and a gradient's norm and clipping.

use typeflux::prelude::*;

type Mlp = Chain<(Dense<3, 4, Tanh>, Dense<4, 2>)>;

fn mlp() -> Mlp {
    let w1 = Matrix::<4, 3>::from_fn(Default::default(), |[i, j]| (i * 3 + j) as f32 * 0.1);
    let w2 = Matrix::<2, 4>::from_fn(Default::default(), |[i, j]| (i + j) as f32 * -0.2);
    Chain((
        Dense::from_parts(w1, Vector::from_array([0.5, -0.5, 1.0, 0.0]), tanh),
        Dense::from_parts(w2, Vector::from_array([2.0, 3.0]), identity),
    ))
}

#[test]
fn an_owned_tensor_maps_its_elements_with_the_prelude_in_scope() {
    let doubled = Vector::<3>::ones().map(|x| 2.0 * x);
    assert_eq!(doubled.to_vec(), vec![2.0, 2.0, 2.0]);
    let as_f64: Matrix<2, 2, f64> = Matrix::<2, 2>::ones().map(f64::from);
    assert_eq!(as_f64[[1, 0]], 1.0);
}

#[test]
fn fmap_elements_doubles_every_weight_and_bias_of_a_chain() {
    let chain = mlp();
    let doubled = fmap_elements(|x: f32| 2.0 * x, chain.clone());
    assert_eq!(doubled.0.0.weight, &chain.0.0.weight * 2.0);
    assert_eq!(doubled.0.0.bias, chain.0.0.bias.as_ref().map(|b| b * 2.0));
    assert_eq!(doubled.0.1.weight, &chain.0.1.weight * 2.0);
    assert_eq!(doubled.0.1.bias.unwrap().to_vec(), vec![4.0, 6.0]);

    // `fmap` with a closure of one tensor type reaches only that type.
    let only_first = fmap(|w: Matrix<4, 3>| w * 2.0, chain.clone());
    assert_eq!(only_first.0.0.weight, &chain.0.0.weight * 2.0);
    assert_eq!(only_first.0.1.weight, chain.0.1.weight);
}

/// A user's layer, as the seed writes it.
#[derive(Functor, Clone, Debug, PartialEq)]
struct Affine {
    w: Matrix<2, 2>,
    b: Vector<2>,
    #[functor(skip)]
    name: &'static str,
}

#[test]
fn fmap_elements_maps_a_users_struct() {
    let a = Affine {
        w: Matrix::from_array([[1.0, 2.0], [3.0, 4.0]]),
        b: Vector::from_array([5.0, 6.0]),
        name: "a",
    };
    let m = fmap_elements(|x: f32| x - 1.0, a);
    assert_eq!(m.w.to_vec(), vec![0.0, 2.0, 1.0, 3.0]);
    assert_eq!((m.b.to_vec(), m.name), (vec![4.0, 5.0], "a"));
}

#[test]
fn the_crates_typeflux_builds_on_are_reexported() {
    use typeflux::nalgebra::{self, SVector, vector};
    use typeflux::num_dual::{Dual64, DualNum};
    use typeflux::rand::{SeedableRng, rngs::StdRng};

    // The generator the initialisers take.
    let mut rng = StdRng::seed_from_u64(11);
    let w = Matrix::<2, 3>::randn(&mut rng);
    let mut again = StdRng::seed_from_u64(11);
    assert_eq!(w, Matrix::<2, 3>::randn(&mut again));

    // The vectors forward mode differentiates.
    let x: SVector<f64, 2> = vector![1.0, 2.0];
    let (v, g) = forward_gradient(|x| x[0] * x[1].sin(), x);
    assert_eq!(v, 2.0f64.sin());
    assert_eq!(g, vector![2.0f64.sin(), 2.0f64.cos()]);

    // The numbers tensors hold for exact derivatives.
    let y = Vector::<1, Dual64>::from_array([Dual64::from_re(0.0).derivative()]).map(|x| x.exp());
    assert_eq!((y[0].re, y[0].eps), (1.0, 1.0));
    // The facade's crates and the ones below it name the same crates.
    let _: typeflux::ad::nalgebra::SVector<f64, 2> = x;
    let _: typeflux::nn::rand::rngs::StdRng = rng;
}

#[test]
fn each_gradient_says_its_mode() {
    // Forward mode, on a fixed-size vector.
    let (_, g) = forward_gradient(
        |x| x[0] * x[0] + x[1],
        typeflux::nalgebra::Vector2::new(3.0, 1.0),
    );
    assert_eq!((g[0], g[1]), (6.0, 1.0));
    let (_, _, h) = forward_hessian(
        |x| x[0] * x[0] * x[1],
        typeflux::nalgebra::Vector2::new(3.0, 2.0),
    );
    assert_eq!(h[(0, 1)], 6.0);
    // Reverse mode, on tensors.
    let x = Vector::<2>::from_array([3.0, 1.0]);
    let g = gradient(|x| x.square().sum(), &x);
    assert_eq!(g.to_vec(), vec![6.0, 2.0]);
}

#[test]
fn the_prelude_holds_what_training_needs() {
    let mut chain = Chain((Dense::<3, 4>::new(tanh), Dense::<4, 2>::new(identity)));
    let x = Batch::<3>::from_fn((Const, 6), |[i, j]| (i + j) as f32 / 6.0);
    let y = Batch::<2>::from_fn((Const, 6), |[i, j]| f32::from(u8::from(i == j % 2)));
    let (l, g) = value_and_gradient(|m| Mse::new().loss(m.forward(&x), &y), model(&chain));
    assert!(l > 0.0 && norm(&g) > 0.0);

    let mut opt = OptimiserChain((ClipNorm::new(1.0), Adam::new(0.05))).setup(&chain);
    let first = train(&mut chain, &mut opt, [(&x, &y)], |m, x, y| {
        mse(m.forward(x), y)
    })
    .expect("a finite loss");
    let mut reports = Vec::new();
    train_epochs(
        &mut chain,
        &mut opt,
        30,
        [(&x, &y)],
        |m, x, y| mse(m.forward(x), y),
        |r: EpochReport<f32>, _: &_| reports.push(r.loss),
    )
    .expect("finite losses");
    assert_eq!(reports.len(), 30);
    assert!(reports[29] < first);

    let twice = Chain((Lambda(|x: Vector<2>| x * 2.0), identity));
    assert_eq!(twice.forward(Vector::<2>::ones()).to_vec(), vec![2.0, 2.0]);
}

#[test]
fn a_gradient_norm_and_clipping_are_one_line_each() {
    // Hand computation: weights 0.1·(0..12) (Σ x² = 5.06), biases
    // (0.25 + 0.25 + 1), weights -0.2·(i + j) over a 2×4 (Σ = 0.04·44),
    // biases 4 + 9.
    let chain = mlp();
    let by_hand = (5.06f64 + 1.5 + 0.04 * 44.0 + 13.0).sqrt();
    assert!(
        (norm(&chain) - by_hand).abs() < 1e-5,
        "{} against {by_hand}",
        norm(&chain)
    );

    let x = Batch::<3>::from_fn((Const, 4), |[i, j]| (i * j) as f32);
    let y = Batch::<2>::zeros_with((Const, 4));
    let mut grad = gradient(|m| mse(m.forward(&x), &y), model(&chain));
    let flat = named_tensors::<f32>(&grad)
        .iter()
        .flat_map(|t| t.data.clone())
        .map(|v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt();
    assert!(
        (norm(&grad) - flat).abs() < 1e-6 * flat,
        "{} against {flat}",
        norm(&grad)
    );

    let before = clip_norm(&mut grad, 0.25);
    assert!(before > 0.25);
    assert!((norm(&grad) - 0.25).abs() < 1e-6);
}
