//! Training loops: Flux's `train!`, one epoch or several.

use crate::layer::Differentiable;
use crate::loss::Loss;
use crate::optim::{Optimiser, Rule};
use core::borrow::Borrow;
use num_traits::Float;
use typeflux_core::functor::Functor;
use typeflux_core::{Element, Host, Shape, Tensor};

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

/// One pass over `data`, Flux's `train!(loss, model, data, opt)`: for each
/// batch `(x, y)`, runs `model` on `x` with its pullback, takes `loss` of
/// the prediction against the target `y` and its gradient, pulls that back
/// to the gradient with respect to the model, and updates the model with
/// `opt`. Returns the mean loss over the batches, each computed before that
/// batch's update; NaN when `data` is empty.
///
/// Inputs are best passed borrowed (`&x`): they are data, and the work of
/// differentiating with respect to them is skipped. Targets may be owned or
/// borrowed.
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
/// let first = train(&mut model, &mut opt, data.iter().map(|(x, y)| (x, y)), mse);
/// let mut last = first;
/// for _ in 0..100 {
///     last = train(&mut model, &mut opt, data.iter().map(|(x, y)| (x, y)), mse);
/// }
/// assert!(last < first / 100.0);
/// assert!((model.weight[[0, 0]] - 2.0).abs() < 0.05);
/// ```
///
/// # Panics
/// When a batch's runtime shape disagrees with the model or with its target.
pub fn train<M, R, X, Y, S, E, L, D>(
    model: &mut M,
    opt: &mut Optimiser<R, M>,
    data: impl IntoIterator<Item = (X, Y)>,
    loss: L,
) -> E
where
    M: Differentiable<X, Output = Tensor<S, E, D>> + Functor,
    R: Rule,
    Y: Borrow<Tensor<S, E, D>>,
    S: Shape,
    E: Element,
    L: Loss,
    D: Host,
{
    let mut total = E::zero();
    let mut batches = 0usize;
    for (x, y) in data {
        let (y_hat, back) = model.pullback(x);
        let (value, dy) = loss.value_and_gradient(&y_hat, y.borrow());
        let (grad, _) = back(dy);
        opt.update(model, &grad);
        total += value;
        batches += 1;
    }
    mean(total, batches)
}

/// [`train`] for `epochs` passes over `data`, calling `on_epoch` after each
/// with its [`EpochReport`] (to print progress, keep a history, or decide
/// on a new learning rate through `opt.rule`). Returns the last epoch's
/// mean loss; NaN when `epochs` is 0.
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
/// let last = train_epochs(&mut model, &mut opt, 200, [(&x, &y)], mse, |report| {
///     history.push(report.loss)
/// });
/// assert_eq!(history.len(), 200);
/// assert!(last < history[0] / 100.0);
/// ```
pub fn train_epochs<M, R, X, Y, S, E, L, I, D>(
    model: &mut M,
    opt: &mut Optimiser<R, M>,
    epochs: usize,
    data: I,
    loss: L,
    mut on_epoch: impl FnMut(EpochReport<E>),
) -> E
where
    M: Differentiable<X, Output = Tensor<S, E, D>> + Functor,
    R: Rule,
    Y: Borrow<Tensor<S, E, D>>,
    S: Shape,
    E: Element,
    L: Loss,
    D: Host,
    I: IntoIterator<Item = (X, Y)> + Clone,
{
    let mut last = nan();
    for epoch in 1..=epochs {
        let mut batches = 0usize;
        let counted = data.clone().into_iter().inspect(|_| batches += 1);
        last = train(model, opt, counted, loss);
        on_epoch(EpochReport {
            epoch,
            loss: last,
            batches,
        });
    }
    last
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
