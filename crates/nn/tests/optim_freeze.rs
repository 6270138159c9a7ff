//! Freezing and thawing parts of a model under a running optimiser, and
//! adjusting its learning rate: Optimisers.jl's `freeze!`, `thaw!` and
//! `adjust!`.

use typeflux_ad::reverse::{gradient, model};
use typeflux_core::functor::{destructure, norm};
use typeflux_core::prelude::*;
use typeflux_nn::optim::{
    Adam, ClipGrad, ClipNorm, Descent, Momentum, Optimiser, OptimiserChain, Rule, WeightDecay,
};
use typeflux_nn::prelude::*;

type Model = Chain<(Dense<3, 4, Tanh, f64>, Dense<4, 2, Identity, f64>)>;

fn net() -> Model {
    let w1 = Matrix::<4, 3, f64>::from_fn(Default::default(), |[i, j]| {
        ((i * 3 + j) as f64 * 0.73).sin()
    });
    let w2 = Matrix::<2, 4, f64>::from_fn(Default::default(), |[i, j]| {
        ((i * 4 + j) as f64 * 1.31).cos()
    });
    Chain((
        Dense::from_parts(w1, Vector::from_array([0.1, -0.2, 0.3, 0.05]), tanh),
        Dense::from_parts(w2, Vector::from_array([0.5, -0.45]), identity),
    ))
}

fn grad_of(m: &Model, seed: usize) -> Model {
    let x = Batch::<3, f64>::from_fn((Const, 5), |[i, j]| {
        ((i + 2 * j + seed) as f64 * 0.37).sin()
    });
    let y = Batch::<2, f64>::from_fn((Const, 5), |[i, j]| ((i * j + seed) as f64 * 0.53).cos());
    gradient(|m| mse(m.forward(&x), &y), model(m))
}

/// The bits of every number of `m`.
fn bits<M: typeflux_core::functor::Functor + Clone>(m: &M) -> Vec<u64> {
    destructure::<f64, _>(m)
        .0
        .into_iter()
        .map(f64::to_bits)
        .collect()
}

#[test]
fn a_frozen_layer_stays_bit_identical_and_its_state_does_not_move() {
    let mut m = net();
    let start = m.clone();
    let mut opt = Adam::new(0.05).setup(&m);
    opt.freeze("0");
    for seed in 0..4 {
        let g = grad_of(&m, seed);
        opt.update(&mut m, &g);
    }
    assert_eq!(bits(&m.0.0), bits(&start.0.0));
    assert_ne!(m.0.1.weight.to_vec(), start.0.1.weight.to_vec());
    assert_ne!(m.0.1.bias, start.0.1.bias);
    assert_eq!(norm(&opt.state().m.0.0), 0.0);
    assert_eq!(norm(&opt.state().v.0.0), 0.0);
    assert!(norm(&opt.state().m.0.1) > 0.0);

    // Thawed, it trains again.
    opt.thaw("0");
    let g = grad_of(&m, 9);
    opt.update(&mut m, &g);
    assert_ne!(m.0.0.weight.to_vec(), start.0.0.weight.to_vec());
    assert!(norm(&opt.state().m.0.0) > 0.0);
}

#[test]
fn one_tensor_can_be_frozen_and_thawed_inside_a_frozen_layer() {
    let mut m = net();
    let start = m.clone();
    let mut opt = Momentum::new(0.1, 0.9).setup(&m);
    opt.freeze("0.bias");
    opt.freeze("1");
    assert!(opt.trainable().is_frozen("0.bias"));
    assert!(opt.trainable().is_frozen("1.weight") && opt.trainable().is_frozen("1.bias"));
    assert!(!opt.trainable().is_frozen("0.weight"));
    opt.thaw("1.bias");
    let g = grad_of(&m, 1);
    opt.update(&mut m, &g);
    assert_eq!(bits(&m.0.0.bias), bits(&start.0.0.bias));
    assert_eq!(bits(&m.0.1.weight), bits(&start.0.1.weight));
    assert_ne!(m.0.0.weight.to_vec(), start.0.0.weight.to_vec());
    assert_ne!(m.0.1.bias, start.0.1.bias);
}

#[test]
fn freezing_the_root_freezes_everything() {
    let mut m = net();
    let start = m.clone();
    let mut opt = OptimiserChain((ClipNorm::new(0.1), Adam::new(0.1))).setup(&m);
    opt.freeze("");
    for seed in 0..3 {
        let g = grad_of(&m, seed);
        opt.update(&mut m, &g);
    }
    assert_eq!(bits(&m), bits(&start));
    opt.thaw("");
    assert!(
        opt.trainable()
            .parameters()
            .iter()
            .all(|p| !opt.trainable().is_frozen(p))
    );
}

#[test]
fn the_frozen_part_of_a_gradient_does_not_count_towards_its_norm() {
    // Descent(1) after ClipNorm(ω) moves the unfrozen parameters by a step
    // of norm ω exactly, whatever the frozen gradient was.
    let omega = 0.01;
    let mut m = net();
    let start = m.clone();
    let mut opt = OptimiserChain((ClipNorm::new(omega), Descent::new(1.0))).setup(&m);
    opt.freeze("1");
    let g = grad_of(&m, 3);
    assert!(norm(&g.0.0) > omega);
    opt.update(&mut m, &g);
    let (after, _) = destructure::<f64, _>(&m.0.0);
    let (before, _) = destructure::<f64, _>(&start.0.0);
    let step: f64 = after
        .iter()
        .zip(&before)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!((step - omega).abs() < 1e-15, "{step}");
}

#[test]
#[should_panic(expected = "no parameter at or below `0.weights`")]
fn freezing_a_path_that_names_no_parameter_is_refused() {
    let mut opt = Descent::new(0.1).setup(&net());
    opt.freeze("0.weights");
}

#[test]
fn parameters_are_named_as_weight_files_name_them() {
    let opt = Descent::new(0.1).setup(&net());
    assert_eq!(
        opt.trainable().parameters(),
        ["0.weight", "0.bias", "1.weight", "1.bias"]
    );
}

#[test]
fn adjust_changes_the_learning_rate_of_a_running_state() {
    let mut m = net();
    let (eta, rho) = (0.1, 0.8);
    let mut opt: Optimiser<_, Model> = Momentum::new(eta, rho).setup(&m);
    let g1 = grad_of(&m, 1);
    opt.update(&mut m, &g1);
    let after_one = m.clone();

    opt.adjust(0.02);
    assert_eq!(opt.rule.eta, 0.02);
    let g2 = grad_of(&m, 2);
    opt.update(&mut m, &g2);

    // By hand: v₁ = η·g₁, v₂ = ρ·v₁ + 0.02·g₂; the velocity is kept.
    let (p, _) = destructure::<f64, _>(&after_one);
    let (a, _) = destructure::<f64, _>(&g1);
    let (b, _) = destructure::<f64, _>(&g2);
    let (actual, _) = destructure::<f64, _>(&m);
    for i in 0..p.len() {
        let expected = p[i] - (rho * eta * a[i] + 0.02 * b[i]);
        assert!((actual[i] - expected).abs() < 1e-15, "{i}");
    }
}

#[test]
fn adjust_leaves_rules_without_a_learning_rate_alone() {
    let rule = OptimiserChain((WeightDecay::new(0.3), ClipGrad::new(2.0)));
    let mut opt = rule.setup(&net());
    opt.adjust(3.0);
    assert_eq!(opt.rule, rule);
}
