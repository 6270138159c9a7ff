//! Models print as Flux shows them.

use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;
use typeflux_nn::show::summary;
use typeflux_nn::{BatchNorm, Chain, Dropout, Embedding, Lambda};

#[test]
fn layers_print_as_their_constructor_calls() {
    assert_eq!(
        Dense::<10, 5>::new(sigmoid).to_string(),
        "Dense(10 => 5, sigmoid)"
    );
    assert_eq!(Dense::<5, 2>::new(identity).to_string(), "Dense(5 => 2)");
    let no_bias = Dense::<3, 1>::from_parts(Matrix::ones(), None, identity);
    assert_eq!(no_bias.to_string(), "Dense(3 => 1; bias=false)");
    assert_eq!(Scale::<4>::new(tanh).to_string(), "Scale(4, tanh)");
    assert_eq!(LayerNorm::<6>::new(identity).to_string(), "LayerNorm(6)");
    assert_eq!(LayerNorm::<6>::new(relu).to_string(), "LayerNorm(6, relu)");
    assert_eq!(BatchNorm::<8>::new(relu).to_string(), "BatchNorm(8, relu)");
    assert_eq!(Dropout::new(0.25).to_string(), "Dropout(0.25)");
    assert_eq!(
        Embedding::<100, 8>::new().to_string(),
        "Embedding(100 => 8)"
    );
    assert_eq!(Lambda(|x: f32| x).to_string(), "Lambda(…)");
}

/// Flux's documentation prints `Chain(Dense(784 => 128, relu), Dense(128 =>
/// 10))` with 101_770 parameters in 4 arrays.
#[test]
fn a_chain_prints_a_member_per_line_and_the_totals() {
    let m = Chain((
        Dense::<784, 128>::new(relu),
        Dense::<128, 10>::new(identity),
    ));
    assert_eq!(
        m.to_string(),
        "Chain(
  Dense(784 => 128, relu),              # 100_480 parameters
  Dense(128 => 10),                     # 1_290 parameters
)                   # Total: 4 arrays, 101_770 parameters, 407_080 bytes."
    );
    let s = summary(&m);
    assert_eq!((s.arrays, s.parameters, s.bytes), (4, 101_770, 4 * 101_770));
}

#[test]
fn nested_chains_and_vectors_of_layers_are_indented() {
    let m = Chain((
        Dense::<2, 3, Identity, f64>::new(tanh),
        Chain((Dense::<3, 3, Identity, f64>::new(relu), softmax)),
        Chain(vec![Dense::<3, 3, Identity, f64>::new(identity); 2]),
    ));
    assert_eq!(
        m.to_string(),
        "Chain(
  Dense(2 => 3, tanh),                  # 9 parameters
  Chain(
    Dense(3 => 3, relu),                # 12 parameters
    softmax,
  ),
  Chain(
    Dense(3 => 3),                      # 12 parameters
    Dense(3 => 3),                      # 12 parameters
  ),
)                   # Total: 8 arrays, 45 parameters, 360 bytes."
    );
}

#[test]
fn layers_and_chains_compare_by_their_parameters() {
    let a = Chain((Dense::<3, 2>::new(tanh), softmax));
    let mut b = a.clone();
    assert_eq!(a, b);
    b.0.0.weight = &b.0.0.weight * 2.0;
    assert_ne!(a, b);
    let no_bias = Dense::<3, 2>::from_parts(a.0.0.weight.clone(), None, identity);
    assert_ne!(
        Dense::from_parts(a.0.0.weight.clone(), a.0.0.bias.clone(), identity),
        no_bias
    );
}
