//! Tied layers and weights: one value at several places of a model is one
//! parameter. Gradients are checked against the sum of the gradients of the
//! same model untied (each place a copy of its own), computed separately,
//! and against central finite differences; optimiser steps against the
//! same rule stepping a lone copy of the tied layer with that sum; weight
//! files by the names they hold and by a round trip.

use typeflux_ad::reverse::{gradient, model, value_and_gradient};
use typeflux_core::functor::{
    Mut, Path, Ref, Tied, Visitor, deep_clone, fmap, named_tensors, walk,
};
use typeflux_core::prelude::*;
use typeflux_core::{Element, Kernels, Shape};
use typeflux_nn::io;
use typeflux_nn::optim::{Adam, Momentum, Rule};
use typeflux_nn::prelude::*;

type Block = Dense<3, 3, Tanh, f64>;

/// A layer with fixed, distinct parameters.
fn layer(seed: f64) -> Block {
    Dense::from_parts(
        Matrix::from_fn((Const, Const), |[i, j]| {
            seed * (1.0 + i as f64 - 0.7 * j as f64) / 5.0
        }),
        Some(Vector::from_fn((Const,), |[i, _]| {
            seed * 0.1 * i as f64 - 0.05
        })),
        tanh,
    )
}

fn data() -> (Batch<3, f64>, Batch<3, f64>) {
    let x = Batch::from_fn((Const, 4), |[i, j]| (i as f64 - j as f64) / 3.0 + 0.2);
    let y = Batch::from_fn((Const, 4), |[i, j]| ((i * j) as f64).sin());
    (x, y)
}

fn assert_close<S: Shape>(a: &Tensor<S, f64>, b: &Tensor<S, f64>, tol: f64, what: &str) {
    for (i, (x, y)) in a.to_vec().into_iter().zip(b.to_vec()).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: {x} against {y}"
        );
    }
}

#[test]
fn fmap_maps_a_tied_layer_once_and_keeps_the_tie() {
    let shared = Tied::new(layer(1.0));
    let chain = Chain((shared.clone(), layer(2.0), shared.clone()));
    let mut calls = 0;
    let doubled = fmap(
        |w: Matrix<3, 3, f64>| {
            calls += 1;
            w * 2.0
        },
        chain.clone(),
    );
    // Two weights: the tied one and the middle layer's.
    assert_eq!(calls, 2);
    let Chain((a, _, c)) = &doubled;
    assert!(
        Tied::ptr_eq(a, c),
        "the mapped model is tied where the old one was"
    );
    assert!(
        !Tied::ptr_eq(a, &shared),
        "the mapped model has a handle of its own"
    );
    // Doubled once, not once per place; the old value is left alone.
    assert_eq!(a.read().weight, &layer(1.0).weight * 2.0);
    assert_eq!(shared.read().weight, layer(1.0).weight);
    assert_eq!(doubled.0.1.weight, &layer(2.0).weight * 2.0);
}

#[test]
fn walks_meet_a_tied_node_once_under_its_first_path() {
    let weight = Tied::new(Matrix::<3, 3, f64>::ones());
    let model = (
        Some(layer(1.0).with_weight(weight.clone())),
        vec![
            layer(2.0).with_weight(weight.clone()),
            layer(3.0).with_weight(Tied::new(Matrix::zeros())),
        ],
    );
    let names: Vec<String> = named_tensors::<f64>(&model)
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(
        names,
        ["0.weight", "0.bias", "1.0.bias", "1.1.weight", "1.1.bias"]
    );
    // Two ties, one weight each, and three biases.
    assert_eq!(typeflux_nn::summary(&model).parameters, 9 + 3 * 3 + 9);
}

#[test]
fn clone_shares_and_deep_clone_copies_with_the_same_ties() {
    let shared = Tied::new(layer(1.0));
    let chain = Chain((shared.clone(), shared));
    let shallow = chain.clone();
    shallow.0.0.write().weight = Matrix::zeros();
    assert_eq!(
        chain.0.1.read().weight,
        Matrix::zeros(),
        "a clone is another handle"
    );

    let copy = deep_clone(&chain);
    assert!(Tied::ptr_eq(&copy.0.0, &copy.0.1));
    copy.0.0.write().weight = Matrix::ones();
    assert_eq!(
        chain.0.0.read().weight,
        Matrix::zeros(),
        "a deep clone shares nothing"
    );
    assert_eq!(copy.0.1.read().weight, Matrix::ones());
}

/// `p += g` at every tensor: a walk of two structures by `(Mut, Ref)`.
struct AddInto;

impl Visitor for AddInto {
    type Access = (Mut, Ref);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (p, g): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        *p += g;
    }
}

#[test]
#[should_panic(expected = "a tied value is borrowed already")]
fn walking_a_model_beside_its_shallow_clone_mutably_panics() {
    let shared = Tied::new(layer(1.0));
    let mut chain = Chain((shared.clone(), shared));
    let same = chain.clone();
    walk::<_, AddInto>((&mut chain, &same), &mut AddInto);
}

#[test]
fn walks_of_several_structures_step_into_tied_nodes_together() {
    let shared = Tied::new(layer(1.0));
    let mut chain = Chain((shared.clone(), shared));
    let other = deep_clone(&chain);
    walk::<_, AddInto>((&mut chain, &other), &mut AddInto);
    // Added once, not once per place.
    assert_eq!(chain.0.0.read().weight, &layer(1.0).weight * 2.0);
}

/// The loss of a chain on the fixed data.
fn loss_of<M>(chain: &M) -> f64
where
    for<'a> M: typeflux_nn::Layer<&'a Batch<3, f64>, Output = Batch<3, f64>>,
{
    let (x, y) = data();
    mse(chain.forward(&x), &y).item()
}

#[test]
fn the_gradient_of_a_tied_layer_is_the_sum_over_its_places() {
    let (x, y) = data();
    let shared = Tied::new(layer(1.0));
    let tied = Chain((shared.clone(), layer(2.0), shared));
    let (value, g) = value_and_gradient(|m| mse(m.forward(&x), &y), model(&tied));
    let Chain((g0, g1, g2)) = &g;
    assert!(Tied::ptr_eq(g0, g2), "one gradient, at both places");

    // The same model untied: each place a copy of its own.
    let untied = Chain((layer(1.0), layer(2.0), layer(1.0)));
    let (untied_value, u) = value_and_gradient(|m| mse(m.forward(&x), &y), model(&untied));
    assert_eq!(value, untied_value);
    let Chain((u0, u1, u2)) = &u;
    let sum = g0.read();
    assert_close(&sum.weight, &(&u0.weight + &u2.weight), 1e-14, "weight");
    assert_close(
        sum.bias.as_ref().unwrap(),
        &(u0.bias.as_ref().unwrap() + u2.bias.as_ref().unwrap()),
        1e-14,
        "bias",
    );
    assert_eq!(g1.weight, u1.weight);
}

#[test]
fn the_gradient_of_a_tied_layer_matches_finite_differences() {
    let (x, y) = data();
    let shared = Tied::new(layer(1.0));
    let tied = Chain((shared.clone(), layer(2.0), shared.clone()));
    let g = gradient(|m| mse(m.forward(&x), &y), model(&tied));
    let grad = g.0.0.read().weight.to_vec();
    let h = 1e-6;
    for k in 0..9 {
        let at = |delta: f64| {
            let mut w = layer(1.0).weight.to_vec();
            w[k] += delta;
            shared.write().weight = Matrix::try_from_slice(&w).unwrap();
            loss_of(&tied)
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        assert!(
            (fd - grad[k]).abs() < 1e-7,
            "weight[{k}]: finite differences {fd}, gradient {}",
            grad[k]
        );
    }
}

#[test]
fn a_tied_weight_gets_the_sum_of_its_layers_gradients() {
    let (x, y) = data();
    let weight = Tied::new(layer(1.0).weight);
    let tied = Chain((
        layer(2.0).with_weight(weight.clone()),
        layer(3.0).with_weight(weight),
    ));
    let g = gradient(|m| mse(m.forward(&x), &y), model(&tied));
    assert!(Tied::ptr_eq(&g.0.0.weight, &g.0.1.weight));

    let untied = Chain((
        layer(2.0).with_weight(layer(1.0).weight),
        layer(3.0).with_weight(layer(1.0).weight),
    ));
    let u = gradient(|m| mse(m.forward(&x), &y), model(&untied));
    assert_close(
        &g.0.0.weight.read(),
        &(&u.0.0.weight + &u.0.1.weight),
        1e-14,
        "weight",
    );
    // The biases are not tied: each has its own gradient.
    assert_eq!(g.0.0.bias, u.0.0.bias);
    assert_eq!(g.0.1.bias, u.0.1.bias);
}

#[test]
fn a_shared_embedding_gets_the_sum_of_its_uses_gradients() {
    // The table of an embedding, used again as the weight of a projection
    // of vocabulary scores back to the embedding's features.
    let table = Matrix::<3, 5, f64>::from_fn((Const, Const), |[i, j]| {
        (i as f64 + 1.0) * 0.3 - j as f64 * 0.2
    });
    let scores = Batch::<5, f64>::from_fn((Const, 2), |[i, j]| (i + 2 * j) as f64 / 7.0);
    let tokens = vec![4, 1, 4];

    let shared = Tied::new(table.clone());
    let tied = (
        Embedding::<5, 3, f64>::new().with_weight(shared.clone()),
        Dense::<5, 3, Identity, f64>::new(tanh)
            .bias(false)
            .with_weight(shared),
    );
    let g = gradient(
        |(e, d)| e.forward(&tokens).square().sum() + d.forward(&scores).sum(),
        model(&tied),
    );
    assert!(Tied::ptr_eq(&g.0.weight, &g.1.weight));

    let untied = (
        Embedding::<5, 3, f64>::from_weight(table.clone()),
        Dense::<5, 3, Identity, f64>::new(tanh)
            .bias(false)
            .with_weight(table),
    );
    let u = gradient(
        |(e, d)| e.forward(&tokens).square().sum() + d.forward(&scores).sum(),
        model(&untied),
    );
    assert_close(
        &g.0.weight.read(),
        &(&u.0.weight + &u.1.weight),
        1e-14,
        "table",
    );
}

#[test]
fn an_optimiser_keeps_one_state_and_steps_a_tied_layer_once() {
    let (x, y) = data();
    let shared = Tied::new(layer(1.0));
    let mut tied = Chain((shared.clone(), shared));
    let mut opt = Adam::new(0.05).setup(&tied);
    // The state has the model's ties: one first moment for the tied layer.
    assert!(Tied::ptr_eq(&opt.state().m.0.0, &opt.state().m.0.1));
    assert!(!Tied::ptr_eq(&opt.state().m.0.0, &tied.0.0));

    // The reference: Adam on a lone copy of the layer, given the sum of
    // the gradients of the untied places.
    let mut lone = layer(1.0);
    let mut reference = Adam::new(0.05).setup(&lone);
    for _ in 0..3 {
        let grad = gradient(|m| mse(m.forward(&x), &y), model(&tied));
        let untied = Chain((lone.clone(), lone.clone()));
        let u = gradient(|m| mse(m.forward(&x), &y), model(&untied));
        let mut sum = u.0.0.clone();
        sum.weight += &u.0.1.weight;
        sum.bias = Some(u.0.0.bias.as_ref().unwrap() + u.0.1.bias.as_ref().unwrap());

        opt.update(&mut tied, &grad);
        reference.update(&mut lone, &sum);
        assert!(Tied::ptr_eq(&tied.0.0, &tied.0.1));
        let stepped = tied.0.0.read();
        assert_close(&stepped.weight, &lone.weight, 1e-12, "weight");
        assert_close(
            stepped.bias.as_ref().unwrap(),
            lone.bias.as_ref().unwrap(),
            1e-12,
            "bias",
        );
    }
}

#[test]
fn an_update_leaves_the_gradient_it_was_given_alone() {
    let (x, y) = data();
    let shared = Tied::new(layer(1.0));
    let mut tied = Chain((shared.clone(), shared));
    let grad = gradient(|m| mse(m.forward(&x), &y), model(&tied));
    let before = grad.0.0.read().weight.clone();
    let mut opt = Momentum::new(0.1, 0.9).setup(&tied);
    opt.update(&mut tied, &grad);
    assert_eq!(grad.0.0.read().weight, before);
}

#[test]
fn a_weight_file_holds_a_tied_layer_once_and_loading_keeps_the_tie() {
    let shared = Tied::new(layer(1.0));
    let saved = Chain((shared.clone(), layer(2.0), shared));
    let bytes = io::to_bytes(&saved).unwrap();

    let fresh = Tied::new(layer(5.0));
    let mut loaded = Chain((fresh.clone(), layer(6.0), fresh));
    io::from_bytes(&mut loaded, &bytes).unwrap();
    assert!(Tied::ptr_eq(&loaded.0.0, &loaded.0.2));
    assert_eq!(*loaded.0.0.read(), layer(1.0));
    assert_eq!(loaded.0.1, layer(2.0));

    // A model without the tie has more tensors than the file: refused, and
    // left as it was.
    let mut untied = Chain((layer(5.0), layer(6.0), layer(7.0)));
    let err = io::from_bytes(&mut untied, &bytes).unwrap_err();
    assert!(err.to_string().contains("2.weight"), "{err}");
    assert_eq!(untied.0.0, layer(5.0));

    // A file without the tied layer is refused, and the model left alone.
    let partial = io::to_bytes(&Chain((Lambda(|x: Batch<3, f64>| x), layer(2.0)))).unwrap();
    let err = io::from_bytes(&mut loaded, &partial).unwrap_err();
    assert!(err.to_string().contains("0.weight"), "{err}");
    assert_eq!(*loaded.0.0.read(), layer(1.0));

    // A file from the untied model has more tensors than the tied model.
    let untied_bytes = io::to_bytes(&Chain((layer(1.0), layer(2.0), layer(1.0)))).unwrap();
    let before = deep_clone(&loaded);
    assert!(io::from_bytes(&mut loaded, &untied_bytes).is_err());
    assert_eq!(*loaded.0.0.read(), *before.0.0.read());
}

#[test]
fn a_chain_shows_a_tied_layer_at_each_place_and_counts_it_once() {
    let shared = Tied::new(Dense::<3, 3>::new(tanh));
    let chain = Chain((shared.clone(), Dense::<3, 3>::new(relu), shared));
    let text = chain.to_string();
    assert_eq!(
        text,
        "Chain(
  Dense(3 => 3, tanh),                  # 12 parameters
  Dense(3 => 3, relu),                  # 12 parameters
  Dense(3 => 3, tanh),                  # 12 parameters
)                   # Total: 4 arrays, 24 parameters, 96 bytes."
    );
}

#[test]
fn a_tied_layer_is_frozen_under_its_first_path() {
    let (x, y) = data();
    let shared = Tied::new(layer(1.0));
    let mut chain = Chain((shared.clone(), layer(2.0), shared));
    let mut opt = Momentum::new(0.1, 0.9).setup(&chain);
    assert_eq!(
        opt.trainable().parameters(),
        ["0.weight", "0.bias", "1.weight", "1.bias"]
    );
    opt.freeze("0");
    let grad = gradient(|m| mse(m.forward(&x), &y), model(&chain));
    opt.update(&mut chain, &grad);
    assert_eq!(*chain.0.2.read(), layer(1.0));
    assert_ne!(chain.0.1, layer(2.0));
}

#[test]
fn a_layer_repeated_in_a_chain_over_a_vec_gets_the_sum_over_its_repeats() {
    // One layer applied three times, as a weight-shared recurrence unrolled.
    let (x, y) = data();
    let shared = Tied::new(layer(1.0));
    let tied = Chain(vec![shared.clone(), shared.clone(), shared]);
    let g = gradient(|m| mse(m.forward(&x), &y), model(&tied));
    assert!(Tied::ptr_eq(&g.0[0], &g.0[1]) && Tied::ptr_eq(&g.0[1], &g.0[2]));

    let untied = Chain(vec![layer(1.0); 3]);
    let u = gradient(|m| mse(m.forward(&x), &y), model(&untied));
    let sum = &(&u.0[0].weight + &u.0[1].weight) + &u.0[2].weight;
    assert_close(&g.0[0].read().weight, &sum, 1e-14, "weight");
}

#[test]
fn a_tied_layer_with_state_keeps_what_its_first_place_recorded() {
    use typeflux_nn::State;

    let mut norm: BatchNorm<3, Tanh, f64> = BatchNorm::new(tanh);
    norm.running_mean = State(Vector::from_array([0.2, -0.1, 0.4]));
    let shared = Tied::new(norm.clone());
    let chain = Chain((shared.clone(), shared));
    let (x, y) = data();
    let g = gradient(|m| mse(m.forward(&x), &y), model(&chain));
    // The first place normalises `x`; its running mean moves towards x's.
    let recorded = &g.0.0.read().running_mean.0;
    for i in 0..3 {
        let mean = (0..4).map(|j| x[[i, j]]).sum::<f64>() / 4.0;
        let want = 0.9 * norm.running_mean.0[i] + 0.1 * mean;
        assert!(
            (recorded[i] - want).abs() < 1e-12,
            "mean {i}: {} against {want}",
            recorded[i]
        );
    }
}
