//! Training loops: Flux's `train!`, one epoch or several.

use crate::optim::{Optimiser, Rule};
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
/// let first = train(&mut model, &mut opt, data.iter().map(|(x, y)| (x, y)), |m, x, y| {
///     mse(m.forward(x), y)
/// });
/// let mut last = first;
/// for _ in 0..100 {
///     last = train(&mut model, &mut opt, data.iter().map(|(x, y)| (x, y)), |m, x, y| {
///         mse(m.forward(x), y)
///     });
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
) -> E
where
    M: Functor + Clone + Trace<Reverse, Grads = M>,
    R: Rule,
    E: Element,
    D: Kernels<E>,
    L: Backward<Scalar<E, D>, M::Slots>,
{
    let mut total = E::zero();
    let mut batches = 0usize;
    for (x, y) in data {
        let (value, grad) = value_and_gradient(|m| loss(m, x, y), model.clone());
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
/// let last = train_epochs(
///     &mut model,
///     &mut opt,
///     200,
///     [(&x, &y)],
///     |m, x, y| mse(m.forward(x), y),
///     |report| history.push(report.loss),
/// );
/// assert_eq!(history.len(), 200);
/// assert!(last < history[0] / 100.0);
/// ```
pub fn train_epochs<M, R, X, Y, E, D, L, I>(
    model: &mut M,
    opt: &mut Optimiser<R, M>,
    epochs: usize,
    data: I,
    mut loss: impl FnMut(TracedModel<M>, X, Y) -> Traced<Scalar<E, D>, L>,
    mut on_epoch: impl FnMut(EpochReport<E>),
) -> E
where
    M: Functor + Clone + Trace<Reverse, Grads = M>,
    R: Rule,
    E: Element,
    D: Kernels<E>,
    L: Backward<Scalar<E, D>, M::Slots>,
    I: IntoIterator<Item = (X, Y)> + Clone,
{
    let mut last = nan();
    for epoch in 1..=epochs {
        let mut batches = 0usize;
        let counted = data.clone().into_iter().inspect(|_| batches += 1);
        last = train(model, opt, counted, &mut loss);
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
