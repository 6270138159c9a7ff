//! `Dropout` and the modes: what is dropped and how often, train and test
//! mode inside and outside a gradient, gradients against central
//! differences under a fixed seed, reproducibility, and the walks that set
//! the mode.

mod numeric;

use numeric::check;
use typeflux_ad::reverse::{gradient, model};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;
use typeflux_nn::{Adam, Rule, io, train};

fn dense<const I: usize, const O: usize>(k: usize) -> Dense<I, O, Identity, f64> {
    Dense::new(identity).init(|_| {
        Matrix::from_fn((Const, Const), |[i, j]| {
            (((i * 5 + j * 3 + k) % 7) as f64 - 3.0) / 4.0
        })
    })
}

fn batch<const N: usize>() -> Batch<N, f64> {
    Batch::from_fn((Const, 6), |[i, j]| ((i * 3 + j) as f64 * 0.9).cos())
}

#[test]
fn outside_a_gradient_auto_mode_passes_the_input_through() {
    let drop = Dropout::new(0.9);
    let x = batch::<4>();
    assert_eq!(drop.forward(&x), x);
    let v = Vector::<3, f64>::from_array([1.0, 2.0, 3.0]);
    assert_eq!(drop.forward(v.clone()), v);
}

#[test]
fn in_train_mode_a_fraction_p_is_dropped_and_the_rest_scaled() {
    for p in [0.1, 0.5, 0.8] {
        let mut drop = Dropout::new(p).seed(11);
        trainmode(&mut drop);
        let y = drop.forward(Batch::<100, f64>::ones_with((Const, 50)));
        let dropped = y.iter().filter(|&&v| v == 0.0).count() as f64 / 5000.0;
        assert!((dropped - p).abs() < 0.03, "p = {p}: dropped {dropped}");
        assert!(
            y.iter()
                .all(|&v| v == 0.0 || (v - 1.0 / (1.0 - p)).abs() < 1e-12)
        );
        let mean = y.iter().sum::<f64>() / 5000.0;
        assert!((mean - 1.0).abs() < 0.1, "p = {p}: mean {mean}");
    }
    let mut none = Dropout::new(0.0);
    let mut all = Dropout::new(1.0);
    trainmode(&mut none);
    trainmode(&mut all);
    let x = batch::<4>();
    assert_eq!(none.forward(&x), x);
    assert!(all.forward(&x).iter().all(|&v| v == 0.0));
}

type Net = Chain<(
    Dense<3, 6, Identity, f64>,
    Dropout,
    Dense<6, 2, Identity, f64>,
)>;

/// `Chain((dense, Dropout(p) seeded 5, dense))`: the same zeros each time
/// it is built.
fn net(p: f64) -> Net {
    Chain((dense(0), Dropout::new(p).seed(5), dense(1)))
}

#[test]
fn inside_a_gradient_auto_mode_drops_and_the_gradient_goes_through_the_kept_elements() {
    let (x, y) = (batch::<3>(), batch::<2>());
    let g = gradient(|m| mse(m.forward(&x), &y), model(&net(0.5)));
    // The loss with the same zeros: a fresh generator, in train mode.
    let loss = |m: &Net| {
        let mut m = m.clone();
        m.0.1 = Dropout::new(0.5).seed(5);
        trainmode(&mut m);
        mse(m.forward(&x), &y).item()
    };
    check(
        &net(0.5),
        |m| m.0.0.weight.as_mut_slice(),
        loss,
        g.0.0.weight.as_slice(),
        "before",
    );
    check(
        &net(0.5),
        |m| m.0.2.weight.as_mut_slice(),
        loss,
        g.0.2.weight.as_slice(),
        "after",
    );
    // Some hidden features were dropped: their rows of the first weight get nothing.
    let rows_without = (0..6)
        .filter(|&i| (0..3).all(|j| g.0.0.weight[[i, j]] == 0.0))
        .count();
    assert!(rows_without < 6, "not everything is dropped");
    let plain = gradient(|m| mse(m.forward(&x), &y), model(&net(0.0)));
    assert_ne!(
        g.0.0.weight, plain.0.0.weight,
        "with p = 0.5 the gradient differs from none dropped"
    );
}

#[test]
fn test_mode_holds_inside_a_gradient_and_train_mode_outside() {
    let (x, y) = (batch::<3>(), batch::<2>());
    let mut m = net(0.5);
    testmode(&mut m);
    let g = gradient(|m| mse(m.forward(&x), &y), model(&m));
    let none = gradient(|m| mse(m.forward(&x), &y), model(&net(0.0)));
    assert_eq!(g.0.0.weight, none.0.0.weight);
    assert_eq!(g.0.1.mode, Mode::Test, "the gradient keeps the mode");

    trainmode(&mut m);
    let a = m.forward(&x);
    let b = m.forward(&x);
    assert_ne!(a, b, "each forward pass in training draws new zeros");
    automode(&mut m);
    assert_eq!(m.forward(&x), m.forward(&x));
}

#[test]
fn clones_share_the_generator_and_a_seed_reproduces_it() {
    let mut a = Dropout::new(0.5).seed(9);
    trainmode(&mut a);
    let b = a.clone();
    let x = Vector::<32, f64>::ones();
    let first = a.forward(&x);
    let second = b.forward(&x);
    assert_ne!(first, second, "the clone continues the same stream");
    let mut c = Dropout::new(0.5).seed(9);
    trainmode(&mut c);
    assert_eq!(c.forward(&x), first);

    typeflux_nn::init::seed(4);
    let mut d = Dropout::new(0.5);
    typeflux_nn::init::seed(4);
    let mut e = Dropout::new(0.5);
    trainmode(&mut d);
    trainmode(&mut e);
    assert_eq!(
        d.forward(&x),
        e.forward(&x),
        "seeded from the default generator"
    );
}

#[test]
fn modes_are_set_however_deep_the_layer_sits() {
    let mut m = Chain((
        Parallel::new(
            Plus,
            (
                SkipConnection::new(Chain((dense::<2, 2>(0), Dropout::new(0.5))), Plus),
                Dropout::new(0.2),
            ),
        ),
        Dropout::new(0.3),
    ));
    trainmode(&mut m);
    assert_eq!(m.0.0.layers.0.layers.0.1.mode, Mode::Train);
    assert_eq!(m.0.0.layers.1.mode, Mode::Train);
    assert_eq!(m.0.1.mode, Mode::Train);
    testmode(&mut m);
    assert_eq!(m.0.0.layers.0.layers.0.1.mode, Mode::Test);
    let x = batch::<2>();
    let inner = m.0.0.layers.0.layers.0.0.forward(&x);
    assert_eq!(m.forward(&x), inner + &x + &x);
}

#[test]
#[should_panic(expected = "Dropout: the probability 1.5 is not between 0 and 1")]
fn a_probability_outside_zero_to_one_panics() {
    let _ = Dropout::new(1.5);
}

#[test]
fn a_model_with_dropout_trains_saves_its_dense_layers_and_moves() {
    let mut m = Chain((
        dense::<3, 16>(0),
        tanh,
        Dropout::new(0.2).seed(1),
        dense::<16, 2>(1),
    ));
    let (x, y) = (batch::<3>(), batch::<2>() * 0.5);
    let mut opt = Adam::new(0.01).setup(&m);
    let before = mse(m.forward(&x), &y).item();
    for _ in 0..300 {
        train(&mut m, &mut opt, [(&x, &y)], |m, x, y| mse(m.forward(x), y)).expect("a finite loss");
    }
    let after = mse(m.forward(&x), &y).item();
    assert!(after < before / 4.0, "{before} -> {after}");
    assert_eq!(m.0.2.mode, Mode::Auto, "training leaves the mode as it was");

    let bytes = io::to_bytes(&m).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("0.weight") && text.contains("3.weight") && !text.contains("2."));
    let small = m.to_device(&Stack);
    let v = x.column(0);
    assert_eq!(
        small.forward(&v.to_device(&Stack)).to_device(&Cpu),
        m.forward(&v)
    );
    assert_eq!(
        format!("{:?}", Dropout::new(0.5)),
        "Dropout { p: 0.5, mode: Auto }"
    );
}
