//! `Embedding`: lookups, gradients against central differences, training,
//! weight files, devices and its messages.

mod numeric;

use numeric::check;
use typeflux_ad::reverse::{gradient, model};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;
use typeflux_nn::{Adam, Rule, io, train};

type Table = Embedding<4, 3, f64>;

fn table() -> Table {
    Embedding::from_weight(Matrix::from_fn((Const, Const), |[i, j]| {
        ((3 * i + 5 * j) % 7) as f64 / 7.0 - 0.4
    }))
}

#[test]
fn an_index_is_its_column_and_a_sequence_its_columns_in_order() {
    let t = table();
    assert_eq!(t.forward(2).to_vec(), t.weight.column(2).to_vec());
    let words = vec![3, 0, 3, 1];
    let x = t.forward(&words);
    assert_eq!(x.shape(), (Const::<3>, 4));
    for (k, &w) in words.iter().enumerate() {
        assert_eq!(x.column(k).to_vec(), t.weight.column(w).to_vec());
    }
    assert_eq!(t.forward(&words[..]), x);
    assert_eq!(t.forward(&[][..]).shape(), (Const::<3>, 0));
}

#[test]
fn gradient_of_the_weight_matches_central_differences_with_repeated_indices() {
    let t = table();
    let words = [3, 0, 3, 1];
    let y = Batch::<3, f64>::from_fn((Const, 4), |[i, j]| (i as f64 - j as f64) / 4.0);
    let g = gradient(|m| mse(m.forward(&words[..]), &y), model(&t));
    check(
        &t,
        |m| m.weight.as_mut_slice(),
        |m| mse(m.forward(&words[..]), &y).item(),
        g.weight.as_slice(),
        "weight",
    );
    assert_eq!(
        g.weight.column(2).to_vec(),
        vec![0.0; 3],
        "index 2 was not used"
    );
}

#[test]
fn gradient_through_a_chain_from_one_index() {
    let net = Chain((table(), Dense::<3, 2, Identity, f64>::new(tanh)));
    let y = Vector::<2, f64>::from_array([0.5, -0.5]);
    let g = gradient(|m| mse(m.forward(1), &y), model(&net));
    check(
        &net,
        |m| m.0.0.weight.as_mut_slice(),
        |m| mse(m.forward(1), &y).item(),
        g.0.0.weight.as_slice(),
        "embedding weight",
    );
}

#[test]
fn training_moves_each_word_to_its_target() {
    let mut t = table();
    let words = vec![0, 1, 2, 3, 1];
    let y = Batch::<3, f64>::from_fn(
        (Const, 5),
        |[i, j]| {
            if i == words[j] % 3 { 1.0 } else { -1.0 }
        },
    );
    let mut opt = Adam::new(0.05).setup(&t);
    let before = mse(t.forward(&words), &y).item();
    for _ in 0..300 {
        train(&mut t, &mut opt, [(&words, &y)], |m, x, y| {
            mse(m.forward(x), y)
        })
        .expect("a finite loss");
    }
    let after = mse(t.forward(&words), &y).item();
    assert!(after < before / 100.0, "{before} -> {after}");
}

#[test]
#[should_panic(expected = "Embedding: index 4 is outside the vocabulary of 4")]
fn an_index_outside_the_vocabulary_panics_naming_it() {
    table().forward(4);
}

#[test]
#[should_panic(expected = "Embedding: index 9 is outside the vocabulary of 4")]
fn a_sequence_with_an_index_outside_the_vocabulary_panics_naming_it() {
    table().forward(&[0, 9][..]);
}

#[test]
fn the_weight_round_trips_through_a_file_and_the_layer_moves_to_the_stack() {
    let t = table();
    let bytes = io::to_bytes(&t).unwrap();
    let mut other = Table::from_weight(Matrix::zeros());
    io::from_bytes(&mut other, &bytes).unwrap();
    assert_eq!(other, t);

    let on_stack: Embedding<4, 3, f64, Stack> = t.to_device(&Stack);
    assert_eq!(on_stack.forward(3).to_device(&Cpu), t.forward(3));
    assert!(format!("{t:?}").starts_with("Embedding { weight: "));
}

#[test]
fn new_draws_standard_normal_weights_from_the_default_generator() {
    typeflux_nn::init::seed(3);
    let a: Embedding<50, 20, f64> = Embedding::new();
    typeflux_nn::init::seed(3);
    let b: Embedding<50, 20, f64> = Embedding::default();
    assert_eq!(a, b);
    let n = a.weight.len() as f64;
    let mean = a.weight.iter().sum::<f64>() / n;
    let var = a.weight.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / n;
    assert!(mean.abs() < 0.15 && (var - 1.0).abs() < 0.2, "{mean} {var}");
}
