//! Training loops: Flux's `train!`, one epoch or several, which stop at a
//! loss that is not finite; a report after each epoch; early stopping.

use crate::optim::{Optimiser, Rule};
use core::fmt;
use core::ops::ControlFlow;
use num_traits::Float;
use typeflux_ad::reverse::{Backward, Reverse, Traced, value_and_gradient};
use typeflux_core::functor::{Functor, Trace};
use typeflux_core::{Element, Kernels, Scalar};

/// What [`train_epochs`] reports after each epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochReport<E> {
    /// The epoch just finished, counting from 1.
    pub epoch: usize,
    /// The mean over the epoch's batches of the loss, each computed before
    /// the batch's update.
    pub loss: E,
    /// How many batches the epoch had.
    pub batches: usize,
}

/// Training stopped because the loss of a batch was not finite (NaN or
/// infinite), as Flux's `train!` stops with a `DomainError`. The model and
/// the optimiser's state hold the updates of the batches before it; that
/// batch's update was skipped, so no NaN from it reached them.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{Descent, Rule};
/// use typeflux_nn::prelude::*;
/// use typeflux_nn::train::train;
///
/// let x = Batch::<1, f64>::ones_with((Const, 2));
/// let y = Batch::<1, f64>::from_slice((Const, 2), &[1.0, f64::NAN]).unwrap();
/// let mut model: Dense<1, 1, Identity, f64> = Dense::new(identity);
/// let before = model.weight.clone();
/// let mut opt = Descent::new(0.1).setup(&model);
///
/// let err = train(&mut model, &mut opt, [(&x, &y)], |m, x, y| mse(m.forward(x), y)).unwrap_err();
/// assert_eq!((err.epoch, err.batch), (None, 0));
/// assert!(err.loss.is_nan());
/// assert_eq!(err.to_string(), "the loss is NaN on batch 0: training stopped before its update");
/// assert_eq!(model.weight, before);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainError<E> {
    /// The epoch, counting from 1, when [`train_epochs`] stopped; `None`
    /// from [`train`], which runs one pass.
    pub epoch: Option<usize>,
    /// The batch whose loss was not finite, counting from 0 in the order
    /// the data yields them (`data[batch]` for a slice).
    pub batch: usize,
    /// Its loss.
    pub loss: E,
}

impl<E: fmt::Display> fmt::Display for TrainError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the loss is {} on batch {}", self.loss, self.batch)?;
        if let Some(epoch) = self.epoch {
            write!(f, " of epoch {epoch}")?;
        }
        write!(f, ": training stopped before its update")
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for TrainError<E> {}

/// The model as a loss function receives it: its parameters traced.
pub type TracedModel<M> = <M as Trace<Reverse>>::Traced;

/// One pass over `data`, Flux's `train!(loss, model, data, opt)`: for each
/// batch `(x, y)`, the gradient of `loss(m, x, y)` with respect to the model
/// (`m` is the model with its parameters traced; `loss` is any code, such
/// as `mse(m.forward(x), y)`, a penalty on the weights added to it, or a
/// physics-informed residual), then a step of `opt`. Returns the mean loss
/// over the batches, each computed before that batch's update; NaN when
/// `data` is empty.
///
/// A batch whose loss is not finite (NaN or infinite) stops the pass with a
/// [`TrainError`] naming it, before its update, as Flux's `train!` stops:
/// its NaN never reaches the model.
///
/// Inputs are best passed borrowed (`&x`): they are data, and the work of
/// differentiating with respect to them is skipped.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{Descent, Rule};
/// use typeflux_nn::prelude::*;
/// use typeflux_nn::train::train;
///
/// // Learn y = 2x from two batches.
/// let data: Vec<(Batch<1, f64>, Batch<1, f64>)> = (0..2)
///     .map(|b| {
///         let x = Batch::<1, f64>::from_fn((Const, 4), |[_, j]| (4 * b + j) as f64 / 8.0);
///         let y = &x * 2.0;
///         (x, y)
///     })
///     .collect();
/// let mut model: Dense<1, 1, Identity, f64> = Dense::new(identity).init(zeros);
/// let mut opt = Descent::new(0.5).setup(&model);
///
/// let batches = || data.iter().map(|(x, y)| (x, y));
/// let first = train(&mut model, &mut opt, batches(), |m, x, y| mse(m.forward(x), y)).unwrap();
/// let mut last = first;
/// for _ in 0..100 {
///     last = train(&mut model, &mut opt, batches(), |m, x, y| mse(m.forward(x), y)).unwrap();
/// }
/// assert!(last < first / 100.0);
/// assert!((model.weight[[0, 0]] - 2.0).abs() < 0.05);
/// ```
///
/// # Panics
/// When a batch's runtime shape disagrees with the model or with its target.
pub fn train<M, R, X, Y, E, D, L>(
    model: &mut M,
    opt: &mut Optimiser<R, M>,
    data: impl IntoIterator<Item = (X, Y)>,
    mut loss: impl FnMut(TracedModel<M>, X, Y) -> Traced<Scalar<E, D>, L>,
) -> Result<E, TrainError<E>>
where
    M: Functor + Clone + Trace<Reverse, Grads = M>,
    R: Rule,
    E: Element,
    D: Kernels<E>,
    L: Backward<Scalar<E, D>, M::Slots>,
{
    let mut total = E::zero();
    let mut batches = 0usize;
    for (batch, (x, y)) in data.into_iter().enumerate() {
        let (value, grad) = value_and_gradient(|m| loss(m, x, y), model.clone());
        if !value.re().is_finite() {
            return Err(TrainError {
                epoch: None,
                batch,
                loss: value,
            });
        }
        opt.update(model, &grad);
        total += value;
        batches += 1;
    }
    Ok(mean(total, batches))
}

/// [`train`] for up to `epochs` passes over `data`, calling `on_epoch`
/// after each with its [`EpochReport`] and the model (to print progress,
/// keep a history, or score the model on validation data). The callback
/// returns `()` to go on, or a [`ControlFlow`] whose `Break` stops training
/// after this epoch, as [`EarlyStopping::update`] returns. Returns the
/// last epoch's mean loss (NaN when `epochs` is 0), or the [`TrainError`]
/// of a loss that was not finite, which names its epoch and batch.
///
/// `data` is cloned for each pass, so it is something cheap to clone that
/// yields the batches anew: a slice iterator, a `map` over one.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{Momentum, Rule};
/// use typeflux_nn::prelude::*;
/// use typeflux_nn::train::train_epochs;
///
/// let x = Batch::<2, f64>::from_fn((Const, 8), |[i, j]| (i as f64 + 1.0) * j as f64 / 8.0);
/// let y = Batch::<1, f64>::from_fn((Const, 8), |[_, j]| 1.0 - j as f64 / 8.0);
/// let mut model: Dense<2, 1, Identity, f64> = Dense::new(identity);
/// let mut opt = Momentum::new(0.1, 0.9).setup(&model);
///
/// let mut history = Vec::new();
/// let last = train_epochs(
///     &mut model,
///     &mut opt,
///     200,
///     [(&x, &y)],
///     |m, x, y| mse(m.forward(x), y),
///     |report, _| history.push(report.loss),
/// )
/// .unwrap();
/// assert_eq!(history.len(), 200);
/// assert!(last < history[0] / 100.0);
/// ```
///
/// Early stopping on validation data, Flux's `early_stopping`: training
/// ends once the validation loss has improved by less than `1e-6` for 3
/// epochs in a row, near its floor of `0.05²` (the validation targets are
/// off by 0.05).
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::optim::{Descent, Rule};
/// use typeflux_nn::prelude::*;
/// use typeflux_nn::train::{EarlyStopping, train_epochs};
///
/// let x = Batch::<1, f64>::from_fn((Const, 16), |[_, j]| j as f64 / 16.0);
/// let y = &x * 3.0 + 1.0;
/// let x_val = Batch::<1, f64>::from_fn((Const, 8), |[_, j]| (j as f64 + 0.5) / 8.0);
/// let y_val = &x_val * 3.0 + 1.05;
/// let mut model: Dense<1, 1, Identity, f64> = Dense::new(identity).init(zeros);
/// let mut opt = Descent::new(0.5).setup(&model);
///
/// let mut stop = EarlyStopping::new(3).min_delta(1e-6);
/// let mut epochs = 0;
/// train_epochs(
///     &mut model,
///     &mut opt,
///     10_000,
///     [(&x, &y)],
///     |m, x, y| mse(m.forward(x), y),
///     |report, model| {
///         epochs = report.epoch;
///         stop.update(mse(model.forward(&x_val), &y_val).item())
///     },
/// )
/// .unwrap();
/// assert!(epochs < 1_000);
/// assert!((stop.best().unwrap() - 0.05 * 0.05).abs() < 1e-4);
/// ```
pub fn train_epochs<M, R, X, Y, E, D, L, I, C>(
    model: &mut M,
    opt: &mut Optimiser<R, M>,
    epochs: usize,
    data: I,
    mut loss: impl FnMut(TracedModel<M>, X, Y) -> Traced<Scalar<E, D>, L>,
    mut on_epoch: impl FnMut(EpochReport<E>, &M) -> C,
) -> Result<E, TrainError<E>>
where
    M: Functor + Clone + Trace<Reverse, Grads = M>,
    R: Rule,
    E: Element,
    D: Kernels<E>,
    L: Backward<Scalar<E, D>, M::Slots>,
    I: IntoIterator<Item = (X, Y)> + Clone,
    C: EpochControl,
{
    let mut last = nan();
    for epoch in 1..=epochs {
        let mut batches = 0usize;
        let counted = data.clone().into_iter().inspect(|_| batches += 1);
        last = train(model, opt, counted, &mut loss).map_err(|e| TrainError {
            epoch: Some(epoch),
            ..e
        })?;
        let report = EpochReport {
            epoch,
            loss: last,
            batches,
        };
        if on_epoch(report, model).stops() {
            break;
        }
    }
    Ok(last)
}

/// What the per-epoch callback of [`train_epochs`] returns: `()` to go
/// on, or a [`ControlFlow`], whose `Break` stops training after the epoch.
pub trait EpochControl {
    /// Whether training stops after this epoch.
    fn stops(self) -> bool;
}

impl EpochControl for () {
    #[inline]
    fn stops(self) -> bool {
        false
    }
}

impl<B> EpochControl for ControlFlow<B> {
    #[inline]
    fn stops(self) -> bool {
        self.is_break()
    }
}

/// Flux's `early_stopping`: says to stop once a score, such as the loss on
/// validation data, has not improved by at least `min_delta` for
/// `patience` calls of [`update`](Self::update) in a row.
///
/// A score improves on the best so far by how much lower it is (higher,
/// after [`maximise`](Self::maximise)): Flux's `distance`. The best score
/// is the last one no worse than it, even by less than `min_delta`, as in
/// Flux. The first score improves on nothing, unless an
/// [`init_score`](Self::init_score) is set (Flux's default is
/// `init_score = 0`, which no positive loss improves on). A NaN score
/// never improves.
///
/// ```
/// use std::ops::ControlFlow;
/// use typeflux_nn::train::EarlyStopping;
///
/// let mut stop = EarlyStopping::new(2);
/// let scores = [1.0, 0.5, 0.6, 0.4, 0.45, 0.41, 0.3];
/// let stopped_at = scores.iter().position(|&s| stop.update(s).is_break());
/// assert_eq!(stopped_at, Some(5)); // 0.45 and 0.41 do not beat 0.4
/// assert_eq!(stop.best(), Some(0.4));
///
/// // Flux's documented example: a loss that only grows, from `init_score = 0`.
/// let mut stop = EarlyStopping::new(3).init_score(0.0);
/// let mut loss = 0.0;
/// let mut epochs = 0;
/// while epochs < 10 {
///     epochs += 1;
///     loss += 1.0;
///     if stop.update(loss) == ControlFlow::Break(()) {
///         break;
///     }
/// }
/// assert_eq!(epochs, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStopping {
    patience: usize,
    min_delta: f64,
    maximise: bool,
    best: Option<f64>,
    waited: usize,
}

impl EarlyStopping {
    /// Stops after `patience` scores in a row without improvement (Flux's
    /// `delay`; 0 stops at once), lower scores being better.
    pub const fn new(patience: usize) -> Self {
        EarlyStopping {
            patience,
            min_delta: 0.0,
            maximise: false,
            best: None,
            waited: 0,
        }
    }

    /// The least change of the score that counts as an improvement
    /// (Flux's `min_dist`; 0 unless set).
    #[must_use]
    pub const fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// The best score before the first call (Flux's `init_score`).
    #[must_use]
    pub const fn init_score(mut self, score: f64) -> Self {
        self.best = Some(score);
        self
    }

    /// Higher scores are better (an accuracy): Flux's
    /// `distance = (best, score) -> score - best`.
    #[must_use]
    pub const fn maximise(mut self) -> Self {
        self.maximise = true;
        self
    }

    /// Takes the next score: `Break` once `patience` scores in a row have
    /// not improved on the best, `Continue` until then.
    pub fn update(&mut self, score: impl Into<f64>) -> ControlFlow<()> {
        let score = score.into();
        let gain = match (self.best, self.maximise) {
            (None, _) if score.is_nan() => f64::NAN,
            (None, _) => f64::INFINITY,
            (Some(best), false) => best - score,
            (Some(best), true) => score - best,
        };
        // Both comparisons are false for a NaN gain: no improvement.
        if gain >= 0.0 {
            self.best = Some(score);
        }
        if gain >= self.min_delta {
            self.waited = 0;
        } else {
            self.waited += 1;
        }
        if self.waited >= self.patience {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// The best score so far (the `init_score` before any), if any.
    pub const fn best(&self) -> Option<f64> {
        self.best
    }

    /// How many scores in a row have not improved.
    pub const fn waited(&self) -> usize {
        self.waited
    }
}

/// `total / count`, NaN for no terms.
fn mean<E: Element>(total: E, count: usize) -> E {
    if count == 0 {
        nan()
    } else {
        total / E::from_usize(count).expect("a count converts to every element type")
    }
}

fn nan<E: Element>() -> E {
    E::from(E::Primitive::nan())
}
