//! Rules composed with `OptimiserChain`, each against the update written
//! out by hand: clipping, weight and sign decay, accumulated gradients, and
//! chains of one and of eight members, the two ends of the macro's range.

use typeflux_core::functor::{destructure, norm};
use typeflux_core::prelude::*;
use typeflux_nn::optim::{
    AccumGrad, Adam, ClipGrad, ClipNorm, Descent, Momentum, OptimiserChain, Rule, SignDecay,
    WeightDecay,
};

type Model = (Vector<4, f64>, Matrix<2, 3, f64>);

const PARAMS: usize = 4 + 6;

fn model_from(p: &[f64]) -> Model {
    (
        Vector::try_from_slice(&p[..4]).unwrap(),
        Matrix::try_from_slice(&p[4..]).unwrap(),
    )
}

fn flat(m: &Model) -> Vec<f64> {
    destructure::<f64, _>(m).0
}

fn start() -> Vec<f64> {
    vec![0.7, -1.3, 0.0, 2.45, -0.61, 3.2, -0.05, 1.11, -2.7, 0.33]
}

/// Irregular gradients with entries inside and outside `[-1, 1]`.
fn grad_at(step: usize) -> Vec<f64> {
    (0..PARAMS)
        .map(|i| ((i * 5 + step * 11) as f64 * 0.77).sin() * (0.4 + 0.45 * i as f64))
        .collect()
}

#[track_caller]
fn assert_close(actual: &[f64], expected: &[f64]) {
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= 1e-13 * e.abs().max(1.0),
            "parameter {i}: {a} vs {e}\n{actual:?}\n{expected:?}"
        );
    }
}

#[test]
fn clipgrad_then_descent_is_descent_on_the_clamped_gradient() {
    let (delta, eta) = (0.83, 0.071);
    let mut m = model_from(&start());
    let mut opt = OptimiserChain((ClipGrad::new(delta), Descent::new(eta))).setup(&m);
    let mut expected = start();
    for step in 1..=3 {
        let g = grad_at(step);
        assert!(g.iter().any(|x| x.abs() > delta) && g.iter().any(|x| x.abs() < delta));
        opt.update(&mut m, &model_from(&g));
        for i in 0..PARAMS {
            expected[i] -= eta * g[i].clamp(-delta, delta);
        }
        assert_close(&flat(&m), &expected);
    }
}

#[test]
fn clipgrad_is_exact() {
    let mut m = Vector::<5, f64>::zeros();
    let mut opt = OptimiserChain((ClipGrad::new(0.3),)).setup(&m);
    let g = Vector::from_array([1e300, -1e-300, 0.299_999, -7.5, 0.3]);
    opt.update(&mut m, &g);
    let expected = [-0.3, 1e-300, -0.299_999, 0.3, -0.3];
    assert_eq!(m.to_vec(), expected);
}

#[test]
fn the_order_of_a_chain_matters() {
    // Clipping after descent clips η·g, not g.
    let (delta, eta) = (0.2, 0.5);
    let mut m = model_from(&start());
    let mut opt = OptimiserChain((Descent::new(eta), ClipGrad::new(delta))).setup(&m);
    let g = grad_at(1);
    opt.update(&mut m, &model_from(&g));
    let expected: Vec<f64> = (0..PARAMS)
        .map(|i| start()[i] - (eta * g[i]).clamp(-delta, delta))
        .collect();
    assert_close(&flat(&m), &expected);
}

#[test]
fn weight_decay_adds_lambda_times_the_parameter() {
    let (lambda, eta, rho) = (0.37, 0.043, 0.81);
    let mut m = model_from(&start());
    let mut opt = OptimiserChain((WeightDecay::new(lambda), Momentum::new(eta, rho))).setup(&m);
    let (mut p, mut v) = (start(), vec![0.0; PARAMS]);
    for step in 1..=3 {
        let g = grad_at(step);
        opt.update(&mut m, &model_from(&g));
        for i in 0..PARAMS {
            v[i] = rho * v[i] + eta * (g[i] + lambda * p[i]);
            p[i] -= v[i];
        }
        assert_close(&flat(&m), &p);
    }
}

#[test]
fn sign_decay_adds_lambda_times_the_sign() {
    let (lambda, eta) = (0.29, 0.13);
    let mut m = model_from(&start());
    let mut opt = OptimiserChain((SignDecay::new(lambda), Descent::new(eta))).setup(&m);
    let g = grad_at(2);
    opt.update(&mut m, &model_from(&g));
    let sign = |x: f64| if x == 0.0 { 0.0 } else { x.signum() };
    let expected: Vec<f64> = (0..PARAMS)
        .map(|i| start()[i] - eta * (g[i] + lambda * sign(start()[i])))
        .collect();
    assert_close(&flat(&m), &expected);
    assert_eq!(start()[2], 0.0, "the test needs a zero parameter");
}

#[test]
fn accumgrad_is_descent_on_the_mean_of_n_gradients() {
    let (n, eta) = (3, 0.21);
    let mut m = model_from(&start());
    let mut opt = OptimiserChain((AccumGrad::new(n), Descent::new(eta))).setup(&m);
    let mut expected = start();
    for round in 0..2 {
        let mut sum = [0.0; PARAMS];
        for k in 1..=n {
            let before = flat(&m);
            let g = grad_at(round * n + k);
            opt.update(&mut m, &model_from(&g));
            for i in 0..PARAMS {
                sum[i] += g[i];
            }
            if k < n {
                let unchanged = before
                    .iter()
                    .zip(flat(&m))
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(unchanged, "round {round}, gradient {k}: the model moved");
            }
        }
        for i in 0..PARAMS {
            expected[i] -= eta * sum[i] / n as f64;
        }
        assert_close(&flat(&m), &expected);
    }
}

#[test]
fn the_rules_after_accumgrad_wait_for_it() {
    let mut m = model_from(&start());
    let mut opt = OptimiserChain((AccumGrad::new(2), Adam::new(0.01))).setup(&m);
    opt.update(&mut m, &model_from(&grad_at(1)));
    assert_eq!(opt.state().1.beta_t, (0.9, 0.999), "Adam took no step yet");
    assert_eq!(norm(&opt.state().1.m), 0.0);
    opt.update(&mut m, &model_from(&grad_at(2)));
    assert_eq!(opt.state().1.beta_t, (0.9 * 0.9, 0.999 * 0.999));
    assert_eq!(opt.state().0.count, 0);
}

#[test]
#[should_panic(expected = "at least one gradient")]
fn accumgrad_of_zero_gradients_is_refused() {
    AccumGrad::new(0);
}

#[test]
fn clipnorm_in_a_chain_sees_what_the_rules_before_it_made() {
    let (lambda, omega, eta) = (0.5, 1.5, 0.3);
    let mut m = model_from(&start());
    let rule = OptimiserChain((
        WeightDecay::new(lambda),
        ClipNorm::new(omega),
        Descent::new(eta),
    ));
    let mut opt = rule.setup(&m);
    let g = grad_at(1);
    opt.update(&mut m, &model_from(&g));
    let decayed: Vec<f64> = (0..PARAMS).map(|i| g[i] + lambda * start()[i]).collect();
    let size = decayed.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!(size > omega, "the test needs clipping: {size}");
    let expected: Vec<f64> = (0..PARAMS)
        .map(|i| start()[i] - eta * decayed[i] * omega / size)
        .collect();
    assert_close(&flat(&m), &expected);
}

#[test]
fn a_chain_of_one_is_its_rule() {
    let mut a = model_from(&start());
    let mut b = model_from(&start());
    let mut chained = OptimiserChain((Momentum::new(0.1, 0.7),)).setup(&a);
    let mut plain = Momentum::new(0.1, 0.7).setup(&b);
    for step in 1..=3 {
        let g = model_from(&grad_at(step));
        chained.update(&mut a, &g);
        plain.update(&mut b, &g);
    }
    assert_eq!(flat(&a), flat(&b));
}

#[test]
fn a_chain_of_eight_applies_each_in_order() {
    let (l1, d1, l2, d2, l3, eta, rho) = (0.4, 1.1, 0.09, 0.35, 0.6, 0.07, 0.5);
    let rule = OptimiserChain((
        WeightDecay::new(l1),
        ClipGrad::new(d1),
        Descent::new(2.0),
        SignDecay::new(l2),
        ClipGrad::new(d2),
        Descent::new(0.5),
        WeightDecay::new(l3),
        Momentum::new(eta, rho),
    ));
    let mut m = model_from(&start());
    let mut opt = rule.setup(&m);
    let (mut p, mut v) = (start(), vec![0.0; PARAMS]);
    let sign = |x: f64| if x == 0.0 { 0.0 } else { x.signum() };
    for step in 1..=2 {
        let g = grad_at(step);
        opt.update(&mut m, &model_from(&g));
        for i in 0..PARAMS {
            let mut x = (g[i] + l1 * p[i]).clamp(-d1, d1) * 2.0;
            x = (x + l2 * sign(p[i])).clamp(-d2, d2) * 0.5;
            x += l3 * p[i];
            v[i] = rho * v[i] + eta * x;
            p[i] -= v[i];
        }
        assert_close(&flat(&m), &p);
    }
}

#[test]
fn adjust_sets_the_learning_rate_of_every_member() {
    let mut rule = OptimiserChain((
        ClipGrad::new(1.0),
        Momentum::new(0.1, 0.9),
        Descent::new(0.5),
    ));
    rule.adjust(0.25);
    assert_eq!(rule.0.0, ClipGrad::new(1.0));
    assert_eq!(rule.0.1, Momentum::new(0.25, 0.9));
    assert_eq!(rule.0.2, Descent::new(0.25));
}
