//! Optimisers against hand-computed references written from Optimisers.jl's
//! definitions, loss decrease on a quadratic problem, and `train`.

use typeflux_ad::reverse::{gradient as reverse_gradient, model};
use typeflux_core::prelude::*;
use typeflux_nn::optim::{Adam, AdamW, Descent, Momentum, Nesterov, Optimiser, Rule};
use typeflux_nn::prelude::*;
use typeflux_nn::train::{EpochReport, TracedModel, train, train_epochs};

/// Two layers; the second has no bias, so the walk must pass over it.
type Model = Chain<(Dense<2, 3, Identity, f64>, Dense<3, 1, Identity, f64>)>;

const PARAMS: usize = 6 + 3 + 3;

/// Builds the model from its parameters in the order weight₁ (column-major),
/// bias₁, weight₂.
fn model_from(p: &[f64]) -> Model {
    let mut first: Dense<2, 3, Identity, f64> = Dense::new(identity);
    first.weight = Matrix::try_from_slice(&p[..6]).unwrap();
    first.bias = Some(Vector::try_from_slice(&p[6..9]).unwrap());
    let mut second: Dense<3, 1, Identity, f64> = Dense::new(identity).bias(false);
    second.weight = Matrix::try_from_slice(&p[9..]).unwrap();
    Chain((first, second))
}

fn params_of(m: &Model) -> Vec<f64> {
    let Chain((first, second)) = m;
    assert!(second.bias.is_none(), "an absent bias must stay absent");
    [
        first.weight.to_vec(),
        first.bias.as_ref().unwrap().to_vec(),
        second.weight.to_vec(),
    ]
    .concat()
}

fn initial() -> Vec<f64> {
    (0..PARAMS).map(|i| 0.3 * i as f64 - 1.1).collect()
}

/// A different gradient at each step, with entries of both signs and sizes.
fn gradient(step: usize) -> Vec<f64> {
    (0..PARAMS)
        .map(|i| ((i * 7 + step * 3) as f64).sin() * (1.0 + i as f64 / 4.0))
        .collect()
}

/// Runs `rule` for three steps and compares with `reference`, which
/// updates flat parameters given the gradient and the step number (from 1).
#[track_caller]
fn check_against<R: Rule>(rule: R, mut reference: impl FnMut(&mut [f64], &[f64], usize)) {
    let mut model = model_from(&initial());
    let mut opt: Optimiser<R, Model> = rule.setup(&model);
    let mut expected = initial();
    for step in 1..=3 {
        let g = gradient(step);
        opt.update(&mut model, &model_from(&g));
        reference(&mut expected, &g, step);
        let actual = params_of(&model);
        for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
            assert!(
                (a - e).abs() <= 1e-12 * e.abs().max(1.0),
                "step {step}, parameter {i}: {a} vs reference {e}"
            );
        }
        assert_ne!(actual, initial(), "step {step} changed nothing");
    }
}

#[test]
fn descent_matches_reference() {
    let eta = 0.1;
    check_against(Descent::new(eta), |p, g, _| {
        for i in 0..p.len() {
            p[i] -= eta * g[i];
        }
    });
}

#[test]
fn momentum_matches_reference() {
    let (eta, rho) = (0.05, 0.8);
    let mut v = [0.0; PARAMS];
    check_against(Momentum::new(eta, rho), move |p, g, _| {
        for i in 0..p.len() {
            v[i] = rho * v[i] + eta * g[i];
            p[i] -= v[i];
        }
    });
}

#[test]
fn nesterov_matches_reference() {
    let (eta, rho) = (0.05, 0.8);
    let mut v = [0.0; PARAMS];
    check_against(Nesterov::new(eta, rho), move |p, g, _| {
        for i in 0..p.len() {
            let step = -rho * rho * v[i] + (1.0 + rho) * eta * g[i];
            v[i] = rho * v[i] - eta * g[i];
            p[i] -= step;
        }
    });
}

/// Adam's moments and bias-corrected step for one parameter.
fn adam_step(
    (m, v): (&mut f64, &mut f64),
    g: f64,
    t: usize,
    (eta, b1, b2, eps): (f64, f64, f64, f64),
) -> f64 {
    *m = b1 * *m + (1.0 - b1) * g;
    *v = b2 * *v + (1.0 - b2) * g * g;
    let m_hat = *m / (1.0 - b1.powi(t as i32));
    let v_hat = *v / (1.0 - b2.powi(t as i32));
    eta * m_hat / (v_hat.sqrt() + eps)
}

#[test]
fn adam_matches_reference() {
    // A large ϵ makes a wrong placement of ϵ visible.
    let hyper = (0.01, 0.8, 0.9, 1e-2);
    let (mut m, mut v) = (vec![0.0; PARAMS], vec![0.0; PARAMS]);
    let rule = Adam::new(hyper.0).beta((hyper.1, hyper.2)).epsilon(hyper.3);
    check_against(rule, move |p, g, t| {
        for i in 0..p.len() {
            p[i] -= adam_step((&mut m[i], &mut v[i]), g[i], t, hyper);
        }
    });
}

#[test]
fn adamw_matches_reference() {
    let hyper = (0.01, 0.8, 0.9, 1e-2);
    let lambda = 0.5;
    let (mut m, mut v) = (vec![0.0; PARAMS], vec![0.0; PARAMS]);
    let rule = AdamW::new(hyper.0, (hyper.1, hyper.2), lambda).epsilon(hyper.3);
    check_against(rule, move |p, g, t| {
        for i in 0..p.len() {
            let decay = hyper.0 * lambda * p[i];
            p[i] -= adam_step((&mut m[i], &mut v[i]), g[i], t, hyper) + decay;
        }
    });
}

#[test]
fn adamw_without_decay_is_adam() {
    let mut a = model_from(&initial());
    let mut b = model_from(&initial());
    let mut adam = Adam::new(0.01).setup(&a);
    let mut adamw = AdamW::new(0.01, (0.9, 0.999), 0.0).setup(&b);
    for step in 1..=3 {
        let g = model_from(&gradient(step));
        adam.update(&mut a, &g);
        adamw.update(&mut b, &g);
    }
    assert_eq!(params_of(&a), params_of(&b));
}

#[test]
fn defaults_are_optimisers_jl() {
    assert_eq!(Descent::default().eta, 0.1);
    assert_eq!(Momentum::default(), Momentum::new(0.01, 0.9));
    assert_eq!(Nesterov::default(), Nesterov::new(0.001, 0.9));
    let adam = Adam::default();
    assert_eq!(
        (adam.eta, adam.beta, adam.epsilon),
        (0.001, (0.9, 0.999), 1e-8)
    );
    let adamw = AdamW::default();
    assert_eq!(
        (adamw.eta, adamw.beta, adamw.lambda, adamw.epsilon),
        (0.001, (0.9, 0.999), 0.0, 1e-8)
    );
}

#[test]
fn state_has_the_model_shape_and_starts_at_zero() {
    let model = model_from(&initial());
    let opt = Adam::new(0.1).setup(&model);
    let state = opt.state();
    assert_eq!(params_of(&state.m), vec![0.0; PARAMS]);
    assert_eq!(params_of(&state.v), vec![0.0; PARAMS]);
    assert_eq!(state.beta_t, (0.9, 0.999));
}

#[test]
fn a_parameter_without_gradient_is_left_alone() {
    let mut model = model_from(&initial());
    let mut grad = model_from(&gradient(1));
    grad.0.0.bias = None;
    let mut opt = Momentum::new(0.1, 0.9).setup(&model);
    opt.update(&mut model, &grad);
    opt.update(&mut model, &grad);
    let bias = model.0.0.bias.as_ref().unwrap().to_vec();
    assert_eq!(bias, initial()[6..9].to_vec());
    assert_eq!(
        opt.state().0.0.bias.as_ref().unwrap().to_vec(),
        vec![0.0; 3]
    );
    assert_ne!(model.0.0.weight.to_vec(), initial()[..6].to_vec());
}

#[test]
fn learning_rate_can_be_adjusted_between_steps() {
    let mut model = model_from(&initial());
    let mut opt = Descent::new(0.1).setup(&model);
    opt.rule.eta = 0.0;
    opt.update(&mut model, &model_from(&gradient(1)));
    assert_eq!(params_of(&model), initial());
    opt.rule.eta = 1.0;
    opt.update(&mut model, &model_from(&gradient(1)));
    let expected: Vec<f64> = initial()
        .iter()
        .zip(gradient(1))
        .map(|(p, g)| p - g)
        .collect();
    assert_eq!(params_of(&model), expected);
}

#[test]
fn f32_adam_follows_the_f64_reference() {
    let mut model: Dense<2, 2, Identity, f32> = Dense::new(identity);
    model.weight = Matrix::from_array([[0.5, -1.0], [2.0, 0.25]]);
    model.bias = Some(Vector::from_array([0.1, -0.2]));
    let mut grad = model.clone();
    grad.weight = Matrix::from_array([[1.0, -2.0], [0.5, 3.0]]);
    grad.bias = Some(Vector::from_array([-1.0, 0.25]));
    let mut opt = Adam::new(0.1).setup(&model);

    let mut p: Vec<f64> = [0.5, 2.0, -1.0, 0.25, 0.1, -0.2].to_vec();
    let g: Vec<f64> = [1.0, 0.5, -2.0, 3.0, -1.0, 0.25].to_vec();
    let (mut m, mut v) = (vec![0.0; 6], vec![0.0; 6]);
    for t in 1..=3 {
        opt.update(&mut model, &grad);
        for i in 0..6 {
            p[i] -= adam_step((&mut m[i], &mut v[i]), g[i], t, (0.1, 0.9, 0.999, 1e-8));
        }
    }
    let actual: Vec<f64> = [model.weight.to_vec(), model.bias.unwrap().to_vec()]
        .concat()
        .into_iter()
        .map(f64::from)
        .collect();
    for (a, e) in actual.iter().zip(&p) {
        assert!((a - e).abs() < 1e-5, "{actual:?} vs {p:?}");
    }
}

/// A regression problem whose loss is quadratic in the parameters: fit
/// `y = A·x + b` with a linear `Dense`.
fn regression() -> (Batch<3, f64>, Batch<2, f64>) {
    let x = Batch::<3, f64>::from_fn((Const, 16), |[i, j]| ((i * 5 + j * 3) as f64).cos());
    let a = Matrix::<2, 3, f64>::from_array([[1.0, -2.0, 0.5], [0.0, 1.5, -1.0]]);
    let y = Batch::<2, f64>::from_fn((Const, 16), |[i, j]| {
        (0..3).map(|k| a[[i, k]] * x[[k, j]]).sum::<f64>() + [0.5, -0.25][i]
    });
    (x, y)
}

/// Steps `rule` on the regression and returns the loss before and after.
fn fit<R: Rule>(rule: R, steps: usize) -> (f64, f64) {
    let (x, y) = regression();
    let mut layer: Dense<3, 2, Identity, f64> = Dense::new(identity).init(zeros);
    let mut opt = rule.setup(&layer);
    let before = mse(layer.forward(&x), &y).item();
    for _ in 0..steps {
        let grad = reverse_gradient(|m| mse(m.forward(&x), &y), model(&layer));
        opt.update(&mut layer, &grad);
    }
    (before, mse(layer.forward(&x), &y).item())
}

#[test]
fn every_rule_decreases_a_quadratic_loss() {
    let cases = [
        ("Descent", fit(Descent::new(0.2), 300)),
        ("Momentum", fit(Momentum::new(0.05, 0.9), 300)),
        ("Nesterov", fit(Nesterov::new(0.05, 0.9), 300)),
        ("Adam", fit(Adam::new(0.05), 300)),
        ("AdamW", fit(AdamW::new(0.05, (0.9, 0.999), 1e-4), 300)),
    ];
    for (name, (before, after)) in cases {
        assert!(
            before > 0.5,
            "{name}: the problem starts too easy ({before})"
        );
        assert!(after < before / 100.0, "{name}: loss {before} -> {after}");
    }
}

#[test]
fn train_reduces_the_loss_over_epochs() {
    let (x, y) = regression();
    // Four batches of four samples.
    let batches: Vec<(Batch<3, f64>, Batch<2, f64>)> = (0..4)
        .map(|b| {
            let cols = 4 * b..4 * b + 4;
            let xs: Vec<f64> = cols.clone().flat_map(|j| x.column(j).to_vec()).collect();
            let ys: Vec<f64> = cols.flat_map(|j| y.column(j).to_vec()).collect();
            (
                Batch::from_slice((Const, 4), &xs).unwrap(),
                Batch::from_slice((Const, 4), &ys).unwrap(),
            )
        })
        .collect();
    let mut model: Dense<3, 2, Identity, f64> = Dense::new(identity).init(zeros);
    let mut opt = Adam::new(0.05).setup(&model);

    let data = batches.iter().map(|(x, y)| (x, y));
    let loss = |m: TracedModel<Dense<3, 2, Identity, f64>>, x, y| mse(m.forward(x), y);
    let first = train(&mut model, &mut opt, data.clone(), loss).unwrap();
    let mut reports: Vec<EpochReport<f64>> = Vec::new();
    let last = train_epochs(&mut model, &mut opt, 100, data, loss, |r, _| {
        reports.push(r)
    })
    .unwrap();

    assert_eq!(reports.len(), 100);
    assert_eq!(reports[0].epoch, 1);
    assert_eq!(reports[99].epoch, 100);
    assert!(reports.iter().all(|r| r.batches == 4));
    assert_eq!(reports[99].loss, last);
    assert!(last < first / 100.0, "mean loss {first} -> {last}");
    assert!(mse(model.forward(&x), &y).item() < first / 100.0);
}

#[test]
fn train_returns_the_mean_of_the_batch_losses() {
    let (x, y) = regression();
    let model: Dense<3, 2, Identity, f64> = Dense::new(identity).init(zeros);
    // With a zero learning rate the model never changes, so each batch's
    // loss is the loss of the initial model.
    let mut frozen = model.clone();
    let mut opt = Descent::new(0.0).setup(&frozen);
    let y2 = &y * 2.0;
    let loss = |m: TracedModel<Dense<3, 2, Identity, f64>>, x, y| mse(m.forward(x), y);
    let mean = train(&mut frozen, &mut opt, [(&x, &y), (&x, &y2)], loss).unwrap();
    let expected = (mse(model.forward(&x), &y).item() + mse(model.forward(&x), &y2).item()) / 2.0;
    assert!((mean - expected).abs() < 1e-12, "{mean} vs {expected}");

    let none: [(&Batch<3, f64>, &Batch<2, f64>); 0] = [];
    assert!(train(&mut frozen, &mut opt, none, loss).unwrap().is_nan());
}

#[test]
fn train_works_through_a_chain() {
    let (x, y) = regression();
    let hidden: Dense<3, 8, Tanh, f64> = Dense::new(tanh);
    let out: Dense<8, 2, Identity, f64> = Dense::new(identity);
    let mut model = Chain((hidden, out));
    let mut opt = Adam::new(0.02).setup(&model);
    let first = train(&mut model, &mut opt, [(&x, &y)], |m, x, y| {
        mse(m.forward(x), y)
    })
    .unwrap();
    let last = train_epochs(
        &mut model,
        &mut opt,
        300,
        [(&x, &y)],
        |m, x, y| mse(m.forward(x), y),
        |_, _| {},
    )
    .unwrap();
    assert!(last < first / 20.0, "{first} -> {last}");
}

#[test]
fn train_takes_any_loss_a_penalty_included() {
    let (x, y) = regression();
    let start: Dense<3, 2, Identity, f64> = Dense::new(identity).init(zeros);
    // Ridge regression: the penalty pulls the weights toward zero, so the
    // trained weights are smaller than without it.
    let fit = |penalty: f64| {
        let mut m = start.clone();
        let mut opt = Adam::new(0.05).setup(&m);
        train_epochs(
            &mut m,
            &mut opt,
            400,
            [(&x, &y)],
            |m, x, y| mse(m.forward(x), y) + m.weight.clone().square().sum() * penalty,
            |_, _| {},
        )
        .unwrap();
        m.weight.iter().map(|w| w * w).sum::<f64>()
    };
    let (plain, ridge) = (fit(0.0), fit(0.5));
    assert!(
        ridge < 0.7 * plain,
        "|W|² {plain} without, {ridge} with the penalty"
    );
}
