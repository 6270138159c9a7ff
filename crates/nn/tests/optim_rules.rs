//! Every rule against its published update written out by hand, one
//! parameter at a time in `f64`, for several steps of irregular
//! gradients; and Optimisers.jl's convergence test: each rule brings a
//! vector to its target from afar within a bounded number of steps.

use typeflux_ad::reverse::{gradient, model};
use typeflux_core::prelude::*;
use typeflux_nn::optim::{
    AMSGrad, AdaBelief, AdaDelta, AdaGrad, AdaMax, Adam, AdamW, Descent, Lion, Momentum, NAdam,
    Nesterov, OAdam, Optimiser, RAdam, RMSProp, Rprop, Rule,
};
use typeflux_nn::prelude::*;

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
    (0..PARAMS)
        .map(|i| 0.37 * i as f64 - 1.13 + 0.01 * (i * i) as f64)
        .collect()
}

/// A different gradient at each step, of both signs and many sizes, with
/// a zero at parameter 4 of step 2 (where `sign` is 0).
fn grad_at(step: usize) -> Vec<f64> {
    (0..PARAMS)
        .map(|i| {
            if (i, step) == (4, 2) {
                0.0
            } else {
                ((i * 7 + step * 3) as f64 * 0.91).sin() * (0.3 + i as f64 / 3.7)
            }
        })
        .collect()
}

/// Runs `rule` for `steps` steps and compares each with `reference`, which
/// updates flat parameters given the gradient and the step number (from 1).
#[track_caller]
fn check<R: Rule>(rule: R, steps: usize, mut reference: impl FnMut(&mut [f64], &[f64], usize)) {
    let mut net = model_from(&initial());
    let mut opt: Optimiser<R, Model> = rule.setup(&net);
    let mut expected = initial();
    for step in 1..=steps {
        let before = params_of(&net);
        let g = grad_at(step);
        opt.update(&mut net, &model_from(&g));
        reference(&mut expected, &g, step);
        let actual = params_of(&net);
        for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
            assert!(
                (a - e).abs() <= 1e-12 * e.abs().max(1.0),
                "step {step}, parameter {i}: {a} vs reference {e}"
            );
        }
        assert_ne!(actual, before, "step {step} changed nothing");
    }
}

/// `βᵗ` for step `t`.
fn pow(beta: f64, t: usize) -> f64 {
    beta.powi(t as i32)
}

#[test]
fn rmsprop_matches_its_formula() {
    let (eta, rho, eps) = (0.0137, 0.83, 3e-3);
    let mut s = [0.0; PARAMS];
    check(RMSProp::new(eta).rho(rho).epsilon(eps), 4, |p, g, _| {
        for i in 0..PARAMS {
            s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i];
            p[i] -= eta * g[i] / (s[i].sqrt() + eps);
        }
    });
}

#[test]
fn centred_rmsprop_matches_its_formula() {
    let (eta, rho, eps) = (0.0137, 0.83, 3e-3);
    let (mut s, mut c) = ([0.0; PARAMS], [0.0; PARAMS]);
    let rule = RMSProp::new(eta).rho(rho).epsilon(eps).centred(true);
    check(rule, 4, |p, g, _| {
        for i in 0..PARAMS {
            s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i];
            c[i] = rho * c[i] + (1.0 - rho) * g[i];
            p[i] -= eta * g[i] / ((s[i] - c[i] * c[i]).sqrt() + eps);
        }
    });
}

#[test]
fn adagrad_matches_its_formula() {
    let (eta, eps) = (0.071, 2e-3);
    let mut s = [eps; PARAMS];
    check(AdaGrad::new(eta).epsilon(eps), 4, |p, g, _| {
        for i in 0..PARAMS {
            s[i] += g[i] * g[i];
            p[i] -= eta * g[i] / (s[i].sqrt() + eps);
        }
    });
}

#[test]
fn adamax_matches_its_formula() {
    let (eta, b1, b2, eps) = (0.0137, 0.83, 0.947, 3e-3);
    let (mut m, mut u) = ([0.0; PARAMS], [0.0; PARAMS]);
    check(
        AdaMax::new(eta).beta((b1, b2)).epsilon(eps),
        4,
        |p, g, t| {
            for i in 0..PARAMS {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                u[i] = (b2 * u[i]).max(g[i].abs());
                p[i] -= eta / (1.0 - pow(b1, t)) * m[i] / (u[i] + eps);
            }
        },
    );
}

#[test]
fn adadelta_matches_its_formula() {
    // A large ϵ, so that the steps are not tiny.
    let (rho, eps) = (0.83, 0.02);
    let (mut s, mut d) = ([0.0; PARAMS], [0.0; PARAMS]);
    check(AdaDelta::new(rho).epsilon(eps), 4, |p, g, _| {
        for i in 0..PARAMS {
            s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i];
            let delta = g[i] * (d[i] + eps).sqrt() / (s[i] + eps).sqrt();
            d[i] = rho * d[i] + (1.0 - rho) * delta * delta;
            p[i] -= delta;
        }
    });
}

#[test]
fn amsgrad_matches_its_formula() {
    let (eta, b1, b2, eps) = (0.0137, 0.83, 0.947, 3e-3);
    let (mut m, mut v, mut v_max) = ([eps; PARAMS], [eps; PARAMS], [eps; PARAMS]);
    check(
        AMSGrad::new(eta).beta((b1, b2)).epsilon(eps),
        5,
        |p, g, _| {
            for i in 0..PARAMS {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                v_max[i] = v_max[i].max(v[i]);
                p[i] -= eta * m[i] / (v_max[i].sqrt() + eps);
            }
        },
    );
}

#[test]
fn nadam_matches_its_formula() {
    let (eta, b1, b2, eps) = (0.0137, 0.83, 0.947, 3e-3);
    let (mut m, mut v) = ([0.0; PARAMS], [0.0; PARAMS]);
    check(NAdam::new(eta).beta((b1, b2)).epsilon(eps), 4, |p, g, t| {
        for i in 0..PARAMS {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let ahead = b1 * m[i] / (1.0 - pow(b1, t + 1)) + (1.0 - b1) * g[i] / (1.0 - pow(b1, t));
            p[i] -= eta * ahead / ((b2 * v[i] / (1.0 - pow(b2, t))).sqrt() + eps);
        }
    });
}

#[test]
fn radam_matches_its_formula_on_both_branches() {
    let (eta, b1, b2, eps) = (0.0137, 0.83, 0.947, 3e-3);
    let (mut m, mut v) = ([0.0; PARAMS], [0.0; PARAMS]);
    let rho_inf = 2.0 / (1.0 - b2) - 1.0;
    let mut rectified = Vec::new();
    check(RAdam::new(eta).beta((b1, b2)).epsilon(eps), 8, |p, g, t| {
        let rho = rho_inf - 2.0 * t as f64 * pow(b2, t) / (1.0 - pow(b2, t));
        rectified.push(rho > 4.0);
        for i in 0..PARAMS {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let m_hat = m[i] / (1.0 - pow(b1, t));
            let v_hat = v[i] / (1.0 - pow(b2, t));
            p[i] -= if rho > 4.0 {
                let r = ((rho - 4.0) * (rho - 2.0) * rho_inf
                    / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
                    .sqrt();
                eta * r * m_hat / (v_hat.sqrt() + eps)
            } else {
                eta * m_hat
            };
        }
    });
    assert_eq!(rectified.iter().filter(|&&r| r).count(), 4, "{rectified:?}");
}

#[test]
fn oadam_matches_its_formula() {
    let (eta, b1, b2, eps) = (0.0137, 0.53, 0.87, 3e-3);
    let (mut m, mut v, mut before) = ([0.0; PARAMS], [0.0; PARAMS], [0.0; PARAMS]);
    check(OAdam::new(eta).beta((b1, b2)).epsilon(eps), 4, |p, g, t| {
        for i in 0..PARAMS {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let m_hat = m[i] / (1.0 - pow(b1, t));
            let v_hat = v[i] / (1.0 - pow(b2, t));
            let a = eta * m_hat / (v_hat.sqrt() + eps);
            p[i] -= 2.0 * a - before[i];
            before[i] = a;
        }
    });
}

#[test]
fn adabelief_matches_its_formula() {
    let (eta, b1, b2, eps) = (0.0137, 0.83, 0.947, 3e-3);
    let (mut m, mut s) = ([0.0; PARAMS], [0.0; PARAMS]);
    check(
        AdaBelief::new(eta).beta((b1, b2)).epsilon(eps),
        4,
        |p, g, t| {
            for i in 0..PARAMS {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                s[i] = b2 * s[i] + (1.0 - b2) * (g[i] - m[i]).powi(2) + eps;
                let m_hat = m[i] / (1.0 - pow(b1, t));
                let s_hat = s[i] / (1.0 - pow(b2, t));
                p[i] -= eta * m_hat / (s_hat.sqrt() + eps);
            }
        },
    );
}

/// Julia's `sign`: 0 at 0.
fn sign(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x.signum() }
}

#[test]
fn lion_matches_the_paper() {
    let (eta, b1, b2) = (0.0137, 0.83, 0.947);
    let mut m = [0.0; PARAMS];
    check(Lion::new(eta).beta((b1, b2)), 5, |p, g, _| {
        for i in 0..PARAMS {
            let c = b1 * m[i] + (1.0 - b1) * g[i];
            p[i] -= eta * sign(c);
            m[i] = b2 * m[i] + (1.0 - b2) * g[i];
        }
    });
}

#[test]
fn rprop_matches_its_formula_and_meets_both_bounds() {
    let (eta, ell, gamma) = (0.05, (0.4, 1.7), (0.03, 0.06));
    let (mut before, mut size) = ([0.0; PARAMS], [eta; PARAMS]);
    let (mut capped, mut floored) = (0, 0);
    let rule = Rprop::new(eta).ell(ell).gamma(gamma);
    check(rule, 7, |p, g, _| {
        for i in 0..PARAMS {
            let agreement = before[i] * g[i];
            let mut gi = g[i];
            if agreement > 0.0 {
                size[i] = (size[i] * ell.1).min(gamma.1);
                capped += usize::from(size[i] == gamma.1);
            } else if agreement < 0.0 {
                size[i] = (size[i] * ell.0).max(gamma.0);
                floored += usize::from(size[i] == gamma.0);
                gi = 0.0;
            }
            p[i] -= size[i] * sign(gi);
            before[i] = gi;
        }
    });
    assert!(
        capped > 0 && floored > 0,
        "bounds met {capped} and {floored} times"
    );
}

#[test]
fn adamw_uncoupled_decays_by_lambda_alone() {
    let (eta, b1, b2, eps, lambda) = (0.0137, 0.83, 0.947, 3e-3, 0.21);
    let (mut m, mut v) = ([0.0; PARAMS], [0.0; PARAMS]);
    let rule = AdamW::new(eta, (b1, b2), lambda).epsilon(eps).couple(false);
    check(rule, 4, |p, g, t| {
        for i in 0..PARAMS {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let m_hat = m[i] / (1.0 - pow(b1, t));
            let v_hat = v[i] / (1.0 - pow(b2, t));
            p[i] -= eta * m_hat / (v_hat.sqrt() + eps) + lambda * p[i];
        }
    });
}

#[test]
fn defaults_are_optimisers_jl() {
    assert_eq!(
        RMSProp::default(),
        RMSProp::new(0.001).rho(0.9).epsilon(1e-8)
    );
    assert!(!RMSProp::default().centred);
    assert_eq!(
        (AdaGrad::default().eta, AdaGrad::default().epsilon),
        (0.1, 1e-8)
    );
    assert_eq!(
        (AdaDelta::default().rho, AdaDelta::default().epsilon),
        (0.9, 1e-8)
    );
    for (eta, beta, epsilon) in [
        (
            AdaMax::default().eta,
            AdaMax::default().beta,
            AdaMax::default().epsilon,
        ),
        (
            AMSGrad::default().eta,
            AMSGrad::default().beta,
            AMSGrad::default().epsilon,
        ),
        (
            NAdam::default().eta,
            NAdam::default().beta,
            NAdam::default().epsilon,
        ),
        (
            RAdam::default().eta,
            RAdam::default().beta,
            RAdam::default().epsilon,
        ),
    ] {
        assert_eq!((eta, beta, epsilon), (0.001, (0.9, 0.999), 1e-8));
    }
    let oadam = OAdam::default();
    assert_eq!(
        (oadam.eta, oadam.beta, oadam.epsilon),
        (0.001, (0.5, 0.9), 1e-8)
    );
    let belief = AdaBelief::default();
    assert_eq!(
        (belief.eta, belief.beta, belief.epsilon),
        (0.001, (0.9, 0.999), 1e-16)
    );
    assert_eq!(
        (Lion::default().eta, Lion::default().beta),
        (0.001, (0.9, 0.999))
    );
    let rprop = Rprop::default();
    assert_eq!(
        (rprop.eta, rprop.ell, rprop.gamma),
        (0.001, (0.5, 1.2), (1e-6, 50.0))
    );
    assert!(AdamW::default().couple);
}

#[test]
fn f32_rules_follow_their_f64_selves() {
    fn run<R: Rule + Copy>(rule: R) -> (Vec<f64>, Vec<f64>) {
        let mut narrow = Vector::<4, f32>::from_array([0.5, -1.25, 2.0, 0.0]);
        let mut wide = narrow.map(f64::from);
        let (mut a, mut b) = (rule.setup(&narrow), rule.setup(&wide));
        for t in 1..=3 {
            let g = Vector::<4, f64>::from_fn(Default::default(), |[i, _]| {
                ((i + 2 * t) as f64 * 1.3).cos()
            });
            a.update(&mut narrow, &g.map(|x| x as f32));
            b.update(&mut wide, &g);
        }
        (
            narrow.to_vec().into_iter().map(f64::from).collect(),
            wide.to_vec(),
        )
    }
    let pairs = [
        run(RMSProp::new(0.01).centred(true)),
        run(AdaMax::new(0.01)),
        run(AMSGrad::new(0.01)),
        run(NAdam::new(0.01)),
        run(AdaBelief::new(0.01).epsilon(1e-8)),
        run(Rprop::new(0.01)),
        run(Lion::new(0.01)),
    ];
    for (narrow, wide) in pairs {
        for (a, b) in narrow.iter().zip(&wide) {
            assert!((a - b).abs() < 1e-5, "{narrow:?} vs {wide:?}");
        }
    }
}

/// Optimisers.jl's convergence test: from a start far away, `rule`
/// minimises `Σ (x - target)²` for `steps` steps. Returns the largest
/// distance left to the target in any coordinate.
fn converge<R: Rule>(rule: R, steps: usize) -> f64 {
    let target = Vector::<5, f64>::from_array([1.7, -0.3, 0.05, -2.2, 0.9]);
    let mut x = Vector::<5, f64>::from_array([-0.4, 1.3, 2.1, 0.6, -1.05]);
    let mut opt = rule.setup(&x);
    for _ in 0..steps {
        let g = gradient(|x| (x - &target).square().sum(), model(&x));
        opt.update(&mut x, &g);
    }
    (&x - &target)
        .abs()
        .to_vec()
        .into_iter()
        .fold(0.0, f64::max)
}

#[test]
fn every_rule_reaches_the_target() {
    let cases = [
        ("Descent", converge(Descent::new(0.1), 200), 1e-9),
        ("Momentum", converge(Momentum::default(), 1000), 1e-9),
        ("Nesterov", converge(Nesterov::new(0.01, 0.9), 1000), 1e-9),
        ("RMSProp", converge(RMSProp::new(0.01), 1000), 1e-6),
        (
            "centred RMSProp",
            converge(RMSProp::new(0.01).centred(true), 1000),
            1e-6,
        ),
        ("Adam", converge(Adam::new(0.05), 1000), 1e-6),
        (
            "AdamW",
            converge(AdamW::new(0.05, (0.9, 0.999), 1e-4), 1000),
            1e-3,
        ),
        ("RAdam", converge(RAdam::new(0.05), 1000), 1e-6),
        ("AdaMax", converge(AdaMax::new(0.05), 1000), 1e-6),
        ("OAdam", converge(OAdam::new(0.05), 1000), 1e-6),
        ("AdaGrad", converge(AdaGrad::new(0.5), 1000), 1e-6),
        (
            "AdaDelta",
            converge(AdaDelta::new(0.9).epsilon(1e-3), 2000),
            1e-6,
        ),
        ("AMSGrad", converge(AMSGrad::new(0.05), 1000), 1e-6),
        ("NAdam", converge(NAdam::new(0.05), 1000), 1e-6),
        ("AdaBelief", converge(AdaBelief::new(0.05), 1000), 1e-6),
        ("Lion", converge(Lion::new(0.01), 1000), 2e-2),
        ("Rprop", converge(Rprop::new(0.01), 500), 1e-5),
    ];
    for (name, left, tolerance) in cases {
        assert!(left < tolerance, "{name}: {left} from the target");
    }
}
