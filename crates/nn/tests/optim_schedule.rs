//! Learning-rate schedules against their formulas, and a schedule driving
//! a running optimiser.

use std::f64::consts::PI;
use typeflux_core::prelude::*;
use typeflux_nn::optim::schedule::{Exp, Schedule, Step, WarmupCosine};
use typeflux_nn::optim::{Adam, Rule};

#[test]
fn step_decay_drops_by_its_factor_every_step_steps() {
    let s = Step::new(0.37, 0.61, 4);
    for t in 1..=30 {
        let drops = (t - 1) / 4;
        let expected = 0.37 * 0.61f64.powi(drops as i32);
        assert_eq!(s.at(t), expected, "t = {t}");
    }
    assert_eq!(s.at(4), 0.37);
    assert_eq!(s.at(5), 0.37 * 0.61);
}

#[test]
fn exponential_decay_multiplies_at_each_step() {
    let s = Exp::new(0.21, 0.93);
    let mut expected = 0.21;
    for t in 1..=50 {
        assert!((s.at(t) - expected).abs() <= 1e-13 * expected, "t = {t}");
        expected *= 0.93;
    }
}

#[test]
fn warmup_cosine_rises_then_follows_half_a_cosine() {
    let (peak, floor, warmup, total) = (0.8, 0.05, 7, 31);
    let s = WarmupCosine::new(peak, floor, warmup, total);
    for t in 1..=40 {
        let expected = if t <= warmup {
            peak * t as f64 / warmup as f64
        } else if t >= total {
            floor
        } else {
            let x = (t - warmup) as f64 / (total - warmup) as f64;
            floor + 0.5 * (peak - floor) * (1.0 + (PI * x).cos())
        };
        assert!(
            (s.at(t) - expected).abs() < 1e-15,
            "t = {t}: {} vs {expected}",
            s.at(t)
        );
    }
    // It rises to the peak and falls from it without a jump.
    let values: Vec<f64> = s.iter().take(total).collect();
    let peak_at = values
        .iter()
        .cloned()
        .enumerate()
        .fold((0, 0.0), |a, (i, v)| if v > a.1 { (i, v) } else { a });
    assert_eq!(peak_at, (warmup - 1, peak));
    assert!(values.windows(2).take(warmup - 1).all(|w| w[0] < w[1]));
    assert!(values.windows(2).skip(warmup - 1).all(|w| w[0] > w[1]));
}

#[test]
#[should_panic(expected = "must exceed the warm-up")]
fn a_cosine_that_ends_before_its_warm_up_is_refused() {
    WarmupCosine::new(1.0, 0.0, 10, 10);
}

#[test]
fn a_closure_is_a_schedule() {
    let inverse = |t: usize| 1.0 / t as f64;
    let values: Vec<f64> = inverse.iter().take(4).collect();
    assert_eq!(values, [1.0, 0.5, 1.0 / 3.0, 0.25]);
}

#[test]
fn a_schedule_drives_a_running_optimiser() {
    // Adam's first step moves each coordinate by almost exactly η against
    // the gradient's sign, so the schedule's value shows in the step.
    let schedule = Step::new(0.1, 0.5, 2);
    let mut x = Vector::<2, f64>::from_array([5.0, -5.0]);
    let mut opt = Adam::new(1.0).setup(&x);
    let mut steps = Vec::new();
    for eta in schedule.iter().take(6) {
        opt.adjust(eta);
        let before = x[0];
        let grad = &x * 2.0;
        opt.update(&mut x, &grad);
        steps.push(before - x[0]);
    }
    // With a gradient of one sign, Adam's step is η times a factor near 1.
    for (t, step) in steps.iter().enumerate() {
        let ratio = step / schedule.at(t + 1);
        assert!((0.9..1.1).contains(&ratio), "step {}: {step}", t + 1);
    }
    assert_eq!(opt.rule.eta, 0.1 * 0.5 * 0.5);
}
