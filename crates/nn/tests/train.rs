//! Training that notices trouble: a loss that is not finite stops `train`
//! and `train_epochs` with the batch (and epoch) named and that batch's
//! update skipped; the per-epoch callback sees the report and the model and
//! may stop training; early stopping follows Flux's `early_stopping`.

use std::ops::ControlFlow;
use typeflux_core::prelude::*;
use typeflux_nn::optim::{Adam, Descent, Rule};
use typeflux_nn::prelude::*;
use typeflux_nn::train::{EarlyStopping, EpochReport, TrainError, train, train_epochs};

type Model = Dense<2, 1, Identity, f64>;

/// The model's parameters, to compare models.
fn params(m: &Model) -> (Matrix<1, 2, f64>, Option<Vector<1, f64>>) {
    (m.weight.clone(), m.bias.clone())
}

fn start() -> Model {
    Dense::from_parts(
        Matrix::from_array([[0.3, -0.2]]),
        Vector::from_array([0.1]),
        identity,
    )
}

/// A batch of four samples of `y = x₀ - 2x₁ + ½`, its targets shifted by
/// `shift` (a NaN or an infinity poisons them).
fn batch(seed: usize, shift: f64) -> (Batch<2, f64>, Batch<1, f64>) {
    let x = Batch::<2, f64>::from_fn((Const, 4), |[i, j]| ((seed * 7 + i * 3 + j) as f64).sin());
    let y = Batch::<1, f64>::from_fn((Const, 4), |[_, j]| {
        x[[0, j]] - 2.0 * x[[1, j]] + 0.5 + if j == 2 { shift } else { 0.0 }
    });
    (x, y)
}

#[test]
fn a_nan_loss_stops_train_naming_the_batch_and_skips_its_update() {
    let data = [batch(0, 0.0), batch(1, f64::NAN), batch(2, 0.0)];
    let batches = || data.iter().map(|(x, y)| (x, y));

    let mut model = start();
    let mut opt = Adam::new(0.05).setup(&model);
    let err = train(&mut model, &mut opt, batches(), |m, x, y| {
        mse(m.forward(x), y)
    })
    .unwrap_err();
    assert_eq!((err.epoch, err.batch), (None, 1));
    assert!(err.loss.is_nan());
    assert!(model.weight.iter().all(|w| w.is_finite()));

    // The model holds the first batch's update and nothing else ...
    let mut reference = start();
    let mut reference_opt = Adam::new(0.05).setup(&reference);
    train(
        &mut reference,
        &mut reference_opt,
        batches().take(1),
        |m, x, y| mse(m.forward(x), y),
    )
    .unwrap();
    assert_eq!(params(&model), params(&reference));
    assert_ne!(params(&model), params(&start()));
    // ... and so does the optimiser's state: the next steps agree too.
    for opt_and_model in [(&mut opt, &mut model), (&mut reference_opt, &mut reference)] {
        let (opt, model) = opt_and_model;
        train(model, opt, batches().skip(2), |m, x, y| {
            mse(m.forward(x), y)
        })
        .unwrap();
    }
    assert_eq!(params(&model), params(&reference));
}

#[test]
fn an_infinite_loss_stops_train_too() {
    let data = [batch(0, f64::INFINITY), batch(1, 0.0)];
    let mut model = start();
    let mut opt = Descent::new(0.1).setup(&model);
    let err = train(
        &mut model,
        &mut opt,
        data.iter().map(|(x, y)| (x, y)),
        |m, x, y| mse(m.forward(x), y),
    )
    .unwrap_err();
    assert_eq!(
        err,
        TrainError {
            epoch: None,
            batch: 0,
            loss: f64::INFINITY
        }
    );
    assert_eq!(params(&model), params(&start()));
    assert_eq!(
        err.to_string(),
        "the loss is inf on batch 0: training stopped before its update"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert!(boxed.to_string().starts_with("the loss is inf"));
}

#[test]
fn train_epochs_names_the_epoch_and_reports_only_finished_epochs() {
    let data = [batch(0, 0.0), batch(1, 0.0)];
    let mut model = start();
    let mut opt = Descent::new(0.05).setup(&model);
    // The loss turns NaN on its 8th call: epoch 4, batch 1.
    let mut calls = 0;
    let mut reports = Vec::new();
    let err = train_epochs(
        &mut model,
        &mut opt,
        10,
        data.iter().map(|(x, y)| (x, y)),
        |m, x, y| {
            calls += 1;
            mse(m.forward(x), y) * if calls == 8 { f64::NAN } else { 1.0 }
        },
        |report, _| reports.push(report),
    )
    .unwrap_err();
    assert_eq!((err.epoch, err.batch), (Some(4), 1));
    assert!(err.loss.is_nan());
    assert_eq!(
        err.to_string(),
        "the loss is NaN on batch 1 of epoch 4: training stopped before its update"
    );
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|r| r.batches == 2));
    assert!(model.weight.iter().all(|w| w.is_finite()));
}

#[test]
fn the_callback_sees_the_model_and_can_stop_training() {
    let data = [batch(0, 0.0), batch(1, 0.0), batch(2, 0.0)];
    let (x_val, y_val) = batch(3, 0.0);
    let mut model = start();
    let mut opt = Adam::new(0.05).setup(&model);
    let mut reports: Vec<EpochReport<f64>> = Vec::new();
    let mut validation = Vec::new();
    let mut seen = None;
    let last = train_epochs(
        &mut model,
        &mut opt,
        50,
        data.iter().map(|(x, y)| (x, y)),
        |m, x, y| mse(m.forward(x), y),
        |report, model| {
            reports.push(report);
            validation.push(mse(model.forward(&x_val), &y_val).item());
            seen = Some(params(model));
            if report.epoch == 7 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .unwrap();
    assert_eq!(reports.len(), 7);
    assert_eq!(reports[6].epoch, 7);
    assert_eq!(last, reports[6].loss);
    assert_eq!(
        seen,
        Some(params(&model)),
        "the callback saw the trained model"
    );
    assert!(validation[6] < validation[0] / 2.0, "{validation:?}");

    // With no epochs there is nothing to report, and the loss is NaN.
    let mut called = false;
    let none = train_epochs(
        &mut model,
        &mut opt,
        0,
        data.iter().map(|(x, y)| (x, y)),
        |m, x, y| mse(m.forward(x), y),
        |_, _| called = true,
    )
    .unwrap();
    assert!(none.is_nan() && !called);
}

#[test]
fn early_stopping_stops_a_training_that_no_longer_improves() {
    // A learning rate of 0: the validation loss never changes, so after the
    // first epoch (an improvement on nothing) every epoch fails to improve
    // by `min_delta`, and patience 3 stops after epoch 4.
    let data = [batch(0, 0.0)];
    let (x_val, y_val) = batch(1, 0.0);
    let mut model = start();
    let mut opt = Descent::new(0.0).setup(&model);
    let mut stop = EarlyStopping::new(3).min_delta(1e-9);
    let mut epochs = 0;
    train_epochs(
        &mut model,
        &mut opt,
        100,
        data.iter().map(|(x, y)| (x, y)),
        |m, x, y| mse(m.forward(x), y),
        |report, model| {
            epochs = report.epoch;
            stop.update(mse(model.forward(&x_val), &y_val).item())
        },
    )
    .unwrap();
    assert_eq!(epochs, 4);
    assert_eq!(stop.waited(), 3);
    assert_eq!(
        stop.best(),
        Some(mse(start().forward(&x_val), &y_val).item())
    );
}

/// The calls of `stop.update` on `scores` after which it says to stop.
fn stops(mut stop: EarlyStopping, scores: &[f64]) -> Vec<usize> {
    scores
        .iter()
        .enumerate()
        .filter(|&(_, &s)| stop.update(s).is_break())
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn early_stopping_follows_flux() {
    // Flux's docstring: a loss that only grows, `init_score = 0`, delay 3:
    // `es()` is true on the third call.
    let growing: Vec<f64> = (1..=6).map(f64::from).collect();
    assert_eq!(
        stops(EarlyStopping::new(3).init_score(0.0), &growing),
        [2, 3, 4, 5]
    );
    // Without an initial score the first one is the best so far.
    assert_eq!(stops(EarlyStopping::new(3), &growing), [3, 4, 5]);

    // An improvement resets the count; a score no better than the best adds to it.
    let scores = [5.0, 4.0, 4.5, 4.2, 3.0, 3.5, 3.1, 3.2];
    assert_eq!(stops(EarlyStopping::new(2), &scores), [3, 6, 7]);
    assert_eq!(stops(EarlyStopping::new(3), &scores), [7]);

    // min_delta: 4.0 → 3.95 is too small to count, yet becomes the best,
    // as in Flux, so 3.9 (0.05 below it) does not count either.
    let mut stop = EarlyStopping::new(5).min_delta(0.1);
    for (score, waited) in [(4.0, 0), (3.95, 1), (3.9, 2), (3.7, 0), (3.75, 1)] {
        assert!(stop.update(score).is_continue());
        assert_eq!(stop.waited(), waited, "after {score}");
    }
    assert_eq!(stop.best(), Some(3.7));

    // Higher is better.
    let accuracy = [0.5, 0.6, 0.55, 0.58, 0.7, 0.69, 0.7];
    assert_eq!(stops(EarlyStopping::new(2).maximise(), &accuracy), [3]);
    let mut stop = EarlyStopping::new(2).maximise();
    for a in accuracy {
        let _ = stop.update(a);
    }
    assert_eq!((stop.best(), stop.waited()), (Some(0.7), 0));

    // f32 scores, and a NaN, which never improves (in Flux it would
    // become the best and end all stopping).
    let mut stop = EarlyStopping::new(2);
    assert!(stop.update(1.0f32).is_continue());
    assert!(stop.update(f32::NAN).is_continue());
    assert!(stop.update(f32::NAN).is_break());
    assert_eq!(stop.best(), Some(1.0));
    assert!(EarlyStopping::new(1).update(f64::NAN).is_break());

    // Patience 0 stops at once, as Flux's `patience(f, 0)`.
    assert!(EarlyStopping::new(0).update(1.0).is_break());
}

#[test]
fn train_errors_and_reports_can_be_matched_by_value() {
    let report = EpochReport {
        epoch: 2,
        loss: 0.5f32,
        batches: 3,
    };
    assert_eq!(report.loss, 0.5);
    let err: TrainError<f32> = TrainError {
        epoch: Some(2),
        batch: 0,
        loss: f32::NEG_INFINITY,
    };
    assert_eq!(
        err.to_string(),
        "the loss is -inf on batch 0 of epoch 2: training stopped before its update"
    );
}
