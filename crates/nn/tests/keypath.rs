//! Reading and replacing a model's tensors by key path, and its structure
//! as a tree (Functors.jl's `getkeypath`, `setkeypath!`, `fmapstructure`,
//! `fcollect`; Optimisers.jl's `trainables`).

use typeflux_core::functor::{KeyPathError, Tree, fcollect, fmapstructure, named_tensors};
use typeflux_core::functor::{set_tensor_at, tensor_at};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;
use typeflux_nn::{BatchNorm, Chain};

fn net() -> Chain<(Dense<3, 4, Tanh, f64>, Dense<4, 2, Identity, f64>)> {
    let mut k = 0.0;
    let mut next = move || {
        k += 1.0;
        (k * 0.37f64).sin()
    };
    Chain((
        Dense::from_parts(
            Matrix::from_fn((Const, Const), |_| next()),
            Some(Vector::from_fn((Const,), |_| next())),
            tanh,
        ),
        Dense::from_parts(Matrix::from_fn((Const, Const), |_| next()), None, identity),
    ))
}

#[test]
fn a_tensor_is_read_by_its_key_path() {
    let m = net();
    let w = tensor_at::<f64>(&m, "0.weight").unwrap();
    assert_eq!(w.shape, [4, 3]);
    assert_eq!(w.data, m.0.0.weight.to_vec());
    let b = tensor_at::<f64>(&m, "0.bias").unwrap();
    assert_eq!(b.data, m.0.0.bias.as_ref().unwrap().to_vec());
    // The second layer has no bias; f32 finds nothing in an f64 model.
    assert!(tensor_at::<f64>(&m, "1.bias").is_none());
    assert!(tensor_at::<f32>(&m, "0.weight").is_none());
}

#[test]
fn a_tensor_is_replaced_by_its_key_path() {
    let mut m = net();
    let x = Batch::<3, f64>::from_fn((Const, 5), |[i, j]| (i as f64 - j as f64) / 3.0);
    let w: Vec<f64> = (0..8).map(|i| i as f64 / 10.0 - 0.3).collect();
    set_tensor_at(&mut m, "1.weight", &[2, 4], &w).unwrap();
    assert_eq!(m.0.1.weight.to_vec(), w);
    // The model computes with the new weight: the same as a layer built
    // from it.
    let second = Dense::<4, 2, Identity, f64>::from_parts(
        Matrix::from_vec((Const, Const), w).unwrap(),
        None,
        identity,
    );
    assert_eq!(m.forward(&x), second.forward(&m.0.0.forward(&x)));
}

#[test]
fn a_bad_key_path_or_shape_changes_nothing_and_says_why() {
    let mut m = net();
    let before = m.clone();
    let err = set_tensor_at(&mut m, "2.weight", &[2], &[1.0, 2.0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no tensor at `2.weight`; the model's tensors are at `0.weight`, `0.bias`, `1.weight`"
    );
    let err = set_tensor_at(&mut m, "0.weight", &[3, 4], &[0.5; 12]).unwrap_err();
    assert_eq!(
        err,
        KeyPathError::ShapeMismatch {
            path: "0.weight".into(),
            tensor: vec![4, 3],
            given: vec![3, 4],
        }
    );
    let err = set_tensor_at(&mut m, "0.bias", &[4], &[0.5; 3]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "for `0.bias`: shape [4] holds 4 values, 3 were given"
    );
    assert_eq!(m.0.0.weight, before.0.0.weight);
    assert_eq!(m.0.0.bias, before.0.0.bias);
    assert_eq!(m.0.1.weight, before.0.1.weight);
}

#[test]
fn the_structure_of_a_chain_with_a_value_per_tensor() {
    let m = net();
    let shapes = fmapstructure::<f64, _>(|t| t.shape.clone(), &m);
    assert_eq!(
        shapes.to_string(),
        "(0 = (weight = [4, 3], bias = [4]), 1 = (weight = [2, 4]))"
    );
    let sums = fmapstructure::<f64, _>(|t| t.data.iter().sum::<f64>(), &m);
    assert_eq!(
        sums.at("1.weight").and_then(Tree::leaf),
        Some(&m.0.1.weight.sum())
    );
    assert_eq!(
        fcollect::<f64>(&m),
        ["", "0", "0.weight", "0.bias", "1", "1.weight"]
    );
}

#[test]
fn trainables_leave_out_the_running_statistics() {
    let m: Chain<(Dense<3, 4, Identity, f64>, BatchNorm<4, Tanh, f64>)> =
        Chain((Dense::new(identity), BatchNorm::new(tanh)));
    let names: Vec<String> = named_tensors::<f64>(&m)
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(names.iter().all(|n| !n.contains("running")), "{names:?}");
    assert!(names.contains(&"0.weight".to_string()));
    assert!(tensor_at::<f64>(&m, "1.running_mean").is_none());
}
