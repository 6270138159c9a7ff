//! A `Chain` over a `Vec` of layers: values, gradients of every member and
//! of the input against central differences (f64), nesting, training,
//! descent, weight files and devices.

mod numeric;

use numeric::check;
use typeflux_ad::reverse::{descend, gradient, model, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;
use typeflux_nn::{Adam, Rule, io, train};

type Block = Dense<3, 3, Tanh, f64>;

fn block(k: usize) -> Block {
    Dense::new(tanh)
        .init(|_| {
            Matrix::from_fn((Const, Const), |[i, j]| {
                (((i * 5 + j * 3 + k * 7) % 9) as f64 - 4.0) / 5.0
            })
        })
        .bias(Vector::from_fn((Const,), |[i, _]| {
            (i as f64 - k as f64) / 10.0
        }))
}

fn blocks(n: usize) -> Chain<Vec<Block>> {
    Chain((0..n).map(block).collect())
}

fn batch<const N: usize>(seed: usize) -> Batch<N, f64> {
    Batch::from_fn((Const, 4), |[i, j]| {
        ((i * 3 + j * 2 + seed) as f64 * 0.7).sin()
    })
}

#[test]
fn the_layers_apply_in_order_and_none_is_the_identity() {
    let net = blocks(3);
    let x = batch::<3>(0);
    let want = net.0[2].forward(net.0[1].forward(net.0[0].forward(&x)));
    assert_eq!(net.forward(&x), want);
    let v = x.column(0);
    assert_eq!(net.forward(&v), want.column(0));
    assert_eq!(blocks(0).forward(&x), x);
}

#[test]
fn gradients_of_every_member_and_of_the_input_match_central_differences() {
    let net = blocks(3);
    let (x, t) = (batch::<3>(1), batch::<3>(2));
    let (_, (g, gx)) = value_and_gradient(|(m, x)| mse(m.forward(x), &t), (model(&net), &x));
    assert_eq!(g.0.len(), 3);
    let loss = |m: &Chain<Vec<Block>>| mse(m.forward(&x), &t).item();
    for k in 0..3 {
        check(
            &net,
            |m| m.0[k].weight.as_mut_slice(),
            loss,
            g.0[k].weight.as_slice(),
            &format!("weight {k}"),
        );
        check(
            &net,
            |m| m.0[k].bias.as_mut().unwrap().as_mut_slice(),
            loss,
            g.0[k].bias.as_ref().unwrap().as_slice(),
            &format!("bias {k}"),
        );
    }
    check(
        &x,
        |x| x.as_mut_slice(),
        |x| mse(net.forward(x), &t).item(),
        gx.as_slice(),
        "input",
    );
}

type Nested = Chain<(
    Dense<2, 3, Identity, f64>,
    Chain<Vec<Block>>,
    Dense<3, 1, Identity, f64>,
)>;

#[test]
fn a_vec_chain_nested_in_a_tuple_chain_passes_gradients_both_ways() {
    let net: Nested = Chain((Dense::new(identity), blocks(2), Dense::new(identity)));
    let (x, t) = (
        batch::<2>(3),
        Batch::<1, f64>::from_fn((Const, 4), |[_, j]| j as f64 / 4.0),
    );
    let g = gradient(|m| mse(m.forward(&x), &t), model(&net));
    let loss = |m: &Nested| mse(m.forward(&x), &t).item();
    check(
        &net,
        |m| m.0.0.weight.as_mut_slice(),
        loss,
        g.0.0.weight.as_slice(),
        "before",
    );
    check(
        &net,
        |m| m.0.1.0[0].weight.as_mut_slice(),
        loss,
        g.0.1.0[0].weight.as_slice(),
        "inner 0",
    );
    check(
        &net,
        |m| m.0.1.0[1].weight.as_mut_slice(),
        loss,
        g.0.1.0[1].weight.as_slice(),
        "inner 1",
    );
    check(
        &net,
        |m| m.0.2.weight.as_mut_slice(),
        loss,
        g.0.2.weight.as_slice(),
        "after",
    );
}

#[test]
fn a_deep_chain_of_runtime_length_trains_and_descends() {
    let (x, t) = (batch::<3>(4), batch::<3>(5) * 0.5);
    let mut net = blocks(5);
    let mut opt = Adam::new(0.01).setup(&net);
    let before = mse(net.forward(&x), &t).item();
    for _ in 0..200 {
        train(&mut net, &mut opt, [(&x, &t)], |m, x, y| {
            mse(m.forward(x), y)
        })
        .expect("a finite loss");
    }
    let after = mse(net.forward(&x), &t).item();
    assert!(after < before / 10.0, "{before} -> {after}");

    let mut stepped = blocks(2);
    let g = gradient(|m| mse(m.forward(&x), &t), model(&stepped));
    descend(&mut stepped, 0.1, |m| mse(m.forward(&x), &t));
    let want = blocks(2).0[1].weight.clone() - &(g.0[1].weight.clone() * 0.1);
    for (a, b) in stepped.0[1].weight.iter().zip(want.iter()) {
        assert!((a - b).abs() < 1e-12);
    }
}

#[test]
fn members_are_saved_by_index_and_the_chain_moves_to_the_stack() {
    let net = blocks(3);
    let bytes = io::to_bytes(&net).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for name in ["0.weight", "1.bias", "2.weight"] {
        assert!(text.contains(name), "{name}");
    }
    let mut other = blocks(3);
    for layer in &mut other.0 {
        layer.weight = Matrix::zeros();
    }
    io::from_bytes(&mut other, &bytes).unwrap();
    assert_eq!(other.0[2].weight, net.0[2].weight);
    // A file for another depth is refused.
    assert!(io::from_bytes(&mut blocks(2), &bytes).is_err());

    let small = net.to_device(&Stack);
    let v = batch::<3>(6).column(1);
    assert_eq!(
        small.forward(&v.to_device(&Stack)).to_device(&Cpu),
        net.forward(&v)
    );
}
