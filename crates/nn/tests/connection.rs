//! `SkipConnection`, `Parallel` and `Maxout`: values, gradients against
//! central differences (f64), training, weight files and devices.

mod numeric;

use numeric::check;
use typeflux_ad::reverse::{gradient, model, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;
use typeflux_nn::{Adam, Rule, io, train};

type D<const I: usize, const O: usize, A = Identity> = Dense<I, O, A, f64>;

/// A dense layer with fixed, distinct weights, seeded by `k`.
fn dense<const I: usize, const O: usize, A: Activation>(act: A, k: usize) -> D<I, O, A> {
    Dense::new(act)
        .init(|_| {
            Matrix::from_fn((Const, Const), |[i, j]| {
                (((i * 7 + j * 3 + k * 5) % 11) as f64 - 5.0) / 8.0
            })
        })
        .bias(Vector::from_fn((Const,), |[i, _]| {
            (i as f64 - k as f64) / 10.0
        }))
}

/// The mean squared error of a model `m` on `x` against `y`, as a number.
fn mse_of<'a, M, X, const O: usize>(
    x: &'a X,
    y: &'a Batch<O, f64>,
) -> impl Fn(&M) -> f64 + Copy + 'a
where
    M: Layer<&'a X, Output = Batch<O, f64>>,
{
    move |m| mse(m.forward(x), y).item()
}

fn batch<const N: usize>(seed: usize) -> Batch<N, f64> {
    Batch::from_fn((Const, 5), |[i, j]| {
        ((i * 3 + j * 2 + seed) as f64 * 0.7).sin()
    })
}

#[test]
fn a_skip_connection_with_plus_adds_the_input() {
    let block = SkipConnection::new(dense::<3, 3, _>(tanh, 1), Plus);
    let x = batch::<3>(0);
    let y = block.forward(&x);
    assert_eq!(y, block.layers.forward(&x) + &x);
    let v = Vector::<3, f64>::from_array([0.1, -0.2, 0.3]);
    assert_eq!(block.forward(v.clone()), block.layers.forward(&v) + &v);
}

#[test]
fn a_skip_connection_with_vcat_stacks_the_output_over_the_input() {
    // Flux's `SkipConnection(Dense(3 => 2), vcat)`: 2 + 3 features.
    let block = SkipConnection::new(dense::<3, 2, _>(identity, 2), Vcat::<5>);
    let x = batch::<3>(1);
    let y = block.forward(&x);
    assert_eq!(y, block.layers.forward(&x).concat::<3, 5>(&x));
}

#[test]
fn gradients_through_a_residual_chain_match_central_differences() {
    let net = Chain((
        dense::<2, 3, _>(tanh, 0),
        SkipConnection::new(
            Chain((dense::<3, 3, _>(tanh, 1), dense::<3, 3, _>(identity, 2))),
            Plus,
        ),
        dense::<3, 1, _>(identity, 3),
    ));
    let (x, y) = (
        batch::<2>(2),
        Batch::<1, f64>::from_fn((Const, 5), |[_, j]| j as f64 / 5.0),
    );
    let loss = mse_of(&x, &y);
    let g = gradient(|m| mse(m.forward(&x), &y), model(&net));
    check(
        &net,
        |m| m.0.0.weight.as_mut_slice(),
        loss,
        g.0.0.weight.as_slice(),
        "before the block",
    );
    check(
        &net,
        |m| m.0.1.layers.0.0.weight.as_mut_slice(),
        loss,
        g.0.1.layers.0.0.weight.as_slice(),
        "inside the block",
    );
    check(
        &net,
        |m| m.0.1.layers.0.1.bias.as_mut().unwrap().as_mut_slice(),
        loss,
        g.0.1.layers.0.1.bias.as_ref().unwrap().as_slice(),
        "inside the block, bias",
    );

    // With respect to the input of a block used on its own.
    let block = SkipConnection::new(dense::<2, 2, _>(tanh, 4), Times);
    let t = batch::<2>(5);
    let (_, (gb, gx)) = value_and_gradient(|(m, x)| mse(m.forward(x), &t), (model(&block), &x));
    check(
        &x,
        |x| x.as_mut_slice(),
        |x| mse(block.forward(x), &t).item(),
        gx.as_slice(),
        "input",
    );
    check(
        &block,
        |m| m.layers.weight.as_mut_slice(),
        |m| mse(m.forward(&x), &t).item(),
        gb.layers.weight.as_slice(),
        "weight under Times",
    );
}

#[test]
fn parallel_joins_two_and_eight_branches() {
    let two = Parallel::new(
        Plus,
        (dense::<2, 3, _>(tanh, 0), dense::<2, 3, _>(identity, 1)),
    );
    let x = batch::<2>(3);
    assert_eq!(
        two.forward(&x),
        two.layers.0.forward(&x) + two.layers.1.forward(&x)
    );

    let eight = Parallel::new(
        Plus,
        (
            dense::<2, 1, _>(tanh, 0),
            dense::<2, 1, _>(tanh, 1),
            dense::<2, 1, _>(tanh, 2),
            dense::<2, 1, _>(tanh, 3),
            dense::<2, 1, _>(tanh, 4),
            dense::<2, 1, _>(tanh, 5),
            dense::<2, 1, _>(tanh, 6),
            dense::<2, 1, _>(tanh, 7),
        ),
    );
    let l = &eight.layers;
    let sum = l.0.forward(&x)
        + l.1.forward(&x)
        + l.2.forward(&x)
        + l.3.forward(&x)
        + l.4.forward(&x)
        + l.5.forward(&x)
        + l.6.forward(&x)
        + l.7.forward(&x);
    let y = eight.forward(&x);
    for (a, b) in y.iter().zip(sum.iter()) {
        assert!((a - b).abs() < 1e-12);
    }
    let t = Batch::<1, f64>::zeros_with((Const, 5));
    let g = gradient(|m| mse(m.forward(&x), &t), model(&eight));
    let loss = mse_of(&x, &t);
    check(
        &eight,
        |m| m.layers.0.weight.as_mut_slice(),
        loss,
        g.layers.0.weight.as_slice(),
        "first",
    );
    check(
        &eight,
        |m| m.layers.7.weight.as_mut_slice(),
        loss,
        g.layers.7.weight.as_slice(),
        "last",
    );
}

#[test]
fn parallel_vcat_stacks_and_differentiates() {
    let both = Parallel::new(
        Vcat::<5>,
        (dense::<2, 2, _>(tanh, 0), dense::<2, 3, _>(sigmoid, 1)),
    );
    let x = batch::<2>(4);
    let y = both.forward(&x);
    assert_eq!(
        y,
        both.layers
            .0
            .forward(&x)
            .concat::<3, 5>(&both.layers.1.forward(&x))
    );
    let t = batch::<5>(6);
    let g = gradient(|m| mse(m.forward(&x), &t), model(&both));
    let loss = mse_of(&x, &t);
    check(
        &both,
        |m| m.layers.1.weight.as_mut_slice(),
        loss,
        g.layers.1.weight.as_slice(),
        "lower",
    );
}

#[test]
fn maxout_takes_the_larger_output_and_its_gradient() {
    let m = Maxout::maxout((
        dense::<2, 3, _>(identity, 0),
        dense::<2, 3, _>(identity, 1),
        dense::<2, 3, _>(identity, 2),
    ));
    let x = batch::<2>(7);
    let outs = [
        m.layers.0.forward(&x),
        m.layers.1.forward(&x),
        m.layers.2.forward(&x),
    ];
    let y = m.forward(&x);
    for (k, v) in y.iter().enumerate() {
        let want = outs
            .iter()
            .map(|o| o.as_slice()[k])
            .fold(f64::MIN, f64::max);
        assert!((v - want).abs() < 1e-12, "{v} vs {want}");
    }
    let t = batch::<3>(8);
    let g = gradient(|m| mse(m.forward(&x), &t), model(&m));
    let loss = mse_of(&x, &t);
    check(
        &m,
        |m| m.layers.0.weight.as_mut_slice(),
        loss,
        g.layers.0.weight.as_slice(),
        "first",
    );
    check(
        &m,
        |m| m.layers.1.weight.as_mut_slice(),
        loss,
        g.layers.1.weight.as_slice(),
        "second",
    );
    check(
        &m,
        |m| m.layers.2.weight.as_mut_slice(),
        loss,
        g.layers.2.weight.as_slice(),
        "third",
    );
}

#[test]
fn a_residual_model_trains() {
    let mut net = Chain((
        SkipConnection::new(dense::<2, 2, _>(tanh, 0), Plus),
        dense::<2, 1, _>(identity, 1),
    ));
    let x = batch::<2>(9);
    let y = Batch::<1, f64>::from_fn((Const, 5), |[_, j]| x[[0, j]] * x[[1, j]]);
    let mut opt = Adam::new(0.02).setup(&net);
    let before = mse(net.forward(&x), &y).item();
    for _ in 0..300 {
        train(&mut net, &mut opt, [(&x, &y)], |m, x, y| {
            mse(m.forward(x), y)
        })
        .expect("a finite loss");
    }
    let after = mse(net.forward(&x), &y).item();
    assert!(after < before / 10.0, "{before} -> {after}");
}

#[test]
fn weights_are_named_by_layers_and_the_model_moves_to_the_stack() {
    let net = Parallel::new(
        Plus,
        (dense::<2, 3, _>(tanh, 0), dense::<2, 3, _>(identity, 1)),
    );
    let bytes = io::to_bytes(&net).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for name in [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ] {
        assert!(text.contains(name), "{name} in the header");
    }
    let mut other = Parallel::new(
        Plus,
        (dense::<2, 3, _>(tanh, 5), dense::<2, 3, _>(identity, 6)),
    );
    io::from_bytes(&mut other, &bytes).unwrap();
    assert_eq!(other.layers.1.weight, net.layers.1.weight);
    assert_eq!(other.layers.0.bias, net.layers.0.bias);

    let x = Vector::<2, f64>::from_array([0.5, -1.0]);
    let small = net.to_device(&Stack);
    assert_eq!(
        small.forward(&x.to_device(&Stack)).to_device(&Cpu),
        net.forward(&x)
    );
    let shown = format!("{:?}", SkipConnection::new(tanh, Plus));
    assert_eq!(shown, "SkipConnection { layers: Tanh, connection: Plus }");
}
