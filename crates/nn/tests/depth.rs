//! A deep model: a `Chain` of 64 `Dense` layers of 64 different widths (four
//! nested chains of 16, the most a chain's tuple holds), differentiated by
//! `gradient` and trained by `train`. It compiles with the default
//! recursion limit, its gradient is the finite differences', and it runs on
//! a thread with a 2 MiB stack when optimised: a chain adds one node to the
//! traced computation, not one level per member.
//!
//! Unoptimised builds keep every local of the inlined forward and backward
//! passes in its own stack slot (the gradient's frames add up to about
//! 3 MiB for this model, a step of `train` to under 4 MiB), so the test
//! runs on a main thread's usual 8 MiB there; `cargo test --release` checks
//! the 2 MiB. Optimised, the whole test runs in 768 KiB.

use typeflux_ad::reverse::{gradient, model};
use typeflux_core::prelude::*;
use typeflux_nn::optim::{Descent, Rule};
use typeflux_nn::prelude::*;
use typeflux_nn::train::train;

/// The stack the test runs on: 2 MiB (what a spawned thread gets on some
/// platforms, and a quarter of a main thread's usual 8 MiB) when optimised.
const STACK: usize = if cfg!(debug_assertions) {
    8 << 20
} else {
    2 << 20
};

/// A `tanh` layer from `I` to `O` features that passes its first inputs on
/// nearly unchanged (a weight near the identity), so that a signal and its
/// gradient survive 64 layers.
fn layer<const I: usize, const O: usize>() -> Dense<I, O, Tanh, f64> {
    let weight = Matrix::<O, I, f64>::from_fn((Const, Const), |[r, c]| {
        let near = if r == c { 1.0 } else { 0.0 };
        near + 0.05 * ((3 * r + 7 * c) as f64).sin()
    });
    let bias = Vector::<O, f64>::from_fn((Const,), |[r, _]| 0.01 * (r as f64).cos());
    Dense::from_parts(weight, bias, tanh)
}

/// The model's type, `Deep`, and `deep()`, which builds it: a chain of
/// chains of 16 layers of the given widths.
macro_rules! deep {
    ($([$($i:literal => $o:literal),*]),*) => {
        type Deep = Chain<($(Chain<($(Dense<$i, $o, Tanh, f64>,)*)>,)*)>;

        fn deep() -> Deep {
            Chain(($(Chain(($(layer::<$i, $o>(),)*)),)*))
        }
    };
}

deep!(
    [
        4 => 5, 5 => 6, 6 => 7, 7 => 8, 8 => 9, 9 => 10, 10 => 11, 11 => 12,
        12 => 13, 13 => 14, 14 => 15, 15 => 16, 16 => 17, 17 => 18, 18 => 19, 19 => 20
    ],
    [
        20 => 21, 21 => 22, 22 => 23, 23 => 24, 24 => 25, 25 => 26, 26 => 27, 27 => 28,
        28 => 29, 29 => 30, 30 => 31, 31 => 32, 32 => 33, 33 => 34, 34 => 35, 35 => 36
    ],
    [
        36 => 37, 37 => 38, 38 => 39, 39 => 40, 40 => 41, 41 => 42, 42 => 43, 43 => 44,
        44 => 45, 45 => 46, 46 => 47, 47 => 48, 48 => 49, 49 => 50, 50 => 51, 51 => 52
    ],
    [
        52 => 53, 53 => 54, 54 => 55, 55 => 56, 56 => 57, 57 => 58, 58 => 59, 59 => 60,
        60 => 61, 61 => 62, 62 => 63, 63 => 64, 64 => 65, 65 => 66, 66 => 67, 67 => 68
    ]
);

type Input = Batch<4, f64>;
type Target = Batch<68, f64>;

/// The mean squared error of `m` on `x` against `y`.
fn loss(m: &Deep, x: &Input, y: &Target) -> f64 {
    mse(m.forward(x), y).item()
}

/// The gradient of [`loss`] with respect to the model.
fn loss_gradient(m: &Deep, x: &Input, y: &Target) -> Deep {
    gradient(|m| mse(m.forward(x), y), model(m))
}

/// One step of `train` with plain descent; the loss before it.
fn descend(m: &mut Deep, eta: f64, x: &Input, y: &Target) -> f64 {
    let mut opt = Descent::new(eta).setup(m);
    train(m, &mut opt, [(x, y)], |m, x, y| mse(m.forward(x), y)).expect("a finite loss")
}

/// The central difference of [`loss`] in one weight, which `weight` picks.
fn difference(m: &Deep, x: &Input, y: &Target, weight: impl Fn(&mut Deep) -> &mut f64) -> f64 {
    let h = 1e-6;
    let (mut plus, mut minus) = (m.clone(), m.clone());
    *weight(&mut plus) += h;
    *weight(&mut minus) -= h;
    (loss(&plus, x, y) - loss(&minus, x, y)) / (2.0 * h)
}

fn on_a_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .expect("a thread starts")
        .join()
        .expect("the deep model runs on the stack given");
}

#[test]
fn a_chain_of_64_dense_layers() {
    on_a_small_stack(|| {
        let chain = deep();
        let x = Input::from_fn((Const, 3), |[i, j]| 0.4 * ((i + 2 * j) as f64).sin());
        let y = Target::from_fn((Const, 3), |[i, j]| 0.3 * ((i * j) as f64).cos());

        let g = loss_gradient(&chain, &x, &y);

        // A weight of layer 0 and one of layer 40 (block 2, member 8),
        // against central differences of the plain model's loss.
        let first = difference(&chain, &x, &y, |m| &mut m.0.0.0.0.weight.as_mut_slice()[1]);
        let middle = difference(&chain, &x, &y, |m| &mut m.0.2.0.8.weight.as_mut_slice()[7]);
        for (what, reverse, difference) in [
            ("layer 0", g.0.0.0.0.weight.as_slice()[1], first),
            ("layer 40", g.0.2.0.8.weight.as_slice()[7], middle),
        ] {
            assert!(
                difference.abs() > 1e-4,
                "{what}: a gradient of {difference} is too small to check"
            );
            assert!(
                (reverse - difference).abs() <= 1e-6 * difference.abs(),
                "{what}: reverse mode {reverse}, central difference {difference}"
            );
        }

        // One step of `train` with plain descent is the weight less η times
        // that gradient.
        let eta = 0.01;
        let mut trained = chain.clone();
        let before = descend(&mut trained, eta, &x, &y);
        assert_eq!(before, loss(&chain, &x, &y));
        let stepped = chain.0.2.0.8.weight.as_slice()[7] - eta * g.0.2.0.8.weight.as_slice()[7];
        let w = trained.0.2.0.8.weight.as_slice()[7];
        assert!(
            (w - stepped).abs() <= 1e-15,
            "{w} after a step, {stepped} expected"
        );
        assert!(loss(&trained, &x, &y) < before);
    });
}
